import type { BlockManager } from '../block/index.js';
import type { Db } from '../db/index.js';
import type { Config } from '../util/config.js';
import { BlockCache } from './block-cache.js';
import { BlockHasher } from './hasher.js';
import type { BucketQuotas, WebsiteConfig } from './bucket-table.js';
import { Buckets, type BucketInfo, type PermFlags } from './buckets.js';
import type { ModelContext } from './context.js';
import { Keys, type KeyInfo } from './keys.js';
import { Lifecycle } from './lifecycle.js';
import { Multipart } from './multipart.js';
import { Mutex } from './mutex.js';
import { Objects } from './objects.js';
import { Tables } from './tables.js';

export type { BucketInfo, BucketKeyInfo, LiveBucket, PermFlags } from './buckets.js';
export type { BucketQuotas, LifecycleRule, WebsiteConfig } from './bucket-table.js';
export type { KeyBucketInfo, KeyInfo } from './keys.js';
export { ModelError, type ModelErrorCode } from './errors.js';
export type { LifecycleResult } from './lifecycle.js';

/** Blocks up to this size (small objects) are kept in memory once stored or read... */
const CACHED_BLOCK_MAX = 64 * 1024;
/** ...up to this many bytes in all. */
const CACHE_BYTES = 32 * 1024 * 1024;

export interface ModelOptions {
  db: Db;
  blocks: BlockManager;
  config: Config;
}

/**
 * The storage model of one node: buckets, access keys and objects over the tables.
 * The admin API and CLI use the methods below; the S3 API also uses `buckets`,
 * `keys`, `objects` and `multipart` directly.
 */
export class Model {
  readonly tables: Tables;
  readonly buckets: Buckets;
  readonly keys: Keys;
  readonly objects: Objects;
  readonly multipart: Multipart;
  readonly lifecycle: Lifecycle;
  readonly config: Config;

  constructor(options: ModelOptions) {
    this.config = options.config;
    this.tables = new Tables(options.db, options.blocks);
    const ctx: ModelContext = { ...options, tables: this.tables, lock: new Mutex(), cache: new BlockCache(CACHED_BLOCK_MAX, CACHE_BYTES), hasher: new BlockHasher() };
    this.buckets = new Buckets(ctx);
    this.keys = new Keys(ctx);
    this.objects = new Objects(ctx);
    this.multipart = new Multipart(ctx);
    this.lifecycle = new Lifecycle(ctx);
  }

  createKey(name: string): Promise<KeyInfo> {
    return this.keys.create(name);
  }

  importKey(id: string, secret: string, name: string): Promise<KeyInfo> {
    return this.keys.import(id, secret, name);
  }

  async listKeys(): Promise<KeyInfo[]> {
    return this.keys.list();
  }

  /** By exact id, unique name, or unique id prefix. */
  async getKey(idOrName: string): Promise<KeyInfo | undefined> {
    const key = this.keys.find(idOrName);
    return key && this.keys.info(key);
  }

  deleteKey(id: string): Promise<void> {
    return this.keys.delete(id);
  }

  setKeyAllowCreateBucket(id: string, allow: boolean): Promise<void> {
    return this.keys.setAllowCreateBucket(id, allow);
  }

  /** A new bucket under a global alias (no key has rights on it yet). */
  createBucket(globalAlias: string): Promise<BucketInfo> {
    return this.buckets.create(globalAlias);
  }

  async listBuckets(): Promise<BucketInfo[]> {
    return this.buckets.list();
  }

  /** By 64-hex id, unique id prefix, or global alias. */
  async getBucket(idOrAlias: string): Promise<BucketInfo | undefined> {
    const bucket = this.buckets.find(idOrAlias);
    return bucket && this.buckets.info(bucket);
  }

  /** Deletes an empty bucket (BucketNotEmpty otherwise), its aliases and permissions. */
  deleteBucket(id: string): Promise<void> {
    return this.buckets.delete(id);
  }

  /** Admin UpdateBucket: website access (null: off) and quotas; what is undefined stays as it is. */
  async updateBucket(id: string, update: { website?: WebsiteConfig | null; quotas?: BucketQuotas }): Promise<BucketInfo> {
    const bucketId = Buffer.from(id, 'hex');
    if (update.website !== undefined) await this.buckets.setConfig(bucketId, 'website', update.website);
    if (update.quotas !== undefined) await this.buckets.setConfig(bucketId, 'quotas', update.quotas);
    return (await this.getBucket(id))!;
  }

  /** Grants the flags set to true; the others stay as they are. */
  allowKey(bucketId: string, keyId: string, perms: PermFlags): Promise<void> {
    return this.buckets.allow(bucketId, keyId, perms);
  }

  /** Revokes the flags set to true; the others stay as they are. */
  denyKey(bucketId: string, keyId: string, perms: PermFlags): Promise<void> {
    return this.buckets.deny(bucketId, keyId, perms);
  }
}
