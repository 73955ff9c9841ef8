import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlockManager } from '../../../../core/block/index.js';
import { Db } from '../../../../core/db/index.js';
import { CorruptionError } from '../../../../core/util/errors.js';

describe('BlockManager', () => {
  let dir: string;
  let db: Db;
  let blocks: BlockManager;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aero-block-'));
    db = Db.open({ path: join(dir, 'meta'), fsync: false });
    blocks = new BlockManager(db, { dataDir: join(dir, 'data'), fsync: true, gcDelayMs: 1000 });
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores blocks under data_dir/hh/hh/<sha256> and reads them back verified', async () => {
    const data = Buffer.from('hello block');
    const hash = BlockManager.hashOf(data);
    await blocks.put(hash, data);
    const hex = hash.toString('hex');
    expect(existsSync(join(dir, 'data', hex.slice(0, 2), hex.slice(2, 4), hex))).toBe(true);
    expect((await blocks.get(hash)).equals(data)).toBe(true);
    expect(readdirSync(join(dir, 'data', hex.slice(0, 2), hex.slice(2, 4)))).toEqual([hex]);
  });

  it('refuses a corrupted block', async () => {
    const data = Buffer.from('precious');
    const hash = BlockManager.hashOf(data);
    await blocks.put(hash, data);
    writeFileSync(blocks.pathOf(hash), 'tampered');
    await expect(blocks.get(hash)).rejects.toBeInstanceOf(CorruptionError);
  });

  it('deletes a block only after its references are gone, the delay passed and it is unpinned', async () => {
    const data = Buffer.from('refcounted');
    const hash = BlockManager.hashOf(data);
    await blocks.put(hash, data);
    await db.transaction(() => blocks.incrementInTransaction(hash));
    blocks.unpin(hash);
    await db.transaction(() => blocks.decrementInTransaction(hash));
    expect(await blocks.collectGarbage(Date.now())).toBe(0); // still within the delay
    await blocks.put(hash, data); // pinned again by a new writer
    expect(await blocks.collectGarbage(Date.now() + 5000)).toBe(0);
    blocks.unpin(hash);
    expect(await blocks.collectGarbage(Date.now() + 5000)).toBe(1);
    expect(existsSync(blocks.pathOf(hash))).toBe(false);
  });
});
