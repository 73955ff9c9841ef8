/** Opens per-bucket storage ports on the core running in this process. */
import type { Model } from '../model/index.js';
import type { K2vService } from '../model/k2v/index.js';
import { EmbeddedBlobStore } from './embedded-blob.js';
import { EmbeddedK2vStore } from './embedded-k2v.js';
import type { BlobStore, K2vStore } from './port.js';

export interface EmbeddedCore {
  model: Model;
  k2v: K2vService;
}

export interface BucketStorage {
  k2v: K2vStore;
  blobs: BlobStore;
}

/**
 * The storage of bucket `name` (its global alias) through direct calls, creating the
 * bucket on first use: mail users get their bucket when they first log in or receive mail.
 */
export async function openEmbeddedBucket(core: EmbeddedCore, name: string): Promise<BucketStorage> {
  let bucket = await core.model.getBucket(name);
  if (!bucket) {
    try {
      bucket = await core.model.createBucket(name);
    } catch (err) {
      // Two first uses at once: the other one created it.
      bucket = await core.model.getBucket(name);
      if (!bucket) throw err;
    }
  }
  const id = Buffer.from(bucket.id, 'hex');
  return { k2v: new EmbeddedK2vStore(core.k2v, id), blobs: new EmbeddedBlobStore(core.model.objects, id) };
}
