/**
 * Where a user's mail lives in their bucket (DESIGN.md §4 storage keys), and what each
 * sealed value is bound to (associated data: user, place, kind). Mailbox logs and
 * checkpoints are mail/bayou's (log/<mailbox-id>, checkpoint/<mailbox-id>/<ts>).
 *
 *   K2V mailboxes / list           the mailbox list
 *   K2V meta/<mailbox-id> / <msg>  message meta: summary, header, body key
 *   S3  meta/<mailbox-id>/<msg>    a meta too large for a K2V value (its row points here)
 *   S3  body/<msg>                 the body, sealed in segments
 *   K2V incoming / <delivery>      a delivery record, sealed to the user's public key
 *   K2V incoming / watch           random, rewritten by each delivery
 *   S3  incoming/<delivery>        a delivered body
 *   K2V quarantine / <delivery>    a delivery that could not be moved into INBOX, and why
 */
import type { AssociatedData } from '../crypto/ad.js';

export const LIST_PK = 'mailboxes';
export const LIST_SK = 'list';
export const INCOMING_PK = 'incoming';
export const INCOMING_WATCH_SK = 'watch';
export const QUARANTINE_PK = 'quarantine';

export const metaPk = (mailboxId: string): string => `meta/${mailboxId}`;
export const metaSpillKey = (mailboxId: string, messageId: string): string => `meta/${mailboxId}/${messageId}`;
export const bodyKey = (messageId: string): string => `body/${messageId}`;
export const incomingKey = (deliveryId: string): string => `incoming/${deliveryId}`;

export function listAd(userId: string): AssociatedData {
  return { userId, location: { pk: LIST_PK, sk: LIST_SK }, kind: 'mailbox-list' };
}

export function metaAd(userId: string, mailboxId: string, messageId: string): AssociatedData {
  return { userId, location: { pk: metaPk(mailboxId), sk: messageId }, kind: 'message-meta' };
}

export function metaSpillAd(userId: string, mailboxId: string, messageId: string): AssociatedData {
  return { userId, location: { key: metaSpillKey(mailboxId, messageId) }, kind: 'message-meta' };
}

/**
 * A body is bound to the id it was first stored under, not to its current key: COPY
 * and MOVE copy the sealed object as it is, and the meta row remembers that id.
 */
export function bodyAd(userId: string, bodyId: string): AssociatedData {
  return { userId, location: { key: bodyKey(bodyId) }, kind: 'body' };
}

export function deliveryAd(userId: string, deliveryId: string): AssociatedData {
  return { userId, location: { pk: INCOMING_PK, sk: deliveryId }, kind: 'delivery' };
}

export function quarantineAd(userId: string, deliveryId: string): AssociatedData {
  return { userId, location: { pk: QUARANTINE_PK, sk: deliveryId }, kind: 'quarantine' };
}
