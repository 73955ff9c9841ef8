import { compareValues, mergeBool } from '../crdt/index.js';
import { Table, type TableSchema } from '../table/index.js';
import { deletedVersion, type VersionEntry } from './version-table.js';

/**
 * One upload of a part. A retried part number gets a new entry (a later `ts`); the
 * newest one with an etag is the one CompleteMultipartUpload uses.
 */
export interface MpuPart {
  part: number;
  ts: bigint;
  version: Buffer;
  /** Set once the part's data is stored (hex MD5, unquoted). */
  etag: string | null;
  size: number | null;
  /** Base64 of the part's checksum when the upload asked for one. */
  checksum: string | null;
}

export interface MpuEntry {
  uploadId: Buffer;
  ts: bigint;
  deleted: boolean;
  /** Sorted by (part, ts); emptied once deleted. */
  parts: MpuPart[];
  bucketId: Buffer;
  key: string;
}

function orNull<T>(a: T | null, b: T | null): T | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareValues(a, b) >= 0 ? a : b;
}

function mergePart(a: MpuPart, b: MpuPart): MpuPart {
  return {
    part: a.part,
    ts: a.ts,
    version: compareValues(a.version, b.version) >= 0 ? a.version : b.version,
    etag: orNull(a.etag, b.etag),
    size: orNull(a.size, b.size),
    checksum: orNull(a.checksum, b.checksum),
  };
}

function mergeParts(a: MpuPart[], b: MpuPart[]): MpuPart[] {
  const byKey = new Map<string, MpuPart>();
  for (const p of [...a, ...b]) {
    const k = `${p.part}:${p.ts}`;
    const prev = byKey.get(k);
    byKey.set(k, prev ? mergePart(prev, p) : p);
  }
  return [...byKey.values()].sort((x, y) => x.part - y.part || (x.ts < y.ts ? -1 : x.ts > y.ts ? 1 : 0));
}

export function mergeMpu(a: MpuEntry, b: MpuEntry): MpuEntry {
  const deleted = mergeBool(a.deleted, b.deleted);
  return {
    uploadId: a.uploadId,
    ts: a.ts > b.ts ? a.ts : b.ts,
    deleted,
    parts: deleted ? [] : mergeParts(a.parts, b.parts),
    bucketId: a.bucketId,
    key: a.key,
  };
}

/** The newest stored upload of each part number (ascending), skipping parts still in flight. */
export function latestParts(mpu: MpuEntry): MpuPart[] {
  const byNumber = new Map<number, MpuPart>();
  for (const p of mpu.parts) if (p.etag !== null) byNumber.set(p.part, p);
  return [...byNumber.values()];
}

/** A finished or aborted upload takes the versions of all its parts with it. */
export function mpuSchema(versions: Table<VersionEntry>): TableSchema<MpuEntry> {
  return {
    name: 'mpu',
    partitionKey: (e) => e.uploadId,
    sortKey: () => Buffer.alloc(0),
    merge: mergeMpu,
    updated(old, merged) {
      if (!merged.deleted || old === undefined || old.deleted) return;
      const backlink = { upload: { uploadId: merged.uploadId } };
      for (const p of old.parts) versions.applyInTransaction(deletedVersion(p.version, backlink));
    },
  };
}
