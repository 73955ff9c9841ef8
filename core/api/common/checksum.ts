import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import zlib from 'node:zlib';
import { ApiError } from './errors.js';

export type ChecksumAlgorithm = 'crc32' | 'crc32c' | 'sha1' | 'sha256';

const DIGEST_BYTES: Readonly<Record<ChecksumAlgorithm, number>> = { crc32: 4, crc32c: 4, sha1: 20, sha256: 32 };
const ALGORITHMS = Object.keys(DIGEST_BYTES) as ChecksumAlgorithm[];

/** Digests of a body: raw MD5 (ETag, Content-MD5) and base64 x-amz-checksum-* values. */
export interface Checksums {
  md5?: Buffer;
  crc32?: string;
  crc32c?: string;
  sha1?: string;
  sha256?: string;
}

/**
 * Table-driven reflected CRC-32 (slicing-by-8: eight table lookups per 8 input bytes).
 * Returns `update(data, crc)` where `crc` is the value returned for the previous bytes.
 */
function makeCrc(poly: number): (data: Uint8Array, crc?: number) => number {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      const prev = t[(k - 1) * 256 + n]!;
      t[k * 256 + n] = (prev >>> 8) ^ t[prev & 0xff]!;
    }
  }
  return (data, crc = 0) => {
    let c = ~crc;
    let i = 0;
    const end8 = data.length - (data.length % 8);
    while (i < end8) {
      const a = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
      c =
        t[0x700 + (a & 0xff)]! ^
        t[0x600 + ((a >>> 8) & 0xff)]! ^
        t[0x500 + ((a >>> 16) & 0xff)]! ^
        t[0x400 + (a >>> 24)]! ^
        t[0x300 + data[i + 4]!]! ^
        t[0x200 + data[i + 5]!]! ^
        t[0x100 + data[i + 6]!]! ^
        t[data[i + 7]!]!;
      i += 8;
    }
    for (; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
    return ~c >>> 0;
  };
}

/** CRC-32 (IEEE, as zlib); native in Node ≥ 20.15, tables before that. */
export const crc32: (data: Uint8Array, crc?: number) => number =
  typeof zlib.crc32 === 'function' ? (data, crc = 0) => zlib.crc32(data, crc) : makeCrc(0xedb88320);

/** CRC-32C (Castagnoli), which Node lacks. */
export const crc32c = makeCrc(0x82f63b78);

interface Digester {
  update(chunk: Uint8Array): void;
  digest(): Buffer;
}

class CrcDigester implements Digester {
  private crc = 0;
  constructor(private readonly fn: (data: Uint8Array, crc?: number) => number) {}
  update(chunk: Uint8Array): void {
    this.crc = this.fn(chunk, this.crc);
  }
  digest(): Buffer {
    const out = Buffer.allocUnsafe(4);
    out.writeUInt32BE(this.crc);
    return out;
  }
}

function digester(algorithm: ChecksumAlgorithm): Digester {
  switch (algorithm) {
    case 'crc32':
      return new CrcDigester(crc32);
    case 'crc32c':
      return new CrcDigester(crc32c);
    case 'sha1':
    case 'sha256':
      return createHash(algorithm);
  }
}

/** MD5 plus the requested x-amz-checksum algorithms, computed over a streamed body. */
export class ChecksumSet {
  private readonly md5: Digester | undefined;
  private readonly digesters: [ChecksumAlgorithm, Digester][];
  private result: Checksums | undefined;

  constructor(algorithms: Iterable<ChecksumAlgorithm> = [], options: { md5?: boolean } = {}) {
    this.md5 = options.md5 === false ? undefined : createHash('md5');
    this.digesters = [...new Set(algorithms)].map((a) => [a, digester(a)]);
  }

  update(chunk: Uint8Array): void {
    this.md5?.update(chunk);
    for (const [, d] of this.digesters) d.update(chunk);
  }

  /** The digests; the set takes no more data afterwards. */
  digest(): Checksums {
    if (this.result === undefined) {
      const result: Checksums = {};
      if (this.md5 !== undefined) result.md5 = this.md5.digest();
      for (const [a, d] of this.digesters) result[a] = d.digest().toString('base64');
      this.result = result;
    }
    return this.result;
  }

