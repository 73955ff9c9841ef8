/**
 * Delivery (the LMTP side): seals a message for a user who may not be logged in. The
 * body is sealed with a fresh key, that key sealed to the user's public key, and both
 * land in the user's incoming queue; the queue's watch row is rewritten so live
 * sessions move it into INBOX at once. Resolves only once everything is durable.
 */
import { randomBytes } from 'node:crypto';
import { newBodyKey, sealBody } from '../crypto/segments.js';
import { newId } from '../mailbox/ids.js';
import { bodyAd, INCOMING_PK, INCOMING_WATCH_SK, incomingKey } from '../mailbox/layout.js';
import { MAX_STORED_HEADER } from '../mailbox/message-meta.js';
import { summarize } from '../mailbox/summary/summarize.js';
import type { StorageResolver, UserStorage } from '../store/storage.js';
import type { Recipient } from '../user/provider.js';
import { sealRecord } from './record.js';

export interface DeliveryResult {
  /** The delivery's id in the queue. */
  id: string;
  /** INTERNALDATE of the message, ms since the epoch. */
  deliveredAt: number;
  size: number;
}

async function collect(raw: Buffer | AsyncIterable<Uint8Array>): Promise<Buffer> {
  if (Buffer.isBuffer(raw)) return raw;
  const chunks: Uint8Array[] = [];
  for await (const chunk of raw) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export async function deliver(storage: UserStorage, recipient: Recipient, raw: Buffer | AsyncIterable<Uint8Array>, now: () => number = Date.now): Promise<DeliveryResult> {
  // Whole in memory: the summary needs the message, and LMTP bounds its size.
  const message = await collect(raw);
  const id = newId();
  const bodyKey = newBodyKey();
  const deliveredAt = now();
  const summary = summarize(message);
  const header = summary.body.bodyStart <= MAX_STORED_HEADER ? Buffer.from(message.subarray(0, summary.body.bodyStart)) : null;
  const record = sealRecord(recipient.userId, id, recipient.publicKey, { bodyKey, deliveredAt, rawSize: message.length, parsed: { header, summary } });
  await storage.blobs.put(incomingKey(id), sealBody(bodyKey, bodyAd(recipient.userId, id), message));
  bodyKey.fill(0);
  const watch = await storage.k2v.read(INCOMING_PK, INCOMING_WATCH_SK);
  await storage.k2v.insertBatch([
    { pk: INCOMING_PK, sk: id, value: record },
    { pk: INCOMING_PK, sk: INCOMING_WATCH_SK, value: randomBytes(16), ...(watch !== null ? { token: watch.token } : {}) },
  ]);
  return { id, deliveredAt, size: message.length };
}

/** Delivery bound to the server's storage: what the LMTP front-end calls per accepted recipient. */
export function createDelivery(resolve: StorageResolver, now: () => number = Date.now): (recipient: Recipient, raw: Buffer | AsyncIterable<Uint8Array>) => Promise<DeliveryResult> {
  return async (recipient, raw) => deliver(await resolve(recipient.storage), recipient, raw, now);
}
