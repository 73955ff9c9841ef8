/**
 * Secrets we generate for people (recovery keys, app passwords): 160 random bits
 * written as 32 Crockford base-32 characters in groups of four. Being full-entropy,
 * they need no password stretching, and typing is forgiving: case, dashes and spaces
 * are ignored, and i/l read as 1, o as 0.
 */
import { randomBytes } from 'node:crypto';

const GENERATED_SECRET_BYTES = 20;
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const CHARS = (GENERATED_SECRET_BYTES * 8) / 5;

export function formatGeneratedSecret(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(value >>> bits) & 31];
    }
    value &= (1 << bits) - 1;
  }
  return out.match(/.{1,4}/g)!.join('-');
}

/** A fresh secret in its printed form. */
export function generateSecret(): string {
  return formatGeneratedSecret(randomBytes(GENERATED_SECRET_BYTES));
}

/** The 20 secret bytes of a typed secret, or undefined if it cannot be one (e.g. an ordinary password). */
export function parseGeneratedSecret(text: string): Buffer | undefined {
  const clean = text.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  if (clean.length !== CHARS) return undefined;
  const out = Buffer.alloc(GENERATED_SECRET_BYTES);
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const ch of clean) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) return undefined;
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >>> bits) & 0xff;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}
