import { mergeCrdtMap, mergeDeletable, mergeLww, mergeLwwMap, type CrdtMap, type Deletable, type Lww, type LwwMap } from '../crdt/index.js';
import type { TableSchema } from '../table/index.js';
import { mergePerm, type BucketKeyPerm } from './permission.js';

export interface KeyParams {
  /** 64 hex chars; set once at creation. */
  secret: string;
  name: Lww<string>;
  allowCreateBucket: Lww<boolean>;
  /** Bucket id (hex) → rights (mirrored in the bucket entries). */
  authorizedBuckets: CrdtMap<BucketKeyPerm>;
  /** The key's private bucket namespace: alias → bucket id (hex), null once removed. */
  localAliases: LwwMap<string | null>;
}

export interface KeyEntry {
  /** "GK" + 24 hex chars. */
  id: string;
  state: Deletable<KeyParams>;
}

export function mergeKeyParams(a: KeyParams, b: KeyParams): KeyParams {
  return {
    secret: a.secret >= b.secret ? a.secret : b.secret,
    name: mergeLww(a.name, b.name),
    allowCreateBucket: mergeLww(a.allowCreateBucket, b.allowCreateBucket),
    authorizedBuckets: mergeCrdtMap(a.authorizedBuckets, b.authorizedBuckets, mergePerm),
    localAliases: mergeLwwMap(a.localAliases, b.localAliases),
  };
}

export function mergeKey(a: KeyEntry, b: KeyEntry): KeyEntry {
  return { id: a.id, state: mergeDeletable(a.state, b.state, mergeKeyParams) };
}

export const keySchema: TableSchema<KeyEntry> = {
  name: 'key',
  partitionKey: () => Buffer.alloc(0),
  sortKey: (e) => Buffer.from(e.id, 'utf8'),
  merge: mergeKey,
};

export const KEY_ID_PATTERN = /^GK[0-9a-f]{24}$/;
export const SECRET_PATTERN = /^[0-9a-f]{64}$/;
