import { compareValues } from '../crdt/index.js';
import { Table, type TableSchema } from '../table/index.js';
import type { BucketCounters, ObjectCounts } from './counters.js';
import type { MpuEntry } from './mpu-table.js';
import { deletedVersion, type VersionEntry } from './version-table.js';

/** S3's limit on key length, in UTF-8 bytes (longer keys cannot exist, so reads need not look). */
export const MAX_KEY_BYTES = 1024;

/** The S3 checksum algorithms an object can carry. */
export type ChecksumAlgorithm = 'crc32' | 'crc32c' | 'sha1' | 'sha256';

export interface ObjectChecksum {
  algorithm: ChecksumAlgorithm;
  /** Base64 of the digest; multipart composites end in "-<parts>". */
  value: string;
}

/** Stored response headers: lower-case name and value, in a stable order. */
export type ObjectHeaders = [name: string, value: string][];

export interface ObjectMeta {
  size: number;
  /** Hex MD5 (or "<hex>-<parts>"), unquoted. */
  etag: string;
  headers: ObjectHeaders;
  checksum: ObjectChecksum | null;
}

export type ObjectVersionData =
  | { deleteMarker: true }
  | { inline: { meta: ObjectMeta; bytes: Buffer } }
  | { firstBlock: { meta: ObjectMeta; hash: Buffer } };

export interface UploadingState {
  multipart: boolean;
  headers: ObjectHeaders;
  checksumAlgorithm: ChecksumAlgorithm | null;
}

export type ObjectVersionState = { uploading: UploadingState } | { complete: ObjectVersionData } | { aborted: true };

export interface ObjectVersion {
  uuid: Buffer;
  /** Milliseconds; strictly after every version seen when it was created. */
  ts: bigint;
  state: ObjectVersionState;
}

export interface ObjectEntry {
  bucketId: Buffer;
  key: string;
  /** Sorted by (ts, uuid). */
  versions: ObjectVersion[];
}

function stateRank(s: ObjectVersionState): number {
  return 'aborted' in s ? 2 : 'complete' in s ? 1 : 0;
}

/** Aborted absorbs everything, Complete beats Uploading, equal kinds keep the greater value. */
export function mergeVersionState(a: ObjectVersionState, b: ObjectVersionState): ObjectVersionState {
  const ra = stateRank(a);
  const rb = stateRank(b);
  if (ra !== rb) return ra > rb ? a : b;
  return compareValues(a, b) >= 0 ? a : b;
}

function compareVersions(a: ObjectVersion, b: ObjectVersion): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  return Buffer.compare(a.uuid, b.uuid);
}

/** Union of versions; then every version older than the newest complete one is dropped. */
export function mergeObject(a: ObjectEntry, b: ObjectEntry): ObjectEntry {
  const all = [...a.versions, ...b.versions].sort(compareVersions);
  const versions: ObjectVersion[] = [];
  for (const v of all) {
    const last = versions[versions.length - 1];
    if (last && compareVersions(last, v) === 0) versions[versions.length - 1] = { uuid: v.uuid, ts: v.ts, state: mergeVersionState(last.state, v.state) };
    else versions.push(v);
  }
  let lastComplete = -1;
  versions.forEach((v, i) => {
    if ('complete' in v.state) lastComplete = i;
  });
  return { bucketId: a.bucketId, key: a.key, versions: lastComplete > 0 ? versions.slice(lastComplete) : versions };
}

/** The version a GET sees: the newest complete one, unless it is a delete marker. */
export function currentVersion(entry: ObjectEntry | undefined): (ObjectVersion & { data: Exclude<ObjectVersionData, { deleteMarker: true }> }) | undefined {
  if (!entry) return undefined;
  for (let i = entry.versions.length - 1; i >= 0; i--) {
    const v = entry.versions[i]!;
    if (!('complete' in v.state)) continue;
    const data = v.state.complete;
    return 'deleteMarker' in data ? undefined : { ...v, data };
  }
  return undefined;
}

export function metaOf(data: Exclude<ObjectVersionData, { deleteMarker: true }>): ObjectMeta {
  return 'inline' in data ? data.inline.meta : data.firstBlock.meta;
}

export function maxVersionTs(entry: ObjectEntry | undefined): bigint | undefined {
  return entry?.versions[entry.versions.length - 1]?.ts;
}

/** Counts of one object entry, as they feed the bucket counters. */
function countsOf(entry: ObjectEntry | undefined): ObjectCounts {
  const current = currentVersion(entry);
  const uploads = entry?.versions.filter((v) => 'uploading' in v.state).length ?? 0;
  return {
    objects: current ? 1n : 0n,
    bytes: current ? BigInt(metaOf(current.data).size) : 0n,
    unfinishedUploads: BigInt(uploads),
  };
}

/** What outlives a version and must go with it: its version entry, or its upload. */
function storageOf(v: ObjectVersion): 'version' | 'upload' | undefined {
  if ('uploading' in v.state) return v.state.uploading.multipart ? 'upload' : 'version';
  if ('complete' in v.state && 'firstBlock' in v.state.complete) return 'version';
  return undefined;
}

export interface ObjectCascadeTargets {
  versions: Table<VersionEntry>;
  mpus: Table<MpuEntry>;
  counters: BucketCounters;
}

/**
 * Keeps the bucket counters exact and cascades deletions in the same transaction: a
 * version that was superseded or aborted deletes its version entry (hence its block
 * references), an upload that was completed or aborted deletes its multipart entry.
 */
export function objectSchema(targets: ObjectCascadeTargets): TableSchema<ObjectEntry> {
  return {
    name: 'object',
    partitionKey: (e) => e.bucketId,
    sortKey: (e) => Buffer.from(e.key, 'utf8'),
    merge: mergeObject,
    updated(old, merged) {
      targets.counters.addInTransaction(merged.bucketId, countsOf(old), countsOf(merged));
      for (const v of old?.versions ?? []) {
        const storage = storageOf(v);
        if (storage === undefined) continue;
        const now = merged.versions.find((m) => m.uuid.equals(v.uuid));
        const gone = now === undefined || 'aborted' in now.state;
        if (storage === 'version' && gone) {
          targets.versions.applyInTransaction(deletedVersion(v.uuid, { object: { bucketId: merged.bucketId, key: merged.key } }));
        } else if (storage === 'upload' && (gone || 'complete' in now.state)) {
          const mpu = targets.mpus.getLocal(v.uuid, Buffer.alloc(0));
          if (mpu && !mpu.deleted) targets.mpus.applyInTransaction({ ...mpu, deleted: true, parts: [] });
        }
      }
    },
  };
}
