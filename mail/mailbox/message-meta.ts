/**
 * A message's meta row: what FETCH and SEARCH read instead of the body. The summary
 * (ENVELOPE, BODYSTRUCTURE, part offsets, search fields), the raw header block (for
 * BODY[HEADER] and HEADER.FIELDS), and the body's key and binding id. Flags, UID,
 * MODSEQ, size and INTERNALDATE are in the uid index, not here: a meta row never changes.
 */
import { decode, encode } from '../../core/util/codec.js';
import { open, seal } from '../crypto/envelope.js';
import type { AssociatedData } from '../crypto/ad.js';
import type { MessageSummary } from './summary/types.js';

/** Header blocks above this are not kept in the row: BODY[HEADER] then reads the body's first bytes. */
export const MAX_STORED_HEADER = 64 * 1024;

export interface MessageMeta {
  /** The body's own key (a fresh random key per message, shared by its copies). */
  bodyKey: Buffer;
  /** The id the body was sealed under (see layout.bodyAd). */
  bodyId: string;
  /** The raw header block [0, summary.body.bodyStart), or null when larger than MAX_STORED_HEADER. */
  header: Buffer | null;
  summary: MessageSummary;
}

const INLINE = 0;
const SPILLED = 1;

function encodeMeta(meta: MessageMeta): Buffer {
  return encode({ v: 1, k: meta.bodyKey, b: meta.bodyId, h: meta.header, s: meta.summary });
}

function decodeMeta(bytes: Uint8Array): MessageMeta {
  const o = decode<{ v?: unknown; k?: unknown; b?: unknown; h?: unknown; s?: unknown }>(bytes);
  if (o.v !== 1 || !(o.k instanceof Uint8Array) || o.k.length !== 32 || typeof o.b !== 'string' || !(o.h === null || o.h instanceof Uint8Array) || typeof o.s !== 'object' || o.s === null) {
    throw new TypeError('message meta: unknown format');
  }
  return { bodyKey: Buffer.from(o.k), bodyId: o.b, header: o.h === null ? null : Buffer.from(o.h), summary: o.s as MessageSummary };
}

/** The sealed row, or (when the meta is larger than `inlineMax`) a sealed pointer and the object to write. */
export function sealMeta(key: Uint8Array, meta: MessageMeta, rowAd: AssociatedData, spillAd: AssociatedData, inlineMax: number): { row: Buffer; spill?: Buffer } {
  const bytes = encodeMeta(meta);
  if (bytes.length < inlineMax) return { row: seal(key, Buffer.concat([Buffer.of(INLINE), bytes]), rowAd) };
  return { row: seal(key, Buffer.of(SPILLED), rowAd), spill: seal(key, bytes, spillAd) };
}

/** The meta from its row, or 'spilled' when it is in the S3 object (open that with openSpilledMeta). */
export function openMetaRow(key: Uint8Array, row: Uint8Array, rowAd: AssociatedData): MessageMeta | 'spilled' {
  const plain = open(key, row, rowAd);
  if (plain[0] === INLINE) return decodeMeta(plain.subarray(1));
  if (plain[0] === SPILLED && plain.length === 1) return 'spilled';
  throw new TypeError('message meta: unknown row format');
}

export function openSpilledMeta(key: Uint8Array, blob: Uint8Array, spillAd: AssociatedData): MessageMeta {
  return decodeMeta(open(key, blob, spillAd));
}
