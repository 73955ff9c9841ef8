import type { BlockManager } from '../block/index.js';
import type { Db } from '../db/index.js';
import { Table } from '../table/index.js';
import { bucketAliasSchema, type BucketAliasEntry } from './alias-table.js';
import { blockRefSchema, type BlockRefEntry } from './block-ref-table.js';
import { bucketSchema, type BucketEntry } from './bucket-table.js';
import { BucketCounters } from './counters.js';
import { keySchema, type KeyEntry } from './key-table.js';
import { mpuSchema, type MpuEntry } from './mpu-table.js';
import { objectSchema, type ObjectEntry } from './object-table.js';
import { versionSchema, type VersionEntry } from './version-table.js';

/** Every table of the model, wired so that deletions cascade inside one transaction. */
export class Tables {
  readonly buckets: Table<BucketEntry>;
  readonly keys: Table<KeyEntry>;
  readonly aliases: Table<BucketAliasEntry>;
  readonly blockRefs: Table<BlockRefEntry>;
  readonly versions: Table<VersionEntry>;
  readonly mpus: Table<MpuEntry>;
  readonly objects: Table<ObjectEntry>;
  readonly counters: BucketCounters;

  constructor(db: Db, blocks: BlockManager) {
    this.buckets = new Table(db, bucketSchema);
    this.keys = new Table(db, keySchema);
    this.aliases = new Table(db, bucketAliasSchema);
    this.blockRefs = new Table(db, blockRefSchema(blocks));
    this.versions = new Table(db, versionSchema(this.blockRefs));
    this.mpus = new Table(db, mpuSchema(this.versions));
    this.counters = new BucketCounters(db);
    this.objects = new Table(db, objectSchema({ versions: this.versions, mpus: this.mpus, counters: this.counters }));
  }
}
