import { mkdirSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';

export interface DbOptions {
  path: string;
  /** Wait for fsync before a transaction resolves (default true): the durability of every acknowledged write. */
  fsync: boolean;
  mapSize?: number;
}

export interface RangeOptions {
  /** Inclusive lower bound (upper bound when reverse). */
  start?: Uint8Array;
  /** Exclusive bound. */
  end?: Uint8Array;
  reverse?: boolean;
  limit?: number;
}

export interface Entry {
  key: Buffer;
  value: Buffer;
}

/**
 * One named tree: byte keys, byte values, kept in byte order. Writes are only allowed
 * inside `Db.transaction`, so every multi-tree change is atomic.
 */
export class Tree {
  constructor(
    private readonly owner: Db,
    private readonly store: Database<Buffer, Buffer>,
    readonly name: string,
  ) {}

  get(key: Uint8Array): Buffer | undefined {
    return this.store.getBinary(Buffer.from(key.buffer, key.byteOffset, key.byteLength));
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.owner.assertInTransaction(this.name);
    this.store.putSync(Buffer.from(key.buffer, key.byteOffset, key.byteLength), Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }

  remove(key: Uint8Array): void {
    this.owner.assertInTransaction(this.name);
    this.store.removeSync(Buffer.from(key.buffer, key.byteOffset, key.byteLength));
  }

  /** Entries in byte order of their keys (reverse: descending, `start` is then the upper bound). */
  *range(options: RangeOptions = {}): Generator<Entry> {
    const { start, end, reverse = false, limit } = options;
    const iter = this.store.getRange({
      ...(start !== undefined ? { start: Buffer.from(start) } : {}),
      ...(end !== undefined ? { end: Buffer.from(end) } : {}),
      reverse,
      ...(limit !== undefined ? { limit } : {}),
    });
    for (const { key, value } of iter) yield { key, value };
  }

  count(options: Omit<RangeOptions, 'limit' | 'reverse'> = {}): number {
    return this.store.getCount({
      ...(options.start !== undefined ? { start: Buffer.from(options.start) } : {}),
      ...(options.end !== undefined ? { end: Buffer.from(options.end) } : {}),
    });
  }
}

/** The metadata database: named trees in one LMDB environment. */
export class Db {
  private readonly trees = new Map<string, Tree>();
  private depth = 0;

  private constructor(
    private readonly root: RootDatabase,
    private readonly fsync: boolean,
  ) {}

  static open(options: DbOptions): Db {
    mkdirSync(options.path, { recursive: true, mode: 0o700 });
    const root = open({
      path: options.path,
      maxDbs: 64,
      mapSize: options.mapSize ?? 64 * 1024 ** 3,
      noSync: !options.fsync,
      encoding: 'binary',
      keyEncoding: 'binary',
    });
    return new Db(root, options.fsync);
  }

  tree(name: string): Tree {
    let tree = this.trees.get(name);
    if (!tree) {
      const store = this.root.openDB<Buffer, Buffer>(name, { encoding: 'binary', keyEncoding: 'binary' });
      tree = new Tree(this, store, name);
      this.trees.set(name, tree);
    }
    return tree;
  }

  /**
   * Runs `fn` (synchronous: reads see its own writes) in one write transaction and
   * resolves once the commit is durable. Concurrent calls are batched into one commit,
   * so many small writes share an fsync.
   */
  async transaction<T>(fn: () => T): Promise<T> {
    const result = await this.root.transaction(() => {
      this.depth++;
      try {
        return fn();
      } finally {
        this.depth--;
      }
    });
    if (this.fsync) await this.root.flushed;
    return result;
  }

  /** True while a transaction callback runs (table hooks use it to join the caller's transaction). */
  get inTransaction(): boolean {
    return this.depth > 0;
  }

  assertInTransaction(tree: string): void {
    if (this.depth === 0) throw new Error(`write to tree ${tree} outside a transaction`);
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
