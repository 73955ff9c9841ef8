import { createHash, randomBytes, webcrypto } from 'node:crypto';

export function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

/** Below this size WebCrypto's per-call overhead exceeds the hashing it moves off the main thread. */
const ASYNC_HASH_MIN = 256 * 1024;

/** SHA-256 of large data on the thread pool (so it overlaps with the event loop's work), of small data inline. */
export async function sha256Async(data: Uint8Array): Promise<Buffer> {
  if (data.length < ASYNC_HASH_MIN) return sha256(data);
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', data));
}

export function md5(data: Uint8Array | string): Buffer {
  return createHash('md5').update(data).digest();
}

/** A random 32-byte identifier (bucket ids, version uuids, upload ids). */
export function randomId(): Buffer {
  return randomBytes(32);
}
