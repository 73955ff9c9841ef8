/**
 * Envelopes for stored values: version(1) ‖ nonce(24) ‖ XChaCha20-Poly1305(plaintext),
 * with associated data binding the blob to (user, location, kind) and to the version
 * byte (so a future format cannot be confused with this one).
 */
import { randomBytes } from 'node:crypto';
import { assertKey, NONCE_BYTES, TAG_BYTES, xchachaOpen, xchachaSeal } from './aead.js';
import { encodeAd, type AssociatedData } from './ad.js';
import { DecryptionError } from './errors.js';

export const ENVELOPE_VERSION = 1;
const HEADER_BYTES = 1 + NONCE_BYTES;
/** Bytes an envelope adds to its plaintext. */
export const ENVELOPE_OVERHEAD = HEADER_BYTES + TAG_BYTES;

export function seal(key: Uint8Array, plaintext: Uint8Array, ad: AssociatedData): Buffer {
  assertKey(key);
  const nonce = randomBytes(NONCE_BYTES);
  const [body, tag] = xchachaSeal(key, nonce, plaintext, encodeAd('envelope', ENVELOPE_VERSION, ad));
  return Buffer.concat([Buffer.of(ENVELOPE_VERSION), nonce, body, tag], ENVELOPE_OVERHEAD + body.length);
}

/** The plaintext, or DecryptionError for a wrong key, altered bytes, or another (user, location, kind). */
export function open(key: Uint8Array, blob: Uint8Array, ad: AssociatedData): Buffer {
  assertKey(key);
  if (blob.length < ENVELOPE_OVERHEAD) throw new DecryptionError(`sealed value too short (${blob.length} bytes)`);
  if (blob[0] !== ENVELOPE_VERSION) throw new DecryptionError(`unknown envelope version ${blob[0]}`);
  const plain = xchachaOpen(key, blob.subarray(1, HEADER_BYTES), blob.subarray(HEADER_BYTES), encodeAd('envelope', ENVELOPE_VERSION, ad));
  if (plain === undefined) throw new DecryptionError();
  return plain;
}
