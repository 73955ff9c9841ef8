/**
 * Message bodies sealed in fixed-size segments, so a partial FETCH reads and decrypts
 * only the segments it needs, and LMTP/APPEND can seal while streaming.
 *
 * Layout: version(1) ‖ prefix(16) ‖ segment 0 ‖ segment 1 ‖ ...
 * Segment i = XChaCha20-Poly1305 of up to SEGMENT_SIZE plaintext bytes under the
 * per-body key with nonce = prefix ‖ u64be(i); its associated data binds the body's
 * (user, location, kind), the index and whether it is the last segment. A reordered
 * segment fails (index), a body cut at a segment boundary fails (the new last segment
 * was not sealed as last), an extended one fails likewise. An empty body is one empty
 * last segment, so even "nothing" is authenticated.
 *
 * Every body has its own random key (kept inside the encrypted summary), so COPY/MOVE
 * never re-encrypt; bind the AD to something that survives a copy (the body id), not
 * to the object key.
 */
import { randomBytes } from 'node:crypto';
import { assertKey, chachaOpen, chachaSeal, hchacha20, innerNonce, KEY_BYTES, TAG_BYTES } from './aead.js';
import { encodeAd, type AssociatedData } from './ad.js';
import { DecryptionError } from './errors.js';

export const SEGMENT_SIZE = 64 * 1024;
const BODY_VERSION = 1;
const PREFIX_BYTES = 16;
export const BODY_HEADER_BYTES = 1 + PREFIX_BYTES;
const SEALED_SEGMENT = SEGMENT_SIZE + TAG_BYTES;

/** A fresh random key for one message body. */
export function newBodyKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

function checkSize(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
}

export function segmentCount(plainSize: number): number {
  checkSize(plainSize, 'plainSize');
  return plainSize === 0 ? 1 : Math.ceil(plainSize / SEGMENT_SIZE);
}

/** Size of the sealed object for a body of `plainSize` bytes. */
export function sealedSize(plainSize: number): number {
  return BODY_HEADER_BYTES + plainSize + segmentCount(plainSize) * TAG_BYTES;
}

/** The inverse of sealedSize; DecryptionError when no body seals to that size. */
export function plainSizeOf(sealed: number): number {
  checkSize(sealed, 'sealed size');
  const body = sealed - BODY_HEADER_BYTES;
  const full = Math.floor(body / SEALED_SEGMENT);
  const rest = body % SEALED_SEGMENT;
  // A trailing tag-only segment exists only for the empty body.
  if (body < TAG_BYTES || (rest > 0 && rest < TAG_BYTES) || (rest === TAG_BYTES && full > 0)) {
    throw new DecryptionError(`${sealed} bytes is not the size of a sealed body`);
  }
  return full * SEGMENT_SIZE + (rest === 0 ? 0 : rest - TAG_BYTES);
}

function segmentPlainLength(index: number, plainSize: number): number {
  return Math.min(SEGMENT_SIZE, plainSize - index * SEGMENT_SIZE);
}

export interface SegmentRange {
  /** Byte range of the sealed object holding the needed segments (end exclusive). */
  cipherStart: number;
  cipherEnd: number;
  /** Index of the first needed segment. */
  firstSegment: number;
  /** Plaintext bytes to drop from the start of the first decrypted segment. */
  skip: number;
  /** Plaintext bytes in the (clamped) range; 0 means there is nothing to read. */
  length: number;
}

/**
 * The sealed bytes needed for plaintext bytes [plainStart, plainEnd) of a body of
 * `plainSize` bytes. Like an HTTP range, the end is clamped to the body and a range
 * starting at or past the end is empty.
 */
export function segmentRangeFor(plainStart: number, plainEnd: number, plainSize: number): SegmentRange {
  checkSize(plainStart, 'plainStart');
  checkSize(plainEnd, 'plainEnd');
  checkSize(plainSize, 'plainSize');
  const end = Math.min(plainEnd, plainSize);
  if (plainStart >= end) return { cipherStart: 0, cipherEnd: 0, firstSegment: 0, skip: 0, length: 0 };
  const first = Math.floor(plainStart / SEGMENT_SIZE);
  const last = Math.floor((end - 1) / SEGMENT_SIZE);
  return {
    cipherStart: BODY_HEADER_BYTES + first * SEALED_SEGMENT,
    cipherEnd: BODY_HEADER_BYTES + last * SEALED_SEGMENT + segmentPlainLength(last, plainSize) + TAG_BYTES,
    firstSegment: first,
    skip: plainStart - first * SEGMENT_SIZE,
    length: end - plainStart,
  };
}

