/**
 * XChaCha20-Poly1305 built from Node's native ChaCha20-Poly1305: the subkey is
 * HChaCha20(key, nonce[0..16]) and the inner 12-byte nonce is 4 zero bytes ‖ nonce[16..24]
 * (draft-irtf-cfrg-xchacha). Same bytes as @stablelib/xchacha20poly1305, several
 * times faster on bulk data (test/bench/crypto.ts measures both).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { hchacha } from '@stablelib/xchacha20';

export const KEY_BYTES = 32;
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;

export function assertKey(key: Uint8Array): void {
  if (key.length !== KEY_BYTES) throw new TypeError(`expected a ${KEY_BYTES}-byte key, got ${key.length} bytes`);
}

/** The XChaCha20 subkey for the first 16 bytes of a 24-byte nonce. The caller wipes it. */
export function hchacha20(key: Uint8Array, nonce16: Uint8Array): Buffer {
  assertKey(key);
  const subkey = Buffer.alloc(KEY_BYTES);
  hchacha(key, nonce16.subarray(0, 16), subkey);
  return subkey;
}

/** The 12-byte ChaCha20 nonce for the last 8 bytes of a 24-byte XChaCha20 nonce. */
export function innerNonce(last8: Uint8Array): Buffer {
  const iv = Buffer.alloc(12);
  iv.set(last8.subarray(0, 8), 4);
  return iv;
}

/**
 * ChaCha20-Poly1305 (RFC 8439) under an already-derived subkey: [ciphertext, tag],
 * to be written one after the other. Kept apart because joining them copies the
 * ciphertext, which costs more than encrypting it (test/bench/crypto.ts).
 */
export function chachaSeal(subkey: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): [Buffer, Buffer] {
  const cipher = createCipheriv('chacha20-poly1305', subkey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad, { plaintextLength: plaintext.length });
  const body = cipher.update(plaintext);
  cipher.final();
  return [body, cipher.getAuthTag()];
}

/** Opens ciphertext ‖ tag; undefined when authentication fails (no plaintext is released then). */
export function chachaOpen(subkey: Uint8Array, iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer | undefined {
  if (sealed.length < TAG_BYTES) return undefined;
  const split = sealed.length - TAG_BYTES;
  const decipher = createDecipheriv('chacha20-poly1305', subkey, iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(sealed.subarray(split));
  decipher.setAAD(aad, { plaintextLength: split });
  const plain = decipher.update(sealed.subarray(0, split));
  try {
    decipher.final();
  } catch {
    plain.fill(0);
    return undefined;
  }
  return plain;
}

/** XChaCha20-Poly1305 with a 24-byte nonce: [ciphertext, tag] (see chachaSeal). */
export function xchachaSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): [Buffer, Buffer] {
  const subkey = hchacha20(key, nonce);
  try {
    return chachaSeal(subkey, innerNonce(nonce.subarray(16, NONCE_BYTES)), plaintext, aad);
  } finally {
    subkey.fill(0);
  }
}

export function xchachaOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer | undefined {
  const subkey = hchacha20(key, nonce);
  try {
    return chachaOpen(subkey, innerNonce(nonce.subarray(16, NONCE_BYTES)), sealed, aad);
  } finally {
    subkey.fill(0);
  }
}
