/** X25519 on Node's native implementation, with keys as raw 32-byte buffers. */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CryptoFormatError, DecryptionError } from './errors.js';

export const X25519_KEY_BYTES = 32;

// DER prefixes of PKCS#8 / SPKI for X25519 (RFC 8410): raw key bytes follow them.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export interface X25519KeyPair {
  publicKey: Buffer;
  secretKey: Buffer;
}

function checkLength(key: Uint8Array, what: string): void {
  if (key.length !== X25519_KEY_BYTES) throw new CryptoFormatError(`an X25519 ${what} key has ${X25519_KEY_BYTES} bytes, got ${key.length}`);
}

function privateKeyObject(secret: Uint8Array): KeyObject {
  checkLength(secret, 'secret');
  const der = Buffer.concat([PKCS8_PREFIX, secret]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

function publicKeyObject(pub: Uint8Array): KeyObject {
  checkLength(pub, 'public');
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' });
}

function rawPublic(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
}

export function generateX25519(): X25519KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  const secretKey = Buffer.from(der.subarray(PKCS8_PREFIX.length));
  der.fill(0);
  return { publicKey: rawPublic(publicKey), secretKey };
}

export function x25519PublicKey(secret: Uint8Array): Buffer {
  return rawPublic(createPublicKey(privateKeyObject(secret)));
}

/** The shared secret; DecryptionError for a low-order public key (all-zero result). */
export function x25519(secret: Uint8Array, peerPublic: Uint8Array): Buffer {
  const priv = privateKeyObject(secret);
  const pub = publicKeyObject(peerPublic);
  try {
    return diffieHellman({ privateKey: priv, publicKey: pub });
  } catch {
    // OpenSSL refuses to return the all-zero secret of a low-order point.
    throw new DecryptionError('X25519 key agreement failed: invalid public key');
  }
}
