/**
 * IMAP strings (RFC 3501 §4.3), written the way Dovecot writes them so that our
 * responses are byte-for-byte comparable with it:
 *  - NIL for null;
 *  - a quoted string when it can be one: no CR, LF or 8-bit byte, and at most four
 *    characters needing a backslash (past that a literal is shorter);
 *  - otherwise a literal {n}CRLF followed by the n octets as they are.
 *
 * Values are Octets (one char per byte), so lengths are octet counts; a NUL ends the
 * value, as it would a C string.
 */
import type { Octets } from '../../mailbox/summary/types.js';

const MAX_ESCAPES = 4;

function cstr(s: Octets): Octets {
  const nul = s.indexOf('\0');
  return nul === -1 ? s : s.slice(0, nul);
}

function literal(s: Octets): Octets {
  return `{${s.length}}\r\n${s}`;
}

/** An nstring: NIL, "quoted" or a literal. */
export function nstring(value: Octets | null): Octets {
  if (value === null) return 'NIL';
  const s = cstr(value);
  let escapes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) {
      if (++escapes > MAX_ESCAPES) return literal(s);
    } else if (c === 0x0d || c === 0x0a || c >= 0x80) {
      return literal(s);
    }
  }
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

/** A string: "quoted" or a literal. */
export function string(value: Octets): Octets {
  return nstring(value);
}

/**
 * An nstring of a header value, line breaks removed: a folded value joins into one
 * line (a space is put in where the next line does not start with one).
 */
export function nstringNoLf(value: Octets | null): Octets {
  if (value === null || !/[\r\n]/.test(value)) return nstring(value);
  const s = cstr(value);
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\r' && c !== '\n') out += c;
    else if (i + 1 < s.length && !' \t\r\n'.includes(s[i + 1]!)) out += ' ';
  }
  return nstring(out);
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/**
 * A string meant for people (subjects, display names): blanks and line breaks
 * collapse to single spaces, leading and trailing ones go. Anything that had to
 * change, or needs escaping, or is 8-bit, is sent as a literal.
 */
export function humanString(value: Octets): Octets {
  const s = cstr(value);
  let modify = false;
  let remove = 0;
  let lastBlank = true;
  let prefixOnly = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isBlank(c)) {
      if (c !== 0x20) modify = true;
      if (lastBlank) {
        modify = true;
        remove++;
      }
      lastBlank = true;
    } else {
      if (c === 0x22 || c === 0x5c || c >= 0x80) modify = true;
      lastBlank = false;
      prefixOnly = false;
    }
  }
  if (lastBlank && s.length > 0 && !prefixOnly) {
    modify = true;
    remove++;
  }
  if (!modify) return `"${s}"`;
  if (remove === s.length) return '""';
  let out = '';
  lastBlank = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isBlank(c)) {
      if (!lastBlank) out += ' ';
      lastBlank = true;
    } else {
      out += s[i];
      lastBlank = false;
    }
  }
  if (lastBlank && out.length > 0) out = out.slice(0, -1);
  return literal(out);
}
