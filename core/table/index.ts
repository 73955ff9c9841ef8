import type { Db, Tree } from '../db/index.js';
import { decode, encode } from '../util/codec.js';
import { CorruptionError } from '../util/errors.js';
import { prefixEnd } from '../util/encoding.js';
import { sha256 } from '../util/hash.js';

/** Number of partitions of the key space; an item's partition is the first byte of hash(partition key). */
export const PARTITION_COUNT = 256;

/** What a table stores: keys of an entry, and the CRDT merge of two versions of it. */
export interface TableSchema<E> {
  readonly name: string;
  partitionKey(entry: E): Uint8Array;
  sortKey(entry: E): Uint8Array;
  /** Commutative, associative, idempotent. */
  merge(a: E, b: E): E;
  /** Called inside the write transaction after an entry changed, for cascades into other tables. */
  updated?(old: E | undefined, merged: E): void;
}

export interface RangeQuery<E> {
  /** Only sort keys starting with these bytes. */
  prefix?: Uint8Array;
  /** First sort key (inclusive; with reverse, the greatest sort key returned). */
  start?: Uint8Array;
  /** Sort key to stop before (exclusive). */
  end?: Uint8Array;
  limit?: number;
  reverse?: boolean;
  filter?: (entry: E) => boolean;
}

/** The place of an item in the key space: its partition and its hashed partition key. */
export function partitionHash(partitionKey: Uint8Array): Buffer {
  return sha256(partitionKey);
}

/**
 * A table of CRDT entries keyed by (partition key, sort key), stored under
 * hash(partition key) ‖ sort key so one partition key's items are contiguous and in
 * byte order of their sort keys. Every write merges with what is stored, in one
 * transaction with the `updated` hook. On one node the replica set is this node; the
 * cluster issue puts quorum calls behind the same insert / get / getRange.
 */
export class Table<E> {
  private readonly tree: Tree;

  constructor(
    private readonly db: Db,
    readonly schema: TableSchema<E>,
  ) {
    this.tree = db.tree(`table:${schema.name}`);
  }

  static partitionOf(partitionKey: Uint8Array): number {
    return partitionHash(partitionKey)[0]!;
  }

  private storageKey(partitionKey: Uint8Array, sortKey: Uint8Array): Buffer {
    return Buffer.concat([partitionHash(partitionKey), sortKey]);
  }

  private decodeEntry(bytes: Uint8Array): E {
    try {
      return decode<E>(bytes);
    } catch (err) {
      throw new CorruptionError(`table ${this.schema.name}: undecodable entry (${(err as Error).message})`);
    }
  }

  /**
   * Merges `entry` into the stored one; must run inside `db.transaction` (hooks and
   * callers that update several tables atomically use it). Returns the merged entry.
   */
  applyInTransaction(entry: E): E {
    const key = this.storageKey(this.schema.partitionKey(entry), this.schema.sortKey(entry));
    const stored = this.tree.get(key);
    const old = stored ? this.decodeEntry(stored) : undefined;
    const merged = old === undefined ? entry : this.schema.merge(old, entry);
    const bytes = encode(merged);
    if (stored && Buffer.compare(stored, bytes) === 0) return merged;
    this.tree.put(key, bytes);
    this.schema.updated?.(old, merged);
    return merged;
  }

  /** Merges `entry` into the table; resolves once the write is durable. */
  insert(entry: E): Promise<E> {
    return this.db.transaction(() => this.applyInTransaction(entry));
  }

  insertMany(entries: readonly E[]): Promise<E[]> {
    return this.db.transaction(() => entries.map((e) => this.applyInTransaction(e)));
  }

  /** Removes an entry outright (tombstone garbage collection); only inside a transaction. */
  removeInTransaction(partitionKey: Uint8Array, sortKey: Uint8Array): void {
    this.tree.remove(this.storageKey(partitionKey, sortKey));
  }

  async get(partitionKey: Uint8Array, sortKey: Uint8Array): Promise<E | undefined> {
    return this.getLocal(partitionKey, sortKey);
  }

  /** Reads this node's copy; also usable inside a transaction. */
  getLocal(partitionKey: Uint8Array, sortKey: Uint8Array): E | undefined {
    const stored = this.tree.get(this.storageKey(partitionKey, sortKey));
    return stored ? this.decodeEntry(stored) : undefined;
  }

  async getRange(partitionKey: Uint8Array, query: RangeQuery<E> = {}): Promise<E[]> {
    const out: E[] = [];
    for (const entry of this.iterateRange(partitionKey, query)) out.push(entry);
    return out;
  }

  /** Entries of one partition key in sort-key byte order (or reverse), lazily. */
  *iterateRange(partitionKey: Uint8Array, query: RangeQuery<E> = {}): Generator<E> {
    const hash = partitionHash(partitionKey);
    const { lower, upper } = this.bounds(hash, query);
    const limit = query.limit ?? Infinity;
    if (limit <= 0) return;
    let count = 0;
    // Reverse scans are bounded by hand: `upper` is exclusive and `lower` inclusive either way.
    const range = query.reverse ? { start: upper, reverse: true } : { start: lower, end: upper };
    for (const { key, value } of this.tree.range(range)) {
      if (query.reverse && Buffer.compare(key, upper) >= 0) continue;
      if (query.reverse && Buffer.compare(key, lower) < 0) break;
      const entry = this.decodeEntry(value);
      if (query.filter && !query.filter(entry)) continue;
      yield entry;
      if (++count >= limit) return;
    }
  }

  /** Byte bounds [lower, upper) of a range query inside one hashed partition key. */
  private bounds(hash: Buffer, query: RangeQuery<E>): { lower: Buffer; upper: Buffer } {
    const prefix = query.prefix ?? new Uint8Array(0);
    const prefixUpper = prefixEnd(Buffer.concat([hash, prefix]))!;
    let lower: Buffer = Buffer.concat([hash, prefix]);
    let upper: Buffer = prefixUpper;
    if (query.reverse) {
      // start is the greatest key returned (inclusive), end the exclusive lower limit.
      if (query.start !== undefined) upper = min(upper, prefixEndInclusive(Buffer.concat([hash, query.start])));
      if (query.end !== undefined) lower = max(lower, prefixEndInclusive(Buffer.concat([hash, query.end])));
    } else {
      if (query.start !== undefined) lower = max(lower, Buffer.concat([hash, query.start]));
      if (query.end !== undefined) upper = min(upper, Buffer.concat([hash, query.end]));
    }
    return { lower, upper };
  }

  /** Every entry of the table, in storage order (partition by partition). */
  *scan(filter?: (entry: E) => boolean): Generator<E> {
    for (const { value } of this.tree.range()) {
      const entry = this.decodeEntry(value);
      if (!filter || filter(entry)) yield entry;
    }
  }
}

/** The key just after `key` in byte order: makes an inclusive bound exclusive. */
function prefixEndInclusive(key: Buffer): Buffer {
  return Buffer.concat([key, Buffer.from([0])]);
}

function min(a: Buffer, b: Buffer): Buffer {
  return Buffer.compare(a, b) <= 0 ? a : b;
}

function max(a: Buffer, b: Buffer): Buffer {
  return Buffer.compare(a, b) >= 0 ? a : b;
}
