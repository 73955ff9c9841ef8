import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlockCache } from '../../../../core/model/block-cache.js';
import { BlockChunker } from '../../../../core/model/block-writer.js';
import { BlockHasher } from '../../../../core/model/hasher.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest();

async function* chunks(data: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield data.subarray(at, at + n);
    at += n;
  }
}

describe('BlockChunker', () => {
  it('cuts any chunking of a body into full blocks and a shorter last one, with an exact last flag', async () => {
    for (const size of [0, 1, 99, 100, 101, 250, 300]) {
      const data = randomBytes(size);
      const chunker = new BlockChunker(chunks(data, [7, 33, 100, 1]), 100);
      const blocks: Buffer[] = [];
      for (;;) {
        const { block, last } = await chunker.next();
        blocks.push(Buffer.from(block));
        if (last) break;
      }
      expect(Buffer.concat(blocks).equals(data)).toBe(true);
      expect(blocks.slice(0, -1).every((b) => b.length === 100)).toBe(true);
      expect(blocks[blocks.length - 1]!.length).toBe(size === 0 ? 0 : size % 100 || 100);
      expect(chunker.size).toBe(size);
    }
  });
});

describe('BlockHasher', () => {
  it('gives each block its SHA-256 and each stream the MD5 of its blocks in order, streams interleaved', async () => {
    const hasher = new BlockHasher();
    const a = [randomBytes(1000), randomBytes(5000), randomBytes(3)];
    const b = [randomBytes(64 * 1024), Buffer.alloc(0)];
    const sa = hasher.stream();
    const sb = hasher.stream();
    const results = await Promise.all([...a.map((x) => sa.block(Buffer.from(x))), ...b.map((x) => sb.block(Buffer.from(x)))]);
    expect(results.map((r) => r.hash)).toEqual([...a, ...b].map(sha));
    expect(results.map((r) => r.data)).toEqual([...a, ...b]);
    expect(await sa.md5()).toEqual(createHash('md5').update(Buffer.concat(a)).digest());
    expect(await sb.md5()).toEqual(createHash('md5').update(Buffer.concat(b)).digest());
  });

  it('leaves a slice of a larger buffer intact (it hashes a copy)', async () => {
    const whole = randomBytes(100);
    const before = Buffer.from(whole);
    const s = new BlockHasher().stream();
    const { hash } = await s.block(whole.subarray(10, 20));
    expect(hash).toEqual(sha(before.subarray(10, 20)));
    expect(whole.equals(before)).toBe(true);
    s.discard();
  });
});

describe('BlockCache', () => {
  it('keeps small blocks as exact copies, evicting the least recently used beyond its budget', () => {
    const cache = new BlockCache(10, 25);
    const parent = Buffer.from('0123456789abcdefghij');
    cache.add(Buffer.from([1]), parent.subarray(0, 10));
    cache.add(Buffer.from([2]), parent.subarray(10, 20));
    cache.add(Buffer.from([3]), Buffer.alloc(11)); // too large to cache
    expect(cache.get(Buffer.from([3]))).toBeUndefined();
    expect(cache.get(Buffer.from([1]))?.toString()).toBe('0123456789'); // now most recently used
    expect(cache.get(Buffer.from([1]))!.buffer.byteLength).toBe(10);
    cache.add(Buffer.from([4]), Buffer.alloc(10));
    expect(cache.get(Buffer.from([2]))).toBeUndefined();
    expect(cache.get(Buffer.from([1]))).toBeDefined();
    expect(cache.get(Buffer.from([4]))).toBeDefined();
  });
});
