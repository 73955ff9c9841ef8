/**
 * Mailbox names: Unicode strings (the IMAP layer decodes modified UTF-7 or UTF-8)
 * with "/" as the hierarchy delimiter. INBOX is case-insensitive (RFC 9051 §5.1), as
 * the first level of a name: "inbox/x" is "INBOX/x".
 */
import { MailboxError } from './errors.js';

export const DELIMITER = '/';
export const INBOX = 'INBOX';
const MAX_NAME_BYTES = 1000;
// Control characters, and the LIST wildcards (a name holding them could not be listed exactly).
const FORBIDDEN = /[\x00-\x1f\x7f*%]/;

/** The canonical form of a valid name; InvalidMailboxName otherwise. */
export function normalizeName(name: string): string {
  const parts = name.split(DELIMITER);
  if (parts.some((p) => p.length === 0) || FORBIDDEN.test(name) || Buffer.byteLength(name) > MAX_NAME_BYTES) {
    throw new MailboxError('InvalidMailboxName', `"${name}" is not a valid mailbox name (empty level, control or wildcard character, or too long)`);
  }
  if (parts[0]!.toUpperCase() === INBOX) parts[0] = INBOX;
  return parts.join(DELIMITER);
}

/** The names of the levels above `name`, outermost first ("a/b/c" → ["a", "a/b"]). */
export function parentsOf(name: string): string[] {
  const parts = name.split(DELIMITER);
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join(DELIMITER));
}

/** Is `name` below `parent` in the hierarchy? */
export function isBelow(name: string, parent: string): boolean {
  return name.startsWith(parent + DELIMITER);
}
