import type { BlockManager } from '../block/index.js';
import type { Db } from '../db/index.js';
import type { Config } from '../util/config.js';
import type { BlockCache } from './block-cache.js';
import type { BlockHasher } from './hasher.js';
import type { Mutex } from './mutex.js';
import type { Tables } from './tables.js';

/** What the model's parts share. */
export interface ModelContext {
  db: Db;
  blocks: BlockManager;
  /** Small blocks in memory, in front of `blocks` on the read path. */
  cache: BlockCache;
  /** Hashes the blocks of large uploads off the event loop. */
  hasher: BlockHasher;
  config: Config;
  tables: Tables;
  /** Serialises bucket and key mutations. */
  lock: Mutex;
}
