import type { KeyParams } from './key-table.js';

/** A key's rights on a bucket, stored on both sides (bucket and key entries) for fast lookups. */
export interface BucketKeyPerm {
  ts: bigint;
  read: boolean;
  write: boolean;
  owner: boolean;
}

/** Newer timestamp wins; at equal timestamps the most restrictive combination (AND) wins. */
export function mergePerm(a: BucketKeyPerm, b: BucketKeyPerm): BucketKeyPerm {
  if (a.ts !== b.ts) return a.ts > b.ts ? a : b;
  return { ts: a.ts, read: a.read && b.read, write: a.write && b.write, owner: a.owner && b.owner };
}

export function isAuthorized(perm: BucketKeyPerm | undefined): perm is BucketKeyPerm {
  return perm !== undefined && (perm.read || perm.write || perm.owner);
}

/** A key's rights on a bucket (none when it has no entry). */
export function rightsOn(key: { state: { present: KeyParams } }, bucket: { id: Buffer }): { read: boolean; write: boolean; owner: boolean } {
  const perm = key.state.present.authorizedBuckets.find(([id]) => id === bucket.id.toString('hex'))?.[1];
  return { read: perm?.read ?? false, write: perm?.write ?? false, owner: perm?.owner ?? false };
}
