/**
 * MIME parameters ("; name=value ...") with RFC 2231 continuations merged the way
 * Dovecot 2.3 reports them in BODYSTRUCTURE: name*0, name*1, ... become one "name"
 * (or "name*" when any segment is extended, the value then kept percent-encoded with
 * its charset'language' prefix, as RFC 2231 writes it); continuations with a missing
 * index stay separate under their own names. Plain parameters come first, in order;
 * merged ones follow, sorted by name. Decoding "name*" values is left to consumers.
 */
import { asciiLower } from './ascii.js';
import { NUL_REPLACEMENT, Str, type Rfc822Parser } from './rfc822.js';
import type { Octets } from './types.js';

interface Segment {
  key: Octets;
  value: Octets;
  idx: number;
  extended: boolean;
}

function isDigit(c: string | undefined): c is string {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Reads parameters up to the end of the input; returns names and values alternating. */
export function parseParams(p: Rfc822Parser): Octets[] {
  const result: Octets[] = [];
  const segments: Segment[] = [];
  const prevNul = p.nulReplacement;
  p.nulReplacement = NUL_REPLACEMENT;
  const value = new Str();
  // Dovecot keeps the index of the previous "name*n" for a bare "name*": so do we.
  let idx = 0;
  for (;;) {
    const { ret, key } = p.parseContentParam(value);
    if (ret === 0) break;
    if (ret < 0 || key === null) {
      // Skip one byte and try again, as Dovecot does.
      if (p.pos >= p.end) break;
      p.pos++;
      continue;
    }
    const star = key.indexOf('*');
    if (star !== -1) {
      let q = star;
      if (star + 1 < key.length) {
        q = star + 1;
        idx = 0;
        while (isDigit(key[q])) idx = (idx * 10 + (key.charCodeAt(q++) - 0x30)) >>> 0;
      }
      const extended = key[q] === '*';
      if (extended) q++;
      if (q === key.length) {
        segments.push({ key: key.slice(0, star), value: value.s, idx, extended });
        continue;
      }
    }
    result.push(key, value.s);
  }
  p.nulReplacement = prevNul;
  if (segments.length > 0) mergeSegments(segments, result);
  return result;
}

function mergeSegments(segments: Segment[], result: Octets[]): void {
  segments.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.idx - b.idx));
  for (let i = 0; i < segments.length; ) {
    const first = segments[i]!;
    const lower = asciiLower(first.key);
    let j = i;
    let ok = true;
    let anyExtended = false;
    for (; j < segments.length && asciiLower(segments[j]!.key) === lower; j++) {
      if (segments[j]!.idx !== j - i) ok = false;
      if (segments[j]!.extended) anyExtended = true;
    }
    const group = segments.slice(i, j);
    i = j;
    if (!ok) {
      for (const s of group) result.push(`${s.key}*${s.idx}${s.extended ? '*' : ''}`, s.value);
      continue;
    }
    let merged = !first.extended && anyExtended ? "''" : '';
    for (const s of group) merged += !s.extended && anyExtended ? s.value.replaceAll('%', '%25') : s.value;
    result.push(anyExtended ? `${first.key}*` : first.key, merged);
  }
}
