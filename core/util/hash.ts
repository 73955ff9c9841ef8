import { createHash, randomBytes } from 'node:crypto';

export function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

export function md5(data: Uint8Array | string): Buffer {
  return createHash('md5').update(data).digest();
}

/** A random 32-byte identifier (bucket ids, version uuids, upload ids). */
export function randomId(): Buffer {
  return randomBytes(32);
}
