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
const CRLF = Buffer.from('\r\n');

/** The field's name, lower-cased, from its first line; null for a line without a colon (a field no name matches). */
function fieldName(header: Buffer, start: number, end: number): string | null {
  const colon = header.indexOf(COLON, start);
  if (colon === -1 || colon >= end) return null;
  let nameEnd = colon;
  while (nameEnd > start && (header[nameEnd - 1] === SP || header[nameEnd - 1] === TAB)) nameEnd--;
  return header.toString('latin1', start, nameEnd).toLowerCase();
}

/**
 * HEADER.FIELDS adds what a header block should end with (a line break after the
 * last field, the empty line); HEADER.FIELDS.NOT gives the kept fields exactly as
 * they are, with the empty line only if the block had one. Both as Dovecot does.
 */
export function headerFields(header: Buffer, names: readonly string[], not: boolean): Buffer {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const out: Buffer[] = [];
  let pos = 0;
  let endOfHeader = false;
  while (pos < header.length) {
    const lineEnd = header.indexOf(LF, pos);
    const next = lineEnd === -1 ? header.length : lineEnd + 1;
    if (next - pos <= 2 && (header[pos] === LF || (header[pos] === 0x0d && header[pos + 1] === LF))) {
      endOfHeader = true;
      break;
    }
    // The field goes on over the lines that start with a blank.
    let end = next;
    while (end < header.length && (header[end] === SP || header[end] === TAB)) {
      const lf = header.indexOf(LF, end);
      end = lf === -1 ? header.length : lf + 1;
    }
    const name = fieldName(header, pos, next);
    if (name === null ? not : wanted.has(name) !== not) {
      out.push(header.subarray(pos, end));
      if (!not && header[end - 1] !== LF) out.push(CRLF);
    }
    pos = end;
  }
  if (!not || endOfHeader) out.push(CRLF);
  return Buffer.concat(out);
}