/** The segment AEAD of one body: HChaCha20 runs once per body, not per segment. */
class SegmentCipher {
  private readonly subkey: Buffer;
  private readonly aad: Buffer;
  private readonly nonceTail = Buffer.alloc(8);

  constructor(key: Uint8Array, prefix: Uint8Array, ad: AssociatedData) {
    assertKey(key);
    this.subkey = hchacha20(key, prefix);
    const base = encodeAd('body-segment', BODY_VERSION, ad);
    this.aad = Buffer.alloc(base.length + 9);
    base.copy(this.aad);
  }

  static fromHeader(key: Uint8Array, header: Uint8Array, ad: AssociatedData): SegmentCipher {
    if (header.length < BODY_HEADER_BYTES) throw new DecryptionError('sealed body header is truncated');
    if (header[0] !== BODY_VERSION) throw new DecryptionError(`unknown sealed body version ${header[0]}`);
    return new SegmentCipher(key, header.subarray(1, BODY_HEADER_BYTES), ad);
  }

  // The index is a u64 whose high half stays 0 (a body below 256 TiB).
  private setIndex(index: number, last: boolean): void {
    if (index >= 2 ** 32) throw new RangeError('body too large');
    this.nonceTail.writeUInt32BE(index, 4);
    this.aad.writeUInt32BE(index, this.aad.length - 5);
    this.aad[this.aad.length - 1] = last ? 1 : 0;
  }

  seal(index: number, last: boolean, plain: Uint8Array): [Buffer, Buffer] {
    this.setIndex(index, last);
    return chachaSeal(this.subkey, innerNonce(this.nonceTail), plain, this.aad);
  }

  open(index: number, last: boolean, sealed: Uint8Array): Buffer {
    this.setIndex(index, last);
    const plain = chachaOpen(this.subkey, innerNonce(this.nonceTail), sealed, this.aad);
    if (plain === undefined) throw new DecryptionError(`body segment ${index} does not open: wrong key, or the data was altered, reordered or truncated`);
    return plain;
  }

  wipe(): void {
    this.subkey.fill(0);
  }
}

