import type { BlockManager } from '../block/index.js';
import { mergeBool } from '../crdt/index.js';
import type { TableSchema } from '../table/index.js';

/** One reference from a version to a data block; the block's refcount follows these entries. */
export interface BlockRefEntry {
  block: Buffer;
  version: Buffer;
  deleted: boolean;
}

export function blockRefSchema(blocks: BlockManager): TableSchema<BlockRefEntry> {
  return {
    name: 'block_ref',
    partitionKey: (e) => e.block,
    sortKey: (e) => e.version,
    merge: (a, b) => ({ block: a.block, version: a.version, deleted: mergeBool(a.deleted, b.deleted) }),
    updated(old, merged) {
      const wasLive = old !== undefined && !old.deleted;
      if (!wasLive && !merged.deleted) blocks.incrementInTransaction(merged.block);
      else if (wasLive && merged.deleted) blocks.decrementInTransaction(merged.block);
    },
  };
}
