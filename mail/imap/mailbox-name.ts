/**
 * Mailbox names on the wire: modified UTF-7 (RFC 3501 §5.1.3) unless the client
 * enabled UTF8=ACCEPT, INBOX in any case meaning INBOX, "/" as the hierarchy
 * separator; and LIST patterns with "*" and "%".
 */
import { isUtf8 } from 'node:buffer';
import { ParseError } from './errors.js';
import { SEPARATOR } from './backend.js';
import { astring, utf8Octets } from './format/response.js';

/** Longest name we accept, in UTF-16 units (Dovecot's limit is similar). */
const MAX_NAME_LENGTH = 512;
const MAX_DEPTH = 32;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';

function b64Value(c: number): number {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  if (c === 0x2b) return 62;
  if (c === 0x2c) return 63;
  return -1;
}

/** The modified UTF-7 form of a name. */
export function encodeMutf7(name: string): string {
  let out = '';
  let units: number[] = [];
  const flush = (): void => {
    if (units.length === 0) return;
    let bits = 0;
    let acc = 0;
    out += '&';
    for (const u of units) {
      acc = (acc << 16) | u;
      bits += 16;
      while (bits >= 6) {
        bits -= 6;
        out += B64[(acc >> bits) & 0x3f];
      }
      acc &= (1 << bits) - 1;
    }
    if (bits > 0) out += B64[(acc << (6 - bits)) & 0x3f];
    out += '-';
    units = [];
  };
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) {
      flush();
      out += c === 0x26 ? '&-' : name[i];
    } else {
      units.push(c);
    }
  }
  flush();
  return out;
}

/** No lone surrogate. */
function wellFormed(s: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

/** Decodes modified UTF-7 strictly (as RFC 3501 requires it written); ParseError otherwise. */
export function decodeMutf7(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new ParseError('invalid character in mailbox name');
    if (c !== 0x26) {
      out += text[i];
      continue;
    }
    const end = text.indexOf('-', i + 1);
    if (end === -1) throw new ParseError('unterminated modified UTF-7 in mailbox name');
    if (end === i + 1) {
      out += '&';
      i = end;
      continue;
    }
    let acc = 0;
    let bits = 0;
    const units: number[] = [];
    for (let j = i + 1; j < end; j++) {
      const v = b64Value(text.charCodeAt(j));
      if (v < 0) throw new ParseError('invalid modified UTF-7 in mailbox name');
      acc = ((acc << 6) | v) & 0xffffff;
      bits += 6;
      if (bits >= 16) {
        bits -= 16;
        units.push((acc >> bits) & 0xffff);
      }
    }
    // Leftover bits must be padding zeros, fewer than 6 of them.
    if (bits >= 6 || (acc & ((1 << bits) - 1)) !== 0 || units.length === 0) throw new ParseError('invalid modified UTF-7 in mailbox name');
    const decoded = String.fromCharCode(...units);
    if (!wellFormed(decoded) || /[\x20-\x7e]/.test(decoded)) throw new ParseError('invalid modified UTF-7 in mailbox name');
    out += decoded;
    i = end;
  }
  return out;
}

/** INBOX (and "inbox/x") in canonical case. */
function canonicalInbox(name: string): string {
  const head = name.slice(0, 5);
  if (head.toUpperCase() === 'INBOX' && (name.length === 5 || name[5] === SEPARATOR)) return 'INBOX' + name.slice(5);
  return name;
}

/**
 * A mailbox name as the client sent it (bytes) to our Unicode form: modified UTF-7
 * decoded (or UTF-8 taken as is), INBOX canonical, one trailing separator dropped
 * (Thunderbird adds one). ParseError for names that cannot be valid.
 */
export function decodeMailboxName(bytes: Buffer): string {
  let name: string;
  if (bytes.every((b) => b < 0x80)) {
    name = decodeMutf7(bytes.toString('latin1'));
  } else {
    // 8-bit names are UTF-8 (RFC 6855); accepted even before ENABLE, as Dovecot does not, but clients send them.
    if (!isUtf8(bytes)) throw new ParseError('mailbox name is neither modified UTF-7 nor UTF-8');
    name = bytes.toString('utf8');
  }
  if (name.length > 1 && name.endsWith(SEPARATOR)) name = name.slice(0, -1);
  return canonicalInbox(name);
}

/** Why `name` cannot be created, or null if it can. */
export function invalidNameReason(name: string): string | null {
  if (name.length === 0) return 'empty mailbox name';
  if (name.length > MAX_NAME_LENGTH) return 'mailbox name too long';
  if (/[\x00-\x1f\x7f]/.test(name)) return 'control character in mailbox name';
  // A name with a LIST wildcard could not be listed by itself.
  if (/[*%]/.test(name)) return 'wildcard character in mailbox name';
  if (/[\u0080-\u009f\u2028\u2029\ufffd]/.test(name)) return 'invalid character in mailbox name';
  const parts = name.split(SEPARATOR);
  if (parts.length > MAX_DEPTH) return 'mailbox hierarchy too deep';
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return 'empty or dot component in mailbox name';
  if (parts.some((p) => p.trim() !== p)) return 'mailbox name components may not start or end with spaces';
  return null;
}

/** A name as it goes on the wire (an astring, as octets): modified UTF-7, or UTF-8 once UTF8=ACCEPT is enabled. */
export function mailboxOut(name: string, utf8: boolean): string {
  return astring(utf8 ? utf8Octets(name) : encodeMutf7(name), utf8);
}

/**
 * A LIST pattern (reference + pattern, RFC 3501 §6.3.8) as a matcher: "*" matches
 * anything, "%" anything but the separator. INBOX matches case-insensitively.
 */
export function listMatcher(reference: string, pattern: string): (name: string) => boolean {
  let full = pattern;
  if (reference !== '' && !pattern.startsWith(SEPARATOR)) {
    full = reference.endsWith(SEPARATOR) ? reference + pattern : `${reference}${SEPARATOR}${pattern}`;
  }
  full = canonicalInbox(full);
  const sep = escapeRegExp(SEPARATOR);
  let src = '';
  for (const ch of full) {
    if (ch === '*') src += '.*';
    else if (ch === '%') src += `[^${sep}]*`;
    else src += escapeRegExp(ch);
  }
  const re = new RegExp(`^${src}$`, 's');
  const inbox = new RegExp(`^${src}$`, 'is');
  return (name: string) => (name === 'INBOX' ? inbox.test(name) : re.test(name));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The parents of a name: "a/b/c" → ["a", "a/b"]. */
export function parentsOf(name: string): string[] {
  const parts = name.split(SEPARATOR);
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join(SEPARATOR));
  return out;
}
