/**
 * Anonymous sealed boxes to an X25519 public key, for delivery to a user who is not
 * logged in (LMTP seals the message key this way; only the user's secret key opens it).
 *
 * box = ephemeral public key(32) ‖ XChaCha20-Poly1305(plaintext)
 * key ‖ nonce = HKDF-SHA256(X25519(ephemeral secret, recipient public),
 *                           salt = ephemeral public ‖ recipient public, info, 56 bytes)
 * The key is fresh per box, so the derived nonce never repeats under it.
 */
import { hkdfSync } from 'node:crypto';
import { KEY_BYTES, NONCE_BYTES, TAG_BYTES, xchachaOpen, xchachaSeal } from './aead.js';
import { encodeAd, type AssociatedData } from './ad.js';
import { DecryptionError } from './errors.js';
import { generateX25519, x25519, X25519_KEY_BYTES, type X25519KeyPair } from './x25519.js';

const SEALED_BOX_VERSION = 1;
const INFO = Buffer.from('aerogramme sealed-box v1', 'utf8');
/** Bytes a sealed box adds to its plaintext. */
export const SEALED_BOX_OVERHEAD = X25519_KEY_BYTES + TAG_BYTES;

function boxKey(shared: Buffer, ephemeralPublic: Uint8Array, recipientPublic: Uint8Array): { key: Buffer; nonce: Buffer } {
  const okm = Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralPublic, recipientPublic]), INFO, KEY_BYTES + NONCE_BYTES));
  shared.fill(0);
  return { key: okm.subarray(0, KEY_BYTES), nonce: okm.subarray(KEY_BYTES) };
}

export function sealToPublicKey(recipientPublic: Uint8Array, plaintext: Uint8Array, ad: AssociatedData): Buffer {
  const eph = generateX25519();
  const { key, nonce } = boxKey(x25519(eph.secretKey, recipientPublic), eph.publicKey, recipientPublic);
  eph.secretKey.fill(0);
  try {
    return Buffer.concat([eph.publicKey, ...xchachaSeal(key, nonce, plaintext, encodeAd('sealed-box', SEALED_BOX_VERSION, ad))]);
  } finally {
    key.fill(0);
  }
}

/** The plaintext, or DecryptionError when the box is not for this key pair, altered, or for another place. */
export function openSealedBox(recipient: X25519KeyPair, box: Uint8Array, ad: AssociatedData): Buffer {
  if (box.length < SEALED_BOX_OVERHEAD) throw new DecryptionError(`sealed box too short (${box.length} bytes)`);
  const ephemeralPublic = box.subarray(0, X25519_KEY_BYTES);
  const { key, nonce } = boxKey(x25519(recipient.secretKey, ephemeralPublic), ephemeralPublic, recipient.publicKey);
  try {
    const plain = xchachaOpen(key, nonce, box.subarray(X25519_KEY_BYTES), encodeAd('sealed-box', SEALED_BOX_VERSION, ad));
    if (plain === undefined) throw new DecryptionError();
    return plain;
  } finally {
    key.fill(0);
  }
}
