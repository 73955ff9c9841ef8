/**
 * Turning message bytes into text for PREVIEW and SEARCH: transfer decodings
 * (base64, quoted-printable), charsets (WHATWG labels via TextDecoder, unknown ones
 * read as UTF-8 or Latin-1), and RFC 2047 encoded words in headers (libmime).
 */
import { isUtf8 } from 'node:buffer';
import libmime from 'libmime';
import { asciiLower } from './ascii.js';
import type { Octets } from './types.js';

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function decodeQuotedPrintable(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== 0x3d) {
      out[n++] = c;
      continue;
    }
    // "=" at the end of a line is a soft line break, "=XX" a byte; anything else stays as is.
    if (bytes[i + 1] === 0x0a) {
      i += 1;
    } else if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) {
      i += 2;
    } else {
      const hi = hexValue(bytes[i + 1] ?? -1);
      const lo = hexValue(bytes[i + 2] ?? -1);
      if (hi < 0 || lo < 0) {
        out[n++] = c;
      } else {
        out[n++] = hi * 16 + lo;
        i += 2;
      }
    }
  }
  return out.subarray(0, n);
}

/** Undoes a Content-Transfer-Encoding; unknown ones (7bit, 8bit, binary, ...) are identity. */
export function decodeTransfer(bytes: Buffer, encoding: Octets | null): Buffer {
  switch (encoding === null ? '' : asciiLower(encoding)) {
    case 'base64':
      return Buffer.from(bytes.toString('latin1'), 'base64');
    case 'quoted-printable':
      return decodeQuotedPrintable(bytes);
    default:
      return bytes;
  }
}

/** Bytes to text: valid UTF-8 as UTF-8, anything else as Latin-1 (never fails). */
function bytesToText(bytes: Buffer): string {
  return isUtf8(bytes) ? bytes.toString('utf8') : bytes.toString('latin1');
}

/** Bytes in a declared charset to text; an unknown charset falls back to bytesToText. */
export function decodeCharset(bytes: Buffer, charset: string | null): string {
  if (charset !== null) {
    try {
      return new TextDecoder(charset.trim()).decode(bytes);
    } catch {
      // not a label TextDecoder knows
    }
  }
  return bytesToText(bytes);
}

/** A raw header value as text, RFC 2047 encoded words decoded. */
export function decodeHeader(value: Octets): string {
  const text = bytesToText(Buffer.from(value, 'latin1'));
  if (!text.includes('=?')) return text;
  try {
    return libmime.decodeWords(text);
  } catch {
    return text;
  }
}

/** Whitespace (and control characters) collapsed to single spaces, trimmed. */
export function collapseWhitespace(text: string): string {
  return text.replace(/[\s\x00-\x1f\x7f]+/g, ' ').trim();
}
