import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  addTrailerChecksums,
  ChecksumSet,
  crc32,
  crc32c,
  parseChecksumHeaders,
} from '../../../../../core/api/common/checksum.js';
import { ApiError } from '../../../../../core/api/common/errors.js';

const CHECK = Buffer.from('123456789');

function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return e as ApiError;
  }
  throw new Error('expected an ApiError');
}

describe('CRC vectors', () => {
  it('matches the standard check values', () => {
    expect(crc32(CHECK)).toBe(0xcbf43926);
    expect(crc32c(CHECK)).toBe(0xe3069283);
    expect(crc32(Buffer.alloc(0))).toBe(0);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('matches the iSCSI CRC32C vectors (RFC 3720 B.4)', () => {
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
  });

  it('gives the same value however the input is split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 300 }), (bytes, cut) => {
        const data = Buffer.from(bytes);
        const at = Math.min(cut, data.length);
        for (const f of [crc32, crc32c]) {
          expect(f(data.subarray(at), f(data.subarray(0, at)))).toBe(f(data));
        }
      }),
    );
  });
});

describe('ChecksumSet', () => {
  it('computes MD5 and base64 big-endian checksums over chunks', () => {
    const set = new ChecksumSet(['crc32', 'crc32c', 'sha1', 'sha256']);
    set.update(CHECK.subarray(0, 4));
    set.update(CHECK.subarray(4));
    expect(set.digest()).toEqual({
      md5: createHash('md5').update(CHECK).digest(),
      crc32: Buffer.from('cbf43926', 'hex').toString('base64'),
      crc32c: Buffer.from('e3069283', 'hex').toString('base64'),
      sha1: createHash('sha1').update(CHECK).digest('base64'),
      sha256: createHash('sha256').update(CHECK).digest('base64'),
    });
  });

  it('verifies expected values: BadDigest on a mismatch', () => {
    const set = new ChecksumSet(['crc32']);
    set.update(Buffer.from('hello world'));
    const md5 = createHash('md5').update('hello world').digest();
    expect(set.verify({ md5, crc32: 'DUoRhQ==' }).crc32).toBe('DUoRhQ==');
    const badMd5 = thrown(() => set.verify({ md5: Buffer.alloc(16) }));
    expect([badMd5.code, badMd5.status]).toEqual(['BadDigest', 400]);
    expect(thrown(() => set.verify({ crc32: 'AAAAAA==' })).message).toMatch(/CRC32/);
  });

  it('can skip MD5', () => {
    const set = new ChecksumSet([], { md5: false });
    set.update(CHECK);
    expect(set.digest()).toEqual({});
  });
});

describe('parseChecksumHeaders', () => {
  it('reads Content-MD5 (quotes tolerated) and one x-amz-checksum header', () => {
    const md5 = createHash('md5').update('x').digest('base64');
    const r = parseChecksumHeaders({
      'content-md5': `"${md5}"`,
      'x-amz-sdk-checksum-algorithm': 'CRC32',
      'x-amz-checksum-crc32': 'DUoRhQ==',
    });
    expect(r).toEqual({ expected: { md5: Buffer.from(md5, 'base64'), crc32: 'DUoRhQ==' }, algorithm: 'crc32' });
  });

  it('reads the trailer announcement and completes from the trailer', () => {
    const r = parseChecksumHeaders({ 'x-amz-trailer': 'x-amz-checksum-crc32c', 'x-amz-sdk-checksum-algorithm': 'CRC32C' });
    expect(r).toEqual({ expected: {}, algorithm: 'crc32c', trailer: 'crc32c' });
    expect(addTrailerChecksums(r, new Map([['x-amz-checksum-crc32c', '4waSgw==']]))).toEqual({ crc32c: '4waSgw==' });
    expect(thrown(() => addTrailerChecksums(r, new Map())).code).toBe('InvalidRequest');
    expect(thrown(() => addTrailerChecksums(r, new Map([['x-amz-checksum-crc32c', 'AAAA']]))).code).toBe('InvalidRequest');
  });

  it('rejects invalid values and mixed algorithms', () => {
    expect(thrown(() => parseChecksumHeaders({ 'content-md5': 'abc' })).code).toBe('InvalidDigest');
    expect(thrown(() => parseChecksumHeaders({ 'x-amz-checksum-sha256': 'DUoRhQ==' })).code).toBe('InvalidRequest');
    expect(thrown(() => parseChecksumHeaders({ 'x-amz-sdk-checksum-algorithm': 'MD4' })).code).toBe('InvalidRequest');
    expect(thrown(() => parseChecksumHeaders({ 'x-amz-trailer': 'x-amz-meta-foo' })).code).toBe('InvalidRequest');
    const mixed = { 'x-amz-checksum-crc32': 'DUoRhQ==', 'x-amz-checksum-crc32c': 'DUoRhQ==' };
    expect(thrown(() => parseChecksumHeaders(mixed)).code).toBe('InvalidRequest');
  });
});
