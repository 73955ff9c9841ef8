import { compareValues, mergeBool } from '../crdt/index.js';
import { Table, type TableSchema } from '../table/index.js';
import type { BlockRefEntry } from './block-ref-table.js';

/** One data block of a version, at byte `offset` of part `part` (0 for a simple PUT). */
export interface VersionBlock {
  part: number;
  offset: number;
  hash: Buffer;
  size: number;
}

export type VersionBacklink = { object: { bucketId: Buffer; key: string } } | { upload: { uploadId: Buffer } };

/** The block list of an object version or of an uploaded part. */
export interface VersionEntry {
  uuid: Buffer;
  deleted: boolean;
  /** Sorted by (part, offset); emptied once deleted. */
  blocks: VersionBlock[];
  backlink: VersionBacklink;
}

function compareBlockPosition(a: VersionBlock, b: VersionBlock): number {
  return a.part - b.part || a.offset - b.offset;
}

function maxByValue<T>(a: T, b: T): T {
  return compareValues(a, b) >= 0 ? a : b;
}

/** Union of two block lists by position; two different blocks at one position (never expected) keep the greater. */
function mergeBlocks(a: VersionBlock[], b: VersionBlock[]): VersionBlock[] {
  const out: VersionBlock[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const c = i >= a.length ? 1 : j >= b.length ? -1 : compareBlockPosition(a[i]!, b[j]!);
    if (c < 0) out.push(a[i++]!);
    else if (c > 0) out.push(b[j++]!);
    else out.push(maxByValue(a[i++]!, b[j++]!));
  }
  return out;
}

export function mergeVersion(a: VersionEntry, b: VersionEntry): VersionEntry {
  const deleted = mergeBool(a.deleted, b.deleted);
  return {
    uuid: a.uuid,
    deleted,
    blocks: deleted ? [] : mergeBlocks(a.blocks, b.blocks),
    backlink: maxByValue(a.backlink, b.backlink),
  };
}

export function deletedVersion(uuid: Buffer, backlink: VersionBacklink): VersionEntry {
  return { uuid, deleted: true, blocks: [], backlink };
}

/** Deleting a version deletes its block references, hence decrements the blocks' refcounts. */
export function versionSchema(blockRefs: Table<BlockRefEntry>): TableSchema<VersionEntry> {
  return {
    name: 'version',
    partitionKey: (e) => e.uuid,
    sortKey: () => Buffer.alloc(0),
    merge: mergeVersion,
    updated(old, merged) {
      if (!merged.deleted || old === undefined || old.deleted) return;
      for (const b of old.blocks) blockRefs.applyInTransaction({ block: b.hash, version: merged.uuid, deleted: true });
    },
  };
}
