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

  /** Reads the committed value, or inside a transaction the value it wrote. */
  get(key: Uint8Array): Buffer | undefined {
    const k = asBuffer(key);
    const pending = this.owner.pendingWrites(this)?.get(k.toString('latin1'));
    if (pending !== undefined) return pending ?? undefined;
    return this.store.getBinary(k);
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.owner.pendingWritesOrThrow(this).set(asBuffer(key).toString('latin1'), Buffer.from(value));
  }

  remove(key: Uint8Array): void {
    this.owner.pendingWritesOrThrow(this).set(asBuffer(key).toString('latin1'), null);
  }

  /** Applies a transaction's buffered writes; called by Db inside LMDB's write transaction. */
  flush(writes: Map<string, Buffer | null>): void {
    for (const [key, value] of writes) {
      const k = Buffer.from(key, 'latin1');
      if (value === null) this.store.removeSync(k);
      else this.store.putSync(k, value);
    }
  }

  /**
   * Committed entries in byte order of their keys (reverse: descending, `start` is then
   * the upper bound). Writes of a transaction still running are not seen.
   */
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

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The metadata database: named trees in one LMDB environment. LMDB's batched
 * asynchronous commits do not roll back a callback that throws, so a transaction's
 * writes are buffered and applied only when its function returns.
 */
export class Db {
  private readonly trees = new Map<string, Tree>();
  private pending: Map<Tree, Map<string, Buffer | null>> | undefined;

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
      if (this.pending) throw new Error('nested transaction');
      const writes = new Map<Tree, Map<string, Buffer | null>>();
      this.pending = writes;
      let value: T;
      try {
        value = fn();
      } finally {
        this.pending = undefined;
      }
      for (const [tree, treeWrites] of writes) tree.flush(treeWrites);
      return value;
    });
    if (this.fsync) await this.root.flushed;
    return result;
  }

  pendingWrites(tree: Tree): Map<string, Buffer | null> | undefined {
    return this.pending?.get(tree);
  }

  pendingWritesOrThrow(tree: Tree): Map<string, Buffer | null> {
    if (!this.pending) throw new Error(`write to tree ${tree.name} outside a transaction`);
    let writes = this.pending.get(tree);
    if (!writes) {
      writes = new Map();
      this.pending.set(tree, writes);
    }
    return writes;
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
