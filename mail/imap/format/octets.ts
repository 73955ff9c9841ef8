/**
 * Message bytes as IMAP serves them in BODY[...] / RFC822 literals (what Dovecot
 * sends): every bare LF as CRLF, and NUL, which a literal may not carry (RFC 3501
 * CHAR8), as 0x80. Sizes in the summary already count LF as CRLF; the NUL swap keeps
 * sizes. Only BINARY[...] (literal8) may send the bytes untouched.
 */

const NUL = 0x00;
const LF = 0x0a;
const CR = 0x0d;
const CR_BYTE = Buffer.from([CR]);

function withoutNuls(bytes: Buffer): Buffer {
  if (bytes.indexOf(NUL) === -1) return bytes;
  const out = Buffer.from(bytes);
  for (let i = out.indexOf(NUL); i !== -1; i = out.indexOf(NUL, i + 1)) out[i] = 0x80;
  return out;
}

/** `bytes` ready for a literal; the input itself when nothing needs changing. */
export function imapBodyOctets(bytes: Buffer): Buffer {
  const src = withoutNuls(bytes);
  const parts: Buffer[] = [];
  let from = 0;
  for (let lf = src.indexOf(LF); lf !== -1; lf = src.indexOf(LF, lf + 1)) {
    if (lf > 0 && src[lf - 1] === CR) continue;
    parts.push(src.subarray(from, lf), CR_BYTE);
    from = lf;
  }
  if (parts.length === 0) return src;
  parts.push(src.subarray(from));
  return Buffer.concat(parts);
}
