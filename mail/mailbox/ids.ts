/**
 * Identifiers of mailboxes, messages and deliveries: 128 random bits as 32 hex digits,
 * never time-prefixed, so storage keys reveal nothing but their count. An id that two
 * sessions must agree on without talking (a default mailbox, the INBOX copy of a
 * delivery) is derived from the user's master key instead, which is just as opaque.
 */
import { createHmac, randomBytes } from 'node:crypto';

const ID_BYTES = 16;

export function newId(): string {
  return randomBytes(ID_BYTES).toString('hex');
}

export function derivedId(key: Uint8Array, label: string): string {
  return createHmac('sha256', key).update(`aerogramme id/${label}`).digest().subarray(0, ID_BYTES).toString('hex');
}
