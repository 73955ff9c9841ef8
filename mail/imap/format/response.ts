/**
 * Response text (RFC 3501 §7, RFC 9051 §7): status lines with response codes,
 * strings and astrings, flag lists, dates. Values built here are latin1 "octet"
 * strings (one char per byte) so that literal lengths are byte counts; text meant as
 * UTF-8 goes through `utf8Octets` first.
 */
import type { ResponseCode } from '../errors.js';

/** UTF-8 text as octets (one char per byte). */
export function utf8Octets(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

function isAtomChar(c: number): boolean {
  return c > 0x20 && c < 0x7f && c !== 0x28 && c !== 0x29 && c !== 0x7b && c !== 0x25 && c !== 0x2a && c !== 0x22 && c !== 0x5c && c !== 0x5d;
}

/**
 * A string: quoted when it can be (no CR, LF or NUL; 8-bit allowed only with
 * `utf8`, i.e. after ENABLE UTF8=ACCEPT), otherwise a literal.
 */
export function quotedOrLiteral(octets: string, utf8 = false): string {
  for (let i = 0; i < octets.length; i++) {
    const c = octets.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0 || (c >= 0x80 && !utf8)) return `{${octets.length}}\r\n${octets}`;
  }
  return `"${octets.replace(/["\\]/g, '\\$&')}"`;
}

/** An astring: the bare atom when it is one (and not NIL), else a string. */
export function astring(octets: string, utf8 = false): string {
  if (octets.length > 0 && octets.toUpperCase() !== 'NIL') {
    let atom = true;
    for (let i = 0; i < octets.length && atom; i++) atom = isAtomChar(octets.charCodeAt(i));
    if (atom) return octets;
  }
  return quotedOrLiteral(octets, utf8);
}

export function flagList(flags: readonly string[]): string {
  return `(${flags.join(' ')})`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** date-time: "17-Jul-1996 02:44:25 +0000" (we keep instants, not zones: always UTC). */
export function dateTime(ms: number): string {
  const d = new Date(ms);
  return `"${pad2(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000"`;
}

export function responseCode(code: ResponseCode | undefined): string {
  if (code === undefined) return '';
  return code.args === undefined ? `[${code.name}] ` : `[${code.name} ${code.args}] `;
}

/** Text after a status may not hold CR or LF (or start with "["), whatever an error message says. */
function safeText(text: string): string {
  const flat = text.replace(/[\r\n\0]+/g, ' ');
  return flat.startsWith('[') ? ` ${flat}` : flat;
}

export type Status = 'OK' | 'NO' | 'BAD' | 'BYE' | 'PREAUTH';

/** "tag OK [CODE] text" (tag "*" for an untagged status). */
export function statusLine(tag: string, status: Status, text: string, code?: ResponseCode | string): string {
  const c = typeof code === 'string' ? `[${code}] ` : responseCode(code);
  return `${tag} ${status} ${c}${safeText(text)}\r\n`;
}