/** Seals a body while it streams in; memory stays at about one segment whatever the size. */
export async function* sealStream(key: Uint8Array, ad: AssociatedData, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Buffer> {
  const prefix = randomBytes(PREFIX_BYTES);
  const cipher = new SegmentCipher(key, prefix, ad);
  try {
    yield Buffer.concat([Buffer.of(BODY_VERSION), prefix]);
    const segment = Buffer.alloc(SEGMENT_SIZE);
    let fill = 0;
    let index = 0;
    for await (const chunk of source) {
      for (let at = 0; at < chunk.length; ) {
        // A full segment is held back until more data shows it is not the last.
        if (fill === SEGMENT_SIZE) {
          yield* cipher.seal(index++, false, segment);
          fill = 0;
        }
        const n = Math.min(SEGMENT_SIZE - fill, chunk.length - at);
        segment.set(chunk.subarray(at, at + n), fill);
        fill += n;
        at += n;
      }
    }
    yield* cipher.seal(index, true, segment.subarray(0, fill));
  } finally {
    cipher.wipe();
  }
}

/** Seals a body held in memory. */
export function sealBody(key: Uint8Array, ad: AssociatedData, plain: Uint8Array): Buffer {
  const prefix = randomBytes(PREFIX_BYTES);
  const cipher = new SegmentCipher(key, prefix, ad);
  try {
    const count = segmentCount(plain.length);
    const parts: Buffer[] = [Buffer.of(BODY_VERSION), prefix];
    for (let i = 0; i < count; i++) {
      parts.push(...cipher.seal(i, i === count - 1, plain.subarray(i * SEGMENT_SIZE, (i + 1) * SEGMENT_SIZE)));
    }
    return Buffer.concat(parts, sealedSize(plain.length));
  } finally {
    cipher.wipe();
  }
}

/**
 * Opens consecutive segments starting at `firstSegment` of a body of `plainSize`
 * bytes: `header` is the body's first BODY_HEADER_BYTES, `sealed` exactly the bytes of
 * those segments (as located by segmentRangeFor).
 */
export function openSegments(key: Uint8Array, ad: AssociatedData, header: Uint8Array, sealed: Uint8Array, firstSegment: number, plainSize: number): Buffer {
  const cipher = SegmentCipher.fromHeader(key, header, ad);
  try {
    const total = segmentCount(plainSize);
    const parts: Buffer[] = [];
    let at = 0;
    for (let i = firstSegment; at < sealed.length; i++) {
      if (i >= total) throw new DecryptionError('sealed body is longer than its size says');
      const len = segmentPlainLength(i, plainSize) + TAG_BYTES;
      if (at + len > sealed.length) throw new DecryptionError(`body segment ${i} is truncated`);
      parts.push(cipher.open(i, i === total - 1, sealed.subarray(at, at + len)));
      at += len;
    }
    // One segment (the usual partial FETCH) needs no copy.
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  } finally {
    cipher.wipe();
  }
}

/** Opens a whole sealed body held in memory. */
export function openBody(key: Uint8Array, ad: AssociatedData, sealed: Uint8Array): Buffer {
  const plainSize = plainSizeOf(sealed.length);
  return openSegments(key, ad, sealed.subarray(0, BODY_HEADER_BYTES), sealed.subarray(BODY_HEADER_BYTES), 0, plainSize);
}

/** Reads sealed bytes [start, end) of the stored body, e.g. an S3 ranged GET. */
export type RangeReader = (start: number, end: number) => Promise<Uint8Array>;

/** Plaintext bytes [plainStart, plainEnd) of a body, reading and decrypting only the segments they fall in. */
export async function openRange(
  key: Uint8Array,
  ad: AssociatedData,
  plainSize: number,
  plainStart: number,
  plainEnd: number,
  read: RangeReader,
): Promise<Buffer> {
  const r = segmentRangeFor(plainStart, plainEnd, plainSize);
  if (r.length === 0) return Buffer.alloc(0);
  let header: Uint8Array;
  let sealed: Uint8Array;
  if (r.firstSegment === 0) {
    const bytes = await read(0, r.cipherEnd);
    header = bytes.subarray(0, BODY_HEADER_BYTES);
    sealed = bytes.subarray(BODY_HEADER_BYTES);
  } else {
    [header, sealed] = await Promise.all([read(0, BODY_HEADER_BYTES), read(r.cipherStart, r.cipherEnd)]);
  }
  if (sealed.length !== r.cipherEnd - r.cipherStart) throw new DecryptionError('sealed body is shorter than its size says');
  return openSegments(key, ad, header, sealed, r.firstSegment, plainSize).subarray(r.skip, r.skip + r.length);
}

/**
 * Opens a sealed body while it streams in. Each segment is released only once
 * authenticated, but a cut-off body is detected only at the end: a consumer must
 * treat the output as provisional until the iteration completes without error.
 */
export async function* openStream(key: Uint8Array, ad: AssociatedData, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Buffer> {
  const header = Buffer.alloc(BODY_HEADER_BYTES);
  let headerFill = 0;
  let cipher: SegmentCipher | undefined;
  const segment = Buffer.alloc(SEALED_SEGMENT);
  let fill = 0;
  let index = 0;
  try {
    for await (const chunk of source) {
      let at = 0;
      if (cipher === undefined) {
        const n = Math.min(BODY_HEADER_BYTES - headerFill, chunk.length);
        header.set(chunk.subarray(0, n), headerFill);
        headerFill += n;
        at = n;
        if (headerFill < BODY_HEADER_BYTES) continue;
        cipher = SegmentCipher.fromHeader(key, header, ad);
      }
      while (at < chunk.length) {
        // A full segment is held back until more data shows it is not the last.
        if (fill === SEALED_SEGMENT) {
          yield cipher.open(index++, false, segment);
          fill = 0;
        }
        const n = Math.min(SEALED_SEGMENT - fill, chunk.length - at);
        segment.set(chunk.subarray(at, at + n), fill);
        fill += n;
        at += n;
      }
    }
    if (cipher === undefined) throw new DecryptionError('sealed body header is truncated');
    yield cipher.open(index, true, segment.subarray(0, fill));
  } finally {
    cipher?.wipe();
  }
}
