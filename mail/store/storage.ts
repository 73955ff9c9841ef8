/** The storage a user's mail lives in: their bucket, through the storage port. */
import type { BlobStore, K2vStore } from '../../core/client/index.js';
import type { StorageSettings } from '../user/provider.js';

export interface UserStorage {
  k2v: K2vStore;
  blobs: BlobStore;
}

/** Opens the storage of a user's bucket (the server wires it to the embedded or HTTP port). */
export type StorageResolver = (settings: StorageSettings) => UserStorage | Promise<UserStorage>;
