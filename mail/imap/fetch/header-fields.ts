/**
 * BODY[HEADER.FIELDS (...)] and BODY[HEADER.FIELDS.NOT (...)]: the fields of a
 * header block whose names are (or are not) in the list, as they were written
 * (folded lines kept), followed by the empty line that ends a header (RFC 3501
 * §6.4.5; Dovecot answers the same way).
 */

const LF = 0x0a;
const SP = 0x20;
const TAB = 0x09;
const COLON = 0x3a;

/** The field's name, lower-cased, from its first line; null for a line without a colon (a field no name matches). */
function fieldName(header: Buffer, start: number, end: number): string | null {
  const colon = header.indexOf(COLON, start);
  if (colon === -1 || colon >= end) return null;
  let nameEnd = colon;
  while (nameEnd > start && (header[nameEnd - 1] === SP || header[nameEnd - 1] === TAB)) nameEnd--;
  return header.toString('latin1', start, nameEnd).toLowerCase();
}

export function headerFields(header: Buffer, names: readonly string[], not: boolean): Buffer {
  // No header at all: nothing to keep, not even the end-of-header line (Dovecot's answer for .NOT).
  if (header.length === 0 && not) return header;
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < header.length) {
    const lineEnd = header.indexOf(LF, pos);
    const next = lineEnd === -1 ? header.length : lineEnd + 1;
    const blank = next - pos <= 2 && (header[pos] === LF || (header[pos] === 0x0d && header[pos + 1] === LF));
    if (blank) break;
    // The field goes on over the lines that start with a blank.
    let end = next;
    while (end < header.length && (header[end] === SP || header[end] === TAB)) {
      const lf = header.indexOf(LF, end);
      end = lf === -1 ? header.length : lf + 1;
    }
    const name = fieldName(header, pos, next);
    if (name === null ? not : wanted.has(name) !== not) {
      out.push(header.subarray(pos, end));
      // A last field without its line break still ends its line in the answer.
      if (header[end - 1] !== LF) out.push(Buffer.from('\r\n'));
    }
    pos = end;
  }
  out.push(Buffer.from('\r\n'));
  return Buffer.concat(out);
}
