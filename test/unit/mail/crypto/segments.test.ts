import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AssociatedData } from '../../../../mail/crypto/ad.js';
import { DecryptionError } from '../../../../mail/crypto/errors.js';
import {
  BODY_HEADER_BYTES,
  newBodyKey,
  openBody,
  openRange,
  openStream,
  plainSizeOf,
  sealBody,
  sealedSize,
  sealStream,
  segmentCount,
  segmentRangeFor,
  SEGMENT_SIZE,
} from '../../../../mail/crypto/segments.js';

const S = SEGMENT_SIZE;
const SEALED = S + 16;
const ad: AssociatedData = { userId: 'u1', location: { key: 'body/abc' }, kind: 'body' };
const key = newBodyKey();
const SIZES = [0, 1, 15, 16, 17, S - 1, S, S + 1, 2 * S - 1, 2 * S, 2 * S + 1, 3 * S + 12345];

async function* chunks(data: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    yield data.subarray(at, at + n);
    at += n;
  }
}

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

function reader(blob: Buffer, log: [number, number][] = []) {
  return async (start: number, end: number) => {
    log.push([start, end]);
    return blob.subarray(start, end);
  };
}

describe('segment arithmetic', () => {
  it('sealedSize and plainSizeOf are inverse, and no other size is a sealed body', () => {
    for (const n of SIZES) expect(plainSizeOf(sealedSize(n))).toBe(n);
    fc.assert(fc.property(fc.nat({ max: 50 * S }), (n) => plainSizeOf(sealedSize(n)) === n));
    const valid = new Set(Array.from({ length: 3 * S }, (_, n) => sealedSize(n)));
    for (let s = 0; s < sealedSize(3 * S); s += 997) {
      if (valid.has(s)) expect(sealedSize(plainSizeOf(s))).toBe(s);
      else expect(() => plainSizeOf(s)).toThrow(DecryptionError);
    }
    expect(segmentCount(0)).toBe(1);
    expect(segmentCount(S)).toBe(1);
    expect(segmentCount(S + 1)).toBe(2);
  });

  it('segmentRangeFor covers exactly the segments holding the range, at every boundary', () => {
    const boundary = fc.oneof(
      fc.nat({ max: 6 * S }),
      fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: -2, max: 2 })).map(([k, d]) => Math.max(0, k * S + d)),
    );
    fc.assert(
      fc.property(boundary, boundary, boundary, (a, b, size) => {
        const r = segmentRangeFor(Math.min(a, b), Math.max(a, b), size);
        const start = Math.min(a, b);
        const end = Math.min(Math.max(a, b), size);
        if (start >= end) {
          expect(r.length).toBe(0);
          return;
        }
        expect(r.length).toBe(end - start);
        expect(r.firstSegment).toBe(Math.floor(start / S));
        expect(r.skip).toBe(start % S);
        expect(r.cipherStart).toBe(BODY_HEADER_BYTES + r.firstSegment * SEALED);
        const last = Math.floor((end - 1) / S);
        const lastLen = Math.min(S, size - last * S);
        expect(r.cipherEnd).toBe(BODY_HEADER_BYTES + last * SEALED + lastLen + 16);
        expect(r.cipherEnd).toBeLessThanOrEqual(sealedSize(size));
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses negative or fractional offsets', () => {
    expect(() => segmentRangeFor(-1, 5, 10)).toThrow(RangeError);
    expect(() => segmentRangeFor(0.5, 5, 10)).toThrow(RangeError);
  });
});

