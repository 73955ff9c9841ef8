import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlockManager } from '../../../../core/block/index.js';
import { Db } from '../../../../core/db/index.js';
import { Model, ModelError } from '../../../../core/model/index.js';
import { configFromToml } from '../../../../core/util/config.js';

const MiB = 1024 * 1024;

async function* chunks(data: Buffer, size = 64 * 1024, failAt?: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) {
    if (failAt !== undefined && i >= failAt) throw new Error('client went away');
    yield data.subarray(i, i + size);
  }
}

function bytes(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size + 4);
  for (let i = 0; i < size; i += 4) b.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  return b.subarray(0, size);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest();

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ModelError) return err.code;
    throw err;
  }
  throw new Error('expected a ModelError');
}

describe('Model', () => {
  let dir: string;
  let db: Db;
  let blocks: BlockManager;
  let model: Model;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aero-model-'));
    const config = configFromToml({ metadata_dir: join(dir, 'meta'), data_dir: join(dir, 'data'), metadata_fsync: false, data_fsync: false }, dir);
    db = Db.open({ path: config.metadataDir, fsync: false });
    blocks = new BlockManager(db, { dataDir: config.dataDir, fsync: false, gcDelayMs: 0 });
    model = new Model({ db, blocks, config });
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const put = (bucketId: string, key: string, data: Buffer, failAt?: number) =>
    model.objects.put({ bucketId: Buffer.from(bucketId, 'hex'), key, body: chunks(data, 64 * 1024, failAt), headers: [], checksumAlgorithm: null, verify: () => null });

  describe('keys', () => {
    it('creates keys in Garage format and finds them by id, name or unique prefix', async () => {
      const k = await model.createKey('alice');
      expect(k.id).toMatch(/^GK[0-9a-f]{24}$/);
      expect(k.secretKey).toMatch(/^[0-9a-f]{64}$/);
      expect(k).toMatchObject({ name: 'alice', allowCreateBucket: false, buckets: [] });
      expect((await model.getKey(k.id))?.id).toBe(k.id);
      expect((await model.getKey('alice'))?.id).toBe(k.id);
      expect((await model.getKey(k.id.slice(0, 10)))?.id).toBe(k.id);
      expect(await model.getKey('nobody')).toBeUndefined();
      await model.createKey('alice');
      expect(await codeOf(model.getKey('alice'))).toBe('InvalidRequest');
      expect((await model.listKeys()).map((x) => x.name)).toEqual(['alice', 'alice']);
    });

    it('imports keys with validated formats, once', async () => {
      const id = `GK${'a'.repeat(24)}`;
      const secret = 'b'.repeat(64);
      expect(await model.importKey(id, secret, 'imported')).toMatchObject({ id, secretKey: secret, name: 'imported' });
      expect(await codeOf(model.importKey(id, secret, 'again'))).toBe('KeyAlreadyExists');
      expect(await codeOf(model.importKey('AKIA123', secret, 'x'))).toBe('InvalidRequest');
      expect(await codeOf(model.importKey(`GK${'c'.repeat(24)}`, 'short', 'x'))).toBe('InvalidRequest');
    });

    it('toggles the create-bucket flag and deletes keys with their rights and aliases', async () => {
      const k = await model.createKey('bob');
      await model.setKeyAllowCreateBucket(k.id, true);
      expect((await model.getKey(k.id))?.allowCreateBucket).toBe(true);
      await model.buckets.createForKey('bobs-bucket', k.id);
      const b = (await model.getBucket('bobs-bucket'))!;
      expect(b.keys.map((x) => x.id)).toEqual([k.id]);
      await model.deleteKey(k.id);
      expect(await model.getKey(k.id)).toBeUndefined();
      expect((await model.getBucket(b.id))?.keys).toEqual([]);
      expect(await codeOf(model.deleteKey(k.id))).toBe('NoSuchAccessKey');
      expect(await codeOf(model.setKeyAllowCreateBucket(k.id, false))).toBe('NoSuchAccessKey');
    });
  });

  describe('buckets', () => {
    it('creates buckets under valid, free global aliases and finds them by id, prefix or alias', async () => {
      const b = await model.createBucket('photos');
      expect(b.id).toMatch(/^[0-9a-f]{64}$/);
      expect(b).toMatchObject({ globalAliases: ['photos'], localAliases: [], keys: [], objects: 0n, bytes: 0n, unfinishedUploads: 0n });
      expect(b.createdAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
      expect((await model.getBucket(b.id))?.id).toBe(b.id);
      expect((await model.getBucket(b.id.slice(0, 12)))?.id).toBe(b.id);
      expect((await model.getBucket('photos'))?.id).toBe(b.id);
      expect(await model.getBucket('nope')).toBeUndefined();
      expect(await codeOf(model.createBucket('photos'))).toBe('BucketAlreadyExists');
      expect(await codeOf(model.createBucket('No'))).toBe('InvalidBucketName');
      expect((await model.listBuckets()).map((x) => x.id)).toEqual([b.id]);
    });

    it('allow and deny change only the flags given', async () => {
      const b = await model.createBucket('shared');
      const k = await model.createKey('carol');
      await model.allowKey(b.id, k.id, { read: true, write: true });
      await model.allowKey(b.id, k.id, { owner: true, read: false });
      expect((await model.getBucket(b.id))?.keys).toEqual([{ id: k.id, name: 'carol', read: true, write: true, owner: true }]);
      await model.denyKey(b.id, k.id, { write: true, read: false });
      expect((await model.getKey(k.id))?.buckets).toEqual([{ id: b.id, globalAliases: ['shared'], localAliases: [], read: true, write: false, owner: true }]);
      await model.denyKey(b.id, k.id, { read: true, owner: true });
      expect((await model.getBucket(b.id))?.keys).toEqual([]);
      expect(await codeOf(model.allowKey(b.id, 'GK000000000000000000000000', { read: true }))).toBe('NoSuchAccessKey');
      expect(await codeOf(model.allowKey('0'.repeat(64), k.id, { read: true }))).toBe('NoSuchBucket');
    });

    it('deletes only empty buckets, freeing the name', async () => {
      const b = await model.createBucket('temp');
      await put(b.id, 'x', Buffer.from('x'));
      expect(await codeOf(model.deleteBucket(b.id))).toBe('BucketNotEmpty');
      await model.objects.delete(Buffer.from(b.id, 'hex'), ['x']);
      await model.deleteBucket(b.id);
      expect(await model.getBucket(b.id)).toBeUndefined();
      expect(await model.getBucket('temp')).toBeUndefined();
      expect((await model.createBucket('temp')).id).not.toBe(b.id);
      expect(await codeOf(model.deleteBucket(b.id))).toBe('NoSuchBucket');
    });
  });

  describe('objects', () => {
    it('keeps counters and block refcounts exact through overwrites, copies and deletes', async () => {
      const b = await model.createBucket('data');
      const id = Buffer.from(b.id, 'hex');
      const big = bytes(2 * MiB + 100, 1);
      const h = [sha(big.subarray(0, MiB)), sha(big.subarray(MiB, 2 * MiB)), sha(big.subarray(2 * MiB))];
      await put(b.id, 'big', big);
      await put(b.id, 'small', Buffer.from('s'));
      expect(await model.getBucket(b.id)).toMatchObject({ objects: 2n, bytes: BigInt(big.length + 1), unfinishedUploads: 0n });
      expect(h.map((x) => blocks.refCount(x))).toEqual([1, 1, 1]);
      await model.objects.copy((await model.objects.head(id, 'big'))!, id, 'copy', null);
      expect(h.map((x) => blocks.refCount(x))).toEqual([2, 2, 2]);
      await put(b.id, 'big', Buffer.from('now small'));
      expect(h.map((x) => blocks.refCount(x))).toEqual([1, 1, 1]);
      await model.objects.delete(id, ['copy', 'missing']);
      expect(h.map((x) => blocks.refCount(x))).toEqual([0, 0, 0]);
      expect(await model.getBucket(b.id)).toMatchObject({ objects: 2n, bytes: 10n, unfinishedUploads: 0n });
    });

    it('aborts a large upload whose body fails: nothing visible, nothing referenced', async () => {
      const b = await model.createBucket('data');
      const big = bytes(4 * MiB, 2);
      await put(b.id, 'k', Buffer.from('previous'));
      await expect(put(b.id, 'k', big, 3 * MiB)).rejects.toThrow('client went away');
      expect(await model.getBucket(b.id)).toMatchObject({ objects: 1n, bytes: 8n, unfinishedUploads: 0n });
      for (let i = 0; i < 3; i++) expect(blocks.refCount(sha(big.subarray(i * MiB, (i + 1) * MiB)))).toBe(0);
      const v = (await model.objects.head(Buffer.from(b.id, 'hex'), 'k'))!;
      expect(v.meta.size).toBe(8);
    });

    it('refuses a body its verifier rejects, before anything becomes visible', async () => {
      const b = await model.createBucket('data');
      for (const size of [10, 5000, 2 * MiB]) {
        const data = bytes(size, 3);
        await expect(
          model.objects.put({ bucketId: Buffer.from(b.id, 'hex'), key: 'v', body: chunks(data), headers: [], checksumAlgorithm: null, verify: () => { throw new Error('bad digest'); } }),
        ).rejects.toThrow('bad digest');
      }
      expect(await model.getBucket(b.id)).toMatchObject({ objects: 0n, bytes: 0n, unfinishedUploads: 0n });
      expect(await model.objects.head(Buffer.from(b.id, 'hex'), 'v')).toBeUndefined();
    });

    it('the newest of concurrent writes to one key wins and the others are released', async () => {
      const b = await model.createBucket('data');
      const bodies = [0, 1, 2, 3].map((i) => bytes(MiB + 10 * i, 10 + i));
      const results = await Promise.all(bodies.map((d) => put(b.id, 'race', d)));
      const winner = results.reduce((w, r) => (r.ts > w.ts || (r.ts === w.ts && Buffer.compare(r.uuid, w.uuid) > 0) ? r : w));
      const current = (await model.objects.head(Buffer.from(b.id, 'hex'), 'race'))!;
      expect(current.uuid.equals(winner.uuid)).toBe(true);
      const live = bodies.filter((d) => blocks.refCount(sha(d.subarray(0, MiB))) === 1);
      expect(live).toHaveLength(1);
      expect(await model.getBucket(b.id)).toMatchObject({ objects: 1n, unfinishedUploads: 0n });
    });

    it('a newer PutObject supersedes an older multipart upload of the same key (Garage semantics)', async () => {
      const b = await model.createBucket('data');
      const id = Buffer.from(b.id, 'hex');
      const uploadId = await model.multipart.create(id, 'k', [], null);
      const part = bytes(1000, 4);
      await model.multipart.uploadPart(id, 'k', uploadId, 1, chunks(part), () => null);
      expect(blocks.refCount(sha(part))).toBe(1);
      expect((await model.getBucket(b.id))?.unfinishedUploads).toBe(1n);
      await put(b.id, 'k', Buffer.from('plain'));
      expect(model.multipart.find(id, 'k', uploadId)).toBeUndefined();
      expect(blocks.refCount(sha(part))).toBe(0);
      expect((await model.getBucket(b.id))?.unfinishedUploads).toBe(0n);
    });
  });
});
