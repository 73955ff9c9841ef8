/**
 * A delivery record: what LMTP leaves next to a delivered body for a user it cannot
 * encrypt to with their master key. Sealed to the user's X25519 public key (only a
 * session of the user opens it) and bound to its row. It carries the body key, the
 * delivery time (the message's INTERNALDATE) and, when small enough, the summary
 * computed at delivery, so moving into INBOX needs no download of the body.
 */
import { decode, encode } from '../../core/util/codec.js';
import type { X25519KeyPair } from '../crypto/x25519.js';
import { openSealedBox, sealToPublicKey } from '../crypto/sealed-box.js';
import { deliveryAd } from '../mailbox/layout.js';
import type { MessageSummary } from '../mailbox/summary/types.js';

/** A record above this leaves its summary out (K2V values are limited; the mover recomputes it). */
const MAX_RECORD_BYTES = 256 * 1024;

export interface DeliveryRecord {
  bodyKey: Buffer;
  /** ms since the epoch. */
  deliveredAt: number;
  rawSize: number;
  /** Present unless too large to travel in the record. */
  parsed?: { header: Buffer | null; summary: MessageSummary };
}

function encodeRecord(r: DeliveryRecord): Buffer {
  return encode({ v: 1, k: r.bodyKey, t: r.deliveredAt, n: r.rawSize, ...(r.parsed ? { h: r.parsed.header, s: r.parsed.summary } : {}) });
}

export function sealRecord(userId: string, deliveryId: string, publicKey: Uint8Array, record: DeliveryRecord): Buffer {
  let bytes = encodeRecord(record);
  if (bytes.length > MAX_RECORD_BYTES) bytes = encodeRecord({ ...record, parsed: undefined });
  return sealToPublicKey(publicKey, bytes, deliveryAd(userId, deliveryId));
}

/** The record; DecryptionError when it is not for this user or place, TypeError when malformed. */
export function openRecord(userId: string, deliveryId: string, keyPair: X25519KeyPair, box: Uint8Array): DeliveryRecord {
  const o = decode<{ v?: unknown; k?: unknown; t?: unknown; n?: unknown; h?: unknown; s?: unknown }>(openSealedBox(keyPair, box, deliveryAd(userId, deliveryId)));
  if (o.v !== 1 || !(o.k instanceof Uint8Array) || o.k.length !== 32 || typeof o.t !== 'number' || typeof o.n !== 'number') throw new TypeError('delivery record: unknown format');
  const parsed =
    o.s !== undefined && typeof o.s === 'object' && o.s !== null && (o.h === null || o.h instanceof Uint8Array)
      ? { header: o.h === null ? null : Buffer.from(o.h), summary: o.s as MessageSummary }
      : undefined;
  return { bodyKey: Buffer.from(o.k), deliveredAt: o.t, rawSize: o.n, ...(parsed ? { parsed } : {}) };
}
