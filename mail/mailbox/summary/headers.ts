/**
 * Splitting a header block into fields, on bytes. Lines end in LF or CRLF; a line
 * starting with a blank continues the field above; the block ends at an empty line,
 * at the end of the message, or at a MIME boundary line (broken parts whose header
 * has no empty line before the next boundary).
 */
import { NUL_REPLACEMENT } from './rfc822.js';
import type { Octets } from './types.js';

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const TAB = 0x09;
const COLON = 0x3a;

export interface HeaderField {
  /** The name as written, blanks before the colon removed (and anything from a NUL on). */
  name: Octets;
  /**
   * The raw value: after the colon and its leading blanks, up to the end of the field
   * without its final line break. Folding line breaks are kept (see joinFolds); every
   * consumer treats them as the blanks they are. Usually a view into the message.
   */
  value: Buffer;
}

export interface HeaderBlock {
  fields: HeaderField[];
  /** End of the header bytes (exclusive). */
  end: number;
  /** Whether the block ended with an empty line: only then does a multipart body begin. */
  blankLine: boolean;
  /** Where a boundary line cut the block short (`end` is then before the line break preceding it), or -1. */
  boundaryLine: number;
}

/** Is `c` a blank (SP or TAB)? */
function isBlank(c: number | undefined): boolean {
  return c === SP || c === TAB;
}

/** End of the line starting at `pos`: the position of its LF, or the end of the message. */
function lineEnd(raw: Buffer, pos: number): number {
  const lf = raw.indexOf(LF, pos);
  return lf === -1 ? raw.length : lf;
}

/** Where the line's content ends: before its LF and one CR before that. */
function contentEnd(raw: Buffer, start: number, lfPos: number): number {
  return lfPos < raw.length && lfPos > start && raw[lfPos - 1] === CR ? lfPos - 1 : lfPos;
}

/**
 * Reads the header block starting at `start`. `isBoundaryLine(pos)` says whether the
 * line at `pos` is a boundary line of an enclosing multipart: such a line ends the
 * block, and the line break before it belongs to the boundary, not to the header.
 */
export function parseHeaderBlock(raw: Buffer, start: number, isBoundaryLine: (pos: number) => boolean): HeaderBlock {
  const fields: HeaderField[] = [];
  let pos = start;
  let prevNewline = 0;
  for (;;) {
    if (pos >= raw.length) return { fields, end: raw.length, blankLine: false, boundaryLine: -1 };
    if (raw[pos] === LF) return { fields, end: pos + 1, blankLine: true, boundaryLine: -1 };
    if (raw[pos] === CR && raw[pos + 1] === LF) return { fields, end: pos + 2, blankLine: true, boundaryLine: -1 };
    if (isBoundaryLine(pos)) return { fields, end: pos - prevNewline, blankLine: false, boundaryLine: pos };

    const firstLf = lineEnd(raw, pos);
    let lf = firstLf;
    while (lf < raw.length && isBlank(raw[lf + 1])) lf = lineEnd(raw, lf + 1);
    // Searched within the first line only: colon-less lines must not make this quadratic.
    const colon = raw.subarray(pos, firstLf).indexOf(COLON);
    // A line without a colon is not a field; it still belongs to the header.
    if (colon !== -1) fields.push(field(raw, pos, pos + colon, contentEnd(raw, pos, firstLf), contentEnd(raw, pos, lf)));
    if (lf >= raw.length) return { fields, end: raw.length, blankLine: false, boundaryLine: -1 };
    prevNewline = raw[lf - 1] === CR ? 2 : 1;
    pos = lf + 1;
  }
}

function field(raw: Buffer, start: number, colon: number, firstLineEnd: number, end: number): HeaderField {
  let nameEnd = colon;
  while (nameEnd > start && isBlank(raw[nameEnd - 1])) nameEnd--;
  // Blanks after the colon are skipped, but a first line of nothing but blanks loses only one.
  let v = colon + 1;
  while (v < firstLineEnd && isBlank(raw[v])) v++;
  if (v === firstLineEnd && firstLineEnd > colon + 1) v = colon + 2;
  // A NUL ends the name, as it ends the C string Dovecot compares names as.
  const nul = raw.subarray(start, nameEnd).indexOf(0);
  return { name: raw.toString('latin1', start, nul === -1 ? nameEnd : start + nul), value: joinFolds(raw, v, Math.max(v, end)) };
}

/**
 * The value bytes [start, end), except that a continuation line of a single blank
 * joins the line above without its line break. Dovecot 2.3 unfolds so, and it shows
 * when such a line ends an unterminated comment or quoted string in an address.
 */
function joinFolds(raw: Buffer, start: number, end: number): Buffer {
  const keep: Buffer[] = [];
  let from = start;
  for (let lf = raw.indexOf(LF, start); lf !== -1 && lf < end; lf = raw.indexOf(LF, lf + 1)) {
    const next = raw.indexOf(LF, lf + 1);
    const lineEnd = next === -1 || next >= end ? end : contentEnd(raw, lf + 1, next);
    if (lineEnd - (lf + 1) !== 1) continue;
    keep.push(raw.subarray(from, raw[lf - 1] === CR ? lf - 1 : lf));
    from = lf + 1;
  }
  if (keep.length === 0) return raw.subarray(start, end);
  keep.push(raw.subarray(from, end));
  return Buffer.concat(keep);
}

/** A field value as a string; NUL bytes become U+FFFD, as Dovecot stores them. */
export function headerString(value: Buffer): Octets {
  const s = value.toString('latin1');
  return s.includes('\0') ? s.replaceAll('\0', NUL_REPLACEMENT) : s;
}
