/**
 * Several data directories: blocks spread by capacity, found in any directory, moved
 * by a rebalance (read-only directories emptied), and markers that refuse a disk
 * missing or mounted in the wrong place. Objects go through the model, so "every
 * object reads back" is checked end to end below the S3 API.
 */
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlockManager } from '../../../../core/block/index.js';
import { blockFiles } from '../../../../core/block/files.js';
import { MARKER_FILE } from '../../../../core/block/markers.js';
import { Db } from '../../../../core/db/index.js';
import { Model } from '../../../../core/model/index.js';
import { configFromToml, type DataDirConfig } from '../../../../core/util/config.js';
import { DataDirError } from '../../../../core/util/errors.js';

const GB = 1024 ** 3;

async function countFiles(path: string): Promise<number> {
  let n = 0;
  for await (const _ of blockFiles(path)) n++;
  return n;
}

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

/** Distinct content per object (so no two blocks are deduplicated). */
function content(i: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let j = 0; j < size; j += 4) b.writeUInt32LE((i * 7919 + j * 2654435761) >>> 0, j);
  return b;
}

describe('several data directories', () => {
  let root: string;
  let db: Db;
  const dirs = (...specs: [name: string, capacity: number | null][]): DataDirConfig[] =>
    specs.map(([name, capacity]) => ({ path: join(root, name), capacity, readOnly: capacity === null }));

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'aero-disks-'));
    db = Db.open({ path: join(root, 'meta'), fsync: false });
  });
  afterEach(async () => {
    await db.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function node(dataDir: DataDirConfig[]): Promise<{ blocks: BlockManager; model: Model }> {
    const config = configFromToml({ metadata_dir: join(root, 'meta'), metadata_fsync: false, data_fsync: false, block_size: '64K', inline_threshold: 0 }, root);
    const blocks = new BlockManager(db, { dataDir, fsync: false, gcDelayMs: 0 });
    await blocks.ready;
    return { blocks, model: new Model({ db, blocks, config: { ...config, dataDir } }) };
  }

  it('spreads blocks in proportion to capacity; after adding a third directory and rebalancing every object reads back', async () => {
    const first = dirs(['d1', 1 * GB], ['d2', 2 * GB]);
    const { blocks, model } = await node(first);
    // Many small blocks for the proportions (the hash decides the partition), and objects through the model.
    const small = Array.from({ length: 2000 }, (_, i) => content(i + 1000, 32));
    for (let i = 0; i < small.length; i += 200) {
      await Promise.all(small.slice(i, i + 200).map((b) => blocks.put(BlockManager.hashOf(b), b)));
    }
    const bucket = Buffer.from((await model.createBucket('disks')).id, 'hex');
    const objects = new Map<string, Buffer>();
    for (let i = 0; i < 50; i++) {
      const data = content(i, 4 * 64 * 1024 - 100); // 4 blocks each
      objects.set(`obj-${i}`, data);
      await model.objects.put({ bucketId: bucket, key: `obj-${i}`, body: once(data), headers: [], checksumAlgorithm: null, verify: () => null });
    }
    const total = small.length + 4 * objects.size;
    const shares = async (names: string[], weights: number[], tolerance: number) => {
      const counts = await Promise.all(names.map((n) => countFiles(join(root, n))));
      expect(counts.reduce((a, b) => a + b)).toBe(total);
      const sum = weights.reduce((a, b) => a + b);
      counts.forEach((n, i) => expect(Math.abs(n / total / (weights[i]! / sum) - 1), `${names[i]}: ${n} of ${total}`).toBeLessThan(tolerance));
      return counts;
    };
    await shares(['d1', 'd2'], [1, 2], 0.1);

    const readAll = async (m: Model, b: BlockManager) => {
      for (const [key, data] of objects) {
        const version = (await m.objects.head(bucket, key))!;
        expect((await collect(m.objects.read(m.objects.layout(version), 0, data.length))).equals(data), key).toBe(true);
      }
      const read = await Promise.all(small.map((data) => b.get(BlockManager.hashOf(data), data.length)));
      expect(read.every((data, i) => data.equals(small[i]!))).toBe(true);
    };
    const second = dirs(['d1', 1 * GB], ['d2', 2 * GB], ['d3', 3 * GB]);
    const grown = await node(second);
    await readAll(grown.model, grown.blocks); // before the rebalance: found where they were
    const result = await grown.blocks.rebalance();
    // Half the blocks belong on the new directory; few others move.
    expect(result.moved / total).toBeGreaterThan(0.45);
    expect(result.moved / total).toBeLessThan(0.6);
    expect(await grown.blocks.rebalance()).toEqual({ moved: 0, duplicatesRemoved: 0, corrupted: 0, busy: 0 });
    const counts = await shares(['d1', 'd2', 'd3'], [1, 2, 3], 0.2);
    await readAll(grown.model, grown.blocks);

    // d1 becomes read-only: the rebalance empties it, and everything still reads back.
    const drained = await node([{ ...second[0]!, capacity: null, readOnly: true }, second[1]!, second[2]!]);
    expect((await drained.blocks.rebalance()).moved).toBeGreaterThanOrEqual(counts[0]!);
    expect(await countFiles(join(root, 'd1'))).toBe(0);
    await shares(['d2', 'd3'], [2, 3], 0.1);
    await readAll(drained.model, drained.blocks);
  });

  it('keeps one verified copy, finds and moves a block from any directory, and collects it wherever it is', async () => {
    const { blocks } = await node(dirs(['a', 1], ['b', 1]));
    const data = Buffer.from('somewhere');
    const hash = BlockManager.hashOf(data);
    await blocks.put(hash, data);
    blocks.unpin(hash);
    const primary = blocks.pathOf(hash);
    const [from, to] = primary.startsWith(join(root, 'a')) ? ['a', 'b'] : ['b', 'a'];
    const other = join(root, to, primary.slice(join(root, from).length));
    mkdirSync(dirname(other), { recursive: true });
    copyFileSync(primary, other); // a stray second copy, as an interrupted rebalance leaves
    expect(await blocks.rebalance()).toEqual({ moved: 0, duplicatesRemoved: 1, corrupted: 0, busy: 0 });
    renameSync(primary, other); // only in the other directory, as under an older data_dir
    expect((await blocks.get(hash)).equals(data)).toBe(true);
    expect(await blocks.rebalance()).toEqual({ moved: 1, duplicatesRemoved: 0, corrupted: 0, busy: 0 });
    renameSync(primary, other);
    await db.transaction(() => blocks.incrementInTransaction(hash));
    await db.transaction(() => blocks.decrementInTransaction(hash));
    expect(await blocks.collectGarbage(Date.now() + 1)).toBe(1);
    expect((await countFiles(join(root, 'a'))) + (await countFiles(join(root, 'b')))).toBe(0);
  });

  it('refuses a directory whose disk is missing or mounted in the wrong place', async () => {
    const two = dirs(['a', 1], ['b', 1]);
    await node(two);
    // The two disks come back mounted at each other's place.
    renameSync(two[0]!.path, join(root, 'x'));
    renameSync(two[1]!.path, two[0]!.path);
    renameSync(join(root, 'x'), two[1]!.path);
    const open = () => new BlockManager(db, { dataDir: two, fsync: false, gcDelayMs: 0 });
    expect(open).toThrow(DataDirError);
    expect(open).toThrow(`data directory ${two[0]!.path} holds the disk first used as ${two[1]!.path}: a disk is mounted in the wrong place`);
    renameSync(two[0]!.path, join(root, 'x'));
    renameSync(two[1]!.path, two[0]!.path);
    renameSync(join(root, 'x'), two[1]!.path);
    unlinkSync(join(two[1]!.path, MARKER_FILE));
    expect(open).toThrow(/no aerogramme-marker file any more: is its disk mounted/);
  });
});