  /** The digests, after checking each expected value (BadDigest on mismatch, as S3 answers). */
  verify(expected: Checksums): Checksums {
    const actual = this.digest();
    if (expected.md5 !== undefined) {
      if (actual.md5 === undefined) throw new Error('ChecksumSet was built without MD5');
      if (!actual.md5.equals(expected.md5)) {
        throw new ApiError('BadDigest', 'The Content-MD5 you specified did not match what we received.');
      }
    }
    for (const a of ALGORITHMS) {
      const want = expected[a];
      if (want === undefined) continue;
      if (actual[a] === undefined) throw new Error(`ChecksumSet was built without ${a}`);
      if (actual[a] !== want) {
        throw new ApiError('BadDigest', `The ${a.toUpperCase()} you specified did not match the calculated checksum.`);
      }
    }
    return actual;
  }
}

/** What a request says about its body's integrity. */
export interface ChecksumRequest {
  /** Values sent as headers (Content-MD5, x-amz-checksum-*). */
  expected: Checksums;
  /** The x-amz-checksum algorithm in use, whether its value comes as a header, a trailer or not at all. */
  algorithm?: ChecksumAlgorithm;
  /** The algorithm whose value arrives in the aws-chunked trailer (x-amz-trailer). */
  trailer?: ChecksumAlgorithm;
}

/** Reads Content-MD5, x-amz-checksum-*, x-amz-(sdk-)checksum-algorithm and x-amz-trailer. */
export function parseChecksumHeaders(headers: IncomingHttpHeaders): ChecksumRequest {
  const request: ChecksumRequest = { expected: {} };
  const contentMd5 = header(headers, 'content-md5');
  if (contentMd5 !== undefined) {
    const md5 = Buffer.from(contentMd5.trim().replace(/^"(.*)"$/, '$1'), 'base64');
    if (md5.length !== 16) throw new ApiError('InvalidDigest');
    request.expected.md5 = md5;
  }

  const named = new Set<ChecksumAlgorithm>();
  for (const name of ['x-amz-sdk-checksum-algorithm', 'x-amz-checksum-algorithm']) {
    const value = header(headers, name);
    if (value === undefined) continue;
    const algorithm = value.trim().toLowerCase();
    if (!isAlgorithm(algorithm)) throw new ApiError('InvalidRequest', `Value for ${name} header is invalid.`);
    named.add(algorithm);
  }
  for (const a of ALGORITHMS) {
    const value = header(headers, `x-amz-checksum-${a}`);
    if (value === undefined) continue;
    request.expected[a] = checksumValue(a, value, 'header');
    named.add(a);
  }
  const trailer = header(headers, 'x-amz-trailer')?.trim().toLowerCase();
  if (trailer !== undefined && trailer !== '') {
    const a = trailer.replace(/^x-amz-checksum-/, '');
    if (!trailer.startsWith('x-amz-checksum-') || !isAlgorithm(a)) {
      throw new ApiError('InvalidRequest', 'Value for x-amz-trailer header is invalid.');
    }
    request.trailer = a;
    named.add(a);
  }
  if (named.size > 1) {
    throw new ApiError('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  }
  const [algorithm] = named;
  if (algorithm !== undefined) request.algorithm = algorithm;
  return request;
}

/** `expected` completed with the checksum received in the aws-chunked trailer, which must be there. */
export function addTrailerChecksums(request: ChecksumRequest, trailers: ReadonlyMap<string, string>): Checksums {
  if (request.trailer === undefined) return request.expected;
  const name = `x-amz-checksum-${request.trailer}`;
  const value = trailers.get(name);
  if (value === undefined) throw new ApiError('InvalidRequest', `The trailer ${name} announced in x-amz-trailer was not sent.`);
  return { ...request.expected, [request.trailer]: checksumValue(request.trailer, value, 'trailer') };
}

/** Canonical base64 of a checksum value, after checking it decodes to the algorithm's digest size. */
function checksumValue(algorithm: ChecksumAlgorithm, text: string, where: 'header' | 'trailer'): string {
  const bytes = Buffer.from(text.trim(), 'base64');
  if (bytes.length !== DIGEST_BYTES[algorithm]) {
    throw new ApiError('InvalidRequest', `Value for x-amz-checksum-${algorithm} ${where} is invalid.`);
  }
  return bytes.toString('base64');
}

function isAlgorithm(name: string): name is ChecksumAlgorithm {
  return Object.hasOwn(DIGEST_BYTES, name);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
