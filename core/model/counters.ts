import type { Db, Tree } from '../db/index.js';
import { decode, encode } from '../util/codec.js';

export interface ObjectCounts {
  objects: bigint;
  bytes: bigint;
  /** Versions being uploaded (simple PUTs in flight and multipart uploads). */
  unfinishedUploads: bigint;
}

const ZERO: ObjectCounts = { objects: 0n, bytes: 0n, unfinishedUploads: 0n };

/**
 * Per-bucket object counters, kept exact by the object table's `updated` hook in the
 * same transaction as each change. Local to this node (a cluster will replicate them
 * per node as Garage's counter tables do).
 */
export class BucketCounters {
  private readonly tree: Tree;

  constructor(db: Db) {
    this.tree = db.tree('counter:bucket_object');
  }

  get(bucketId: Uint8Array): ObjectCounts {
    const raw = this.tree.get(bucketId);
    return raw ? decode<ObjectCounts>(raw) : ZERO;
  }

  /** Applies the difference between an object's counts before and after a change. */
  addInTransaction(bucketId: Uint8Array, before: ObjectCounts, after: ObjectCounts): void {
    if (before.objects === after.objects && before.bytes === after.bytes && before.unfinishedUploads === after.unfinishedUploads) return;
    const c = this.get(bucketId);
    this.tree.put(
      bucketId,
      encode({
        objects: c.objects + after.objects - before.objects,
        bytes: c.bytes + after.bytes - before.bytes,
        unfinishedUploads: c.unfinishedUploads + after.unfinishedUploads - before.unfinishedUploads,
      }),
    );
  }
}