describe('sealed bodies', () => {
  it('round-trip in memory and streamed, whatever the chunking', async () => {
    for (const n of SIZES) {
      const plain = randomBytes(n);
      const sealed = sealBody(key, ad, plain);
      expect(sealed.length).toBe(sealedSize(n));
      expect(openBody(key, ad, sealed).equals(plain)).toBe(true);
      const streamed = await collect(sealStream(key, ad, chunks(plain, [1000, 70_000, 1, S])));
      expect(streamed.length).toBe(sealedSize(n));
      expect(openBody(key, ad, streamed).equals(plain)).toBe(true);
      expect((await collect(openStream(key, ad, chunks(sealed, [7, 40_000, S + 16, 3])))).equals(plain)).toBe(true);
    }
  });

  it('a range decrypts from only the segments it needs, equal to the slice', async () => {
    const size = 4 * S + 1000;
    const plain = randomBytes(size);
    const sealed = sealBody(key, ad, plain);
    const offset = fc.oneof(
      fc.nat({ max: size + 10 }),
      fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: -1, max: 1 })).map(([k, d]) => Math.max(0, k * S + d)),
    );
    await fc.assert(
      fc.asyncProperty(offset, offset, async (a, b) => {
        const [start, end] = [Math.min(a, b), Math.max(a, b)];
        const reads: [number, number][] = [];
        const got = await openRange(key, ad, size, start, end, reader(sealed, reads));
        expect(got.equals(plain.subarray(start, end))).toBe(true);
        const r = segmentRangeFor(start, end, size);
        const bytesRead = reads.reduce((n, [s, e]) => n + (e - s), 0);
        if (r.length > 0) expect(bytesRead).toBe(r.cipherEnd - r.cipherStart + BODY_HEADER_BYTES);
        else expect(reads).toEqual([]);
      }),
      { numRuns: 300 },
    );
    // The middle of a 4-segment body reads the header and one segment, no more.
    const reads: [number, number][] = [];
    await openRange(key, ad, size, 2 * S + 10, 2 * S + 20, reader(sealed, reads));
    expect(reads).toEqual([
      [0, BODY_HEADER_BYTES],
      [BODY_HEADER_BYTES + 2 * SEALED, BODY_HEADER_BYTES + 3 * SEALED],
    ]);
  });

  it('streams with constant memory: output arrives before the input ends', async () => {
    let produced = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) {
        produced += S;
        yield Buffer.alloc(S);
      }
    }
    const it = sealStream(key, ad, endless());
    await it.next(); // header
    await it.next(); // first segment, sealed once the second one started
    expect(produced).toBeLessThanOrEqual(2 * S);
    await it.return(undefined);
  });

  describe('tampering', () => {
    const plain = randomBytes(3 * S + 100);
    const sealed = sealBody(key, ad, plain);
    const seg = (i: number) => sealed.subarray(BODY_HEADER_BYTES + i * SEALED, BODY_HEADER_BYTES + (i + 1) * SEALED);
    const header = sealed.subarray(0, BODY_HEADER_BYTES);

    async function rejectedEverywhere(bad: Buffer): Promise<void> {
      expect(() => openBody(key, ad, bad)).toThrow(DecryptionError);
      await expect(collect(openStream(key, ad, chunks(bad, [5000])))).rejects.toThrow(DecryptionError);
    }

    it('detects reordered segments', async () => {
      await rejectedEverywhere(Buffer.concat([header, seg(1), seg(0), sealed.subarray(BODY_HEADER_BYTES + 2 * SEALED)]));
      // Even as a range read at the position of the swapped segment.
      const swapped = Buffer.concat([header, seg(1), seg(0), sealed.subarray(BODY_HEADER_BYTES + 2 * SEALED)]);
      await expect(openRange(key, ad, plain.length, 10, 20, reader(swapped))).rejects.toThrow(DecryptionError);
    });

    it('detects truncation at a segment boundary and inside a segment', async () => {
      await rejectedEverywhere(sealed.subarray(0, BODY_HEADER_BYTES + 3 * SEALED));
      await rejectedEverywhere(sealed.subarray(0, BODY_HEADER_BYTES + SEALED));
      await rejectedEverywhere(sealed.subarray(0, sealed.length - 1));
      // A range read of a body whose object was cut short.
      await expect(openRange(key, ad, plain.length, 3 * S, 3 * S + 50, reader(sealed.subarray(0, sealed.length - 60)))).rejects.toThrow(
        DecryptionError,
      );
    });

    it('detects an appended or duplicated segment', async () => {
      const full = sealBody(key, ad, randomBytes(2 * S));
      const s0 = full.subarray(BODY_HEADER_BYTES, BODY_HEADER_BYTES + SEALED);
      const bad = Buffer.concat([full, s0]);
      expect(() => openBody(key, ad, bad)).toThrow(DecryptionError);
      await expect(collect(openStream(key, ad, chunks(bad, [9999])))).rejects.toThrow(DecryptionError);
    });

    it('detects flipped bits in the header, a segment or a tag', async () => {
      for (const at of [0, 5, BODY_HEADER_BYTES + 3, BODY_HEADER_BYTES + SEALED - 1, sealed.length - 1]) {
        const bad = Buffer.from(sealed);
        bad[at]! ^= 1;
        await rejectedEverywhere(bad);
      }
    });

    it('detects a body opened under another key or place', async () => {
      expect(() => openBody(newBodyKey(), ad, sealed)).toThrow(DecryptionError);
      expect(() => openBody(key, { ...ad, location: { key: 'body/other' } }, sealed)).toThrow(DecryptionError);
      expect(() => openBody(key, { ...ad, kind: 'incoming' }, sealed)).toThrow(DecryptionError);
    });

    it('does not confuse the empty body with a missing one', async () => {
      const empty = sealBody(key, ad, Buffer.alloc(0));
      expect(openBody(key, ad, empty).length).toBe(0);
      expect(() => openBody(key, ad, empty.subarray(0, BODY_HEADER_BYTES))).toThrow(DecryptionError);
      await expect(collect(openStream(key, ad, chunks(empty.subarray(0, 5), [5])))).rejects.toThrow(DecryptionError);
    });
  });
});
