/**
 * The bytes of BODY[section]<partial> and BINARY[part]<partial>, reading only the
 * byte range they need: the summary knows where every part lies, so a header
 * section never reads the body, and a partial fetch of a message without bare LF
 * line ends reads just that slice.
 */
import { asciiLower } from '../../mailbox/summary/ascii.js';
import { decodeTransfer } from '../../mailbox/summary/decode.js';
import { partAt, sectionRange } from '../../mailbox/summary/sections.js';
import type { BodyPart, MessageSummary } from '../../mailbox/summary/types.js';
import { imapBodyOctets } from '../format/octets.js';
import type { Partial, Section } from '../protocol/ast.js';
import { headerFields } from './header-fields.js';

export interface MessageSource {
  summary: MessageSummary;
  /** Raw bytes [start, end) of the message. */
  read(start: number, end: number): Promise<Buffer>;
}

/**
 * The path with every "1" below a leaf part dropped: a part that is neither multipart
 * nor message/rfc822 has one part, numbered 1, itself (BODY[2.1] = BODY[2], as Dovecot
 * answers; the summary's partAt does not know that).
 */
function normalPath(root: BodyPart, path: readonly number[]): number[] {
  const out: number[] = [];
  for (const n of path) {
    const here = out.length === 0 ? null : partAt(root, out);
    // (Not for the message itself: BODY[1.1] of a one-part message is nothing.)
    if (here !== null && here !== root && here.kind === 'single' && n === 1) continue;
    out.push(n);
  }
  return out;
}

function slice(bytes: Buffer, partial: Partial | null): Buffer {
  if (partial === null) return bytes;
  return bytes.subarray(Math.min(partial.offset, bytes.length), Math.min(bytes.length, partial.offset + partial.length));
}

/** BODY[section]<partial> as IMAP octets (CRLF line ends, no NUL); null when the message has no such section. */
export async function bodySection(src: MessageSource, section: Section, partial: Partial | null): Promise<Buffer | null> {
  const root = src.summary.body;
  const path = normalPath(root, section.path);
  if (section.text === 'HEADER.FIELDS' || section.text === 'HEADER.FIELDS.NOT') {
    const range = sectionRange(root, path, 'HEADER');
    if (range === null) return null;
    const fields = headerFields(await src.read(range.start, range.end), section.fields, section.text === 'HEADER.FIELDS.NOT');
    return slice(imapBodyOctets(fields), partial);
  }
  const range = sectionRange(root, path, section.text);
  if (range === null) return null;
  if (src.summary.bareLf) return slice(imapBodyOctets(await src.read(range.start, range.end)), partial);
  // Without bare LF the raw bytes are the IMAP octets but for NULs (same size): read only the slice.
  const start = partial === null ? range.start : Math.min(range.end, range.start + partial.offset);
  const end = partial === null ? range.end : Math.min(range.end, start + partial.length);
  return withoutNuls(await src.read(start, end));
}

/** NUL, which a literal may not carry, as 0x80 (what imapBodyOctets does, without its LF rewriting). */
function withoutNuls(bytes: Buffer): Buffer {
  if (bytes.indexOf(0) === -1) return bytes;
  const out = Buffer.from(bytes);
  for (let i = out.indexOf(0); i !== -1; i = out.indexOf(0, i + 1)) out[i] = 0x80;
  return out;
}

const IDENTITY = new Set(['', '7bit', '8bit', 'binary']);

/** Every bare LF as CRLF (NULs kept: BINARY may carry them). */
function crlf(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let lf = bytes.indexOf(0x0a); lf !== -1; lf = bytes.indexOf(0x0a, lf + 1)) {
    if (lf > 0 && bytes[lf - 1] === 0x0d) continue;
    parts.push(bytes.subarray(from, lf), Buffer.from('\r'));
    from = lf;
  }
  if (parts.length === 0) return bytes;
  parts.push(bytes.subarray(from));
  return Buffer.concat(parts);
}

export interface BinaryData {
  bytes: Buffer;
  /** Binary data (literal8), whatever its bytes: a transfer encoding was undone, or the part holds NULs. */
  binary: boolean;
}

/**
 * BINARY[part] (RFC 3516): the part's body with its Content-Transfer-Encoding
 * undone (line ends untouched), or, for 7bit/8bit/binary parts, the body with CRLF
 * line ends; null when there is no such part, 'unknown-cte' when we cannot decode it.
 */
export async function binarySection(src: MessageSource, path: readonly number[], partial: Partial | null): Promise<BinaryData | null | 'unknown-cte'> {
  if (path.length === 0) return { bytes: slice(crlf(await src.read(0, src.summary.rawSize)), partial), binary: false };
  const part = partAt(src.summary.body, normalPath(src.summary.body, path));
  if (part === null) return null;
  const raw = await src.read(part.bodyStart, part.end);
  const encoding = part.kind !== 'single' || part.encoding === null ? '' : asciiLower(part.encoding).trim();
  if (encoding === 'base64' || encoding === 'quoted-printable') return { bytes: slice(decodeTransfer(raw, encoding), partial), binary: true };
  if (!IDENTITY.has(encoding)) return 'unknown-cte';
  // A part with a NUL anywhere, even in its header, counts as binary (Dovecot's literal8 choice).
  const nul = raw.includes(0) || (await src.read(part.headerStart, part.bodyStart)).includes(0);
  return { bytes: slice(crlf(raw), partial), binary: nul };
}
