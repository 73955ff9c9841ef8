/**
 * The K2V model: items as dotted version vector sets with causality tokens, per
 * partition-key counters, and long polls. Used by the HTTP API and, in-process, by the
 * embedded storage port. On one node this node coordinates every write; the cluster
 * issue routes writes to a replica of the partition behind the same methods.
 */
import { clockGt, dvvsClock, dvvsWrite, type VectorClock } from '../../crdt/dvvs.js';
import type { Db } from '../../db/index.js';
import { Table } from '../../table/index.js';
import { toHex, utf8 } from '../../util/encoding.js';
import { decodeToken, k2vNodeId } from './causality.js';
import { countChange, counterTotals, isZero, k2vCounterSchema, type K2vCounterEntry } from './counters.js';
import { DotClock } from './dots.js';
import { K2vError } from './errors.js';
import { itemFilter, itemPartition, k2vItemSchema, readEntry, readValues, type K2vItem } from './item.js';
import { checkRange, readPage, tableRange } from './range.js';
import { decodeMarker, EMPTY_MARKER, encodeMarker, isNewItem, markSeen, restrictMarker } from './seen.js';
import type {
  K2vDeleteBatchQuery,
  K2vInsert,
  K2vItemRead,
  K2vPage,
  K2vPartitionCounts,
  K2vPollRangeQuery,
  K2vPollRangeResult,
  K2vRangeQuery,
  K2vReadBatchQuery,
  K2vValue,
  K2vValues,
} from './types.js';
import { checkKey, checkValue, pollTimeout } from './validate.js';
import { ChangeHub, pollUntil } from './watch.js';

export interface K2vServiceOptions {
  db: Db;
  /** This node's id (hex of its 32-byte public key); its first 8 bytes name it in vector clocks. */
  nodeId: string;
}

export interface PollOptions {
  /** Ends the wait early (e.g. the HTTP client went away); the poll then resolves null. */
  signal?: AbortSignal;
}

function checkBucket(bucketId: Buffer): void {
  if (bucketId.length !== 32) throw new TypeError(`bucket id must be 32 bytes, not ${bucketId.length}`);
}

function checkItemKeys(bucketId: Buffer, pk: string, sk: string): void {
  checkBucket(bucketId);
  checkKey('partition key', pk);
  checkKey('sort key', sk);
}

const partitionTopic = (bucketId: Buffer, pk: string): string => `${toHex(bucketId)}/${pk.length}/${pk}`;
const itemTopic = (bucketId: Buffer, pk: string, sk: string): string => `${partitionTopic(bucketId, pk)}/${sk}`;

function checkReadQuery(q: K2vReadBatchQuery): void {
  checkKey('partition key', q.partitionKey);
  if (q.singleItem) {
    if (q.prefix !== undefined || q.end !== undefined || q.limit !== undefined || q.reverse) {
      throw new K2vError('InvalidRequest', "prefix, end, limit and reverse must not be set when singleItem is true");
    }
    if (q.start === undefined) throw new K2vError('InvalidRequest', 'start (the sort key) is required when singleItem is true');
  }
  checkRange(q);
}

function checkDeleteQuery(q: K2vDeleteBatchQuery): void {
  checkKey('partition key', q.partitionKey);
  if (q.singleItem) {
    if (q.prefix !== undefined || q.end !== undefined) {
      throw new K2vError('InvalidRequest', 'prefix and end must not be set when singleItem is true');
    }
    if (q.start === undefined) throw new K2vError('InvalidRequest', 'start (the sort key) is required when singleItem is true');
  }
  checkRange(q);
}

export class K2vService {
  /** This node's id in vector clocks. */
  readonly node: bigint;
  private readonly db: Db;
  private readonly items: Table<K2vItem>;
  private readonly counters: Table<K2vCounterEntry>;
  private readonly dots: DotClock;
  private readonly hub = new ChangeHub();
  /** Items changed by the transaction running now (transaction functions are synchronous and never nested). */
  private changed: K2vItem[] = [];

  constructor(options: K2vServiceOptions) {
    this.db = options.db;
    this.node = k2vNodeId(options.nodeId);
    const counterNode = this.node.toString(16).padStart(16, '0');
    this.counters = new Table(this.db, k2vCounterSchema);
    this.items = new Table(
      this.db,
      k2vItemSchema((old, merged) => {
        countChange(this.counters, counterNode, old, merged);
        this.changed.push(merged);
      }),
    );
    this.dots = new DotClock(this.db);
  }

  /** Waiting pollers' topics (tests check that none leak). */
  get pollTopics(): number {
    return this.hub.size;
  }

  /** The item's values (tombstones as null) and token, or null when it does not exist. */
  async readItem(bucketId: Buffer, pk: string, sk: string): Promise<K2vValues | null> {
    checkItemKeys(bucketId, pk, sk);
    return readValues(await this.items.get(itemPartition(bucketId, pk), utf8(sk))) ?? null;
  }

  /** Writes a value replacing what `token` has seen (without one: a concurrent sibling). Durable when resolved. */
  insertItem(bucketId: Buffer, pk: string, sk: string, value: Buffer, token?: string | null): Promise<void> {
    return this.insertBatch(bucketId, [{ pk, sk, value, token }]);
  }

  /** Writes a tombstone replacing what `token` has seen. */
  deleteItem(bucketId: Buffer, pk: string, sk: string, token?: string | null): Promise<void> {
    return this.insertBatch(bucketId, [{ pk, sk, value: null, token }]);
  }

  /** Checks every item first, then writes them all in one transaction. */
  async insertBatch(bucketId: Buffer, inserts: readonly K2vInsert[]): Promise<void> {
    const writes = inserts.map((i) => {
      checkItemKeys(bucketId, i.pk, i.sk);
      checkValue(i.value);
      return { ...i, context: i.token === undefined || i.token === null ? new Map<bigint, bigint>() : decodeToken(i.token) };
    });
    await this.write(() => {
      for (const w of writes) this.writeItem(bucketId, w.pk, w.sk, w.context, w.value);
    });
  }

  /**
   * Resolves with the item as soon as it holds a write `token` has not seen (at once if
   * it already does), or null after the timeout.
   */
  async pollItem(
    bucketId: Buffer,
    pk: string,
    sk: string,
    token: string,
    options: PollOptions & { timeoutMs?: number } = {},
  ): Promise<K2vValues | null> {
    checkItemKeys(bucketId, pk, sk);
    const seen = decodeToken(token);
    const timeoutMs = pollTimeout(options.timeoutMs);
    return pollUntil(this.hub, itemTopic(bucketId, pk, sk), timeoutMs, options.signal, async () => {
      const item = await this.items.get(itemPartition(bucketId, pk), utf8(sk));
      return item && clockGt(dvvsClock(item.dvvs), seen) ? readValues(item) : undefined;
    });
  }

  /** Partition keys of the bucket with their counters (those whose counters are all zero are left out). */
  async readIndex(bucketId: Buffer, query: K2vRangeQuery = {}): Promise<K2vPage<K2vPartitionCounts>> {
    checkBucket(bucketId);
    const page = await readPage(this.counters, bucketId, query, (e) => e.partitionKey, (e) => !isZero(counterTotals(e)));
    return { ...page, items: page.items.map((e) => ({ pk: e.partitionKey, ...counterTotals(e) })) };
  }

  /** One page per query, in order; any invalid query fails the whole batch. */
  async readBatch(bucketId: Buffer, queries: readonly K2vReadBatchQuery[]): Promise<K2vPage<K2vItemRead>[]> {
    checkBucket(bucketId);
    queries.forEach(checkReadQuery);
    return Promise.all(queries.map((q) => this.readQuery(bucketId, q)));
  }

  /**
   * Tombstones every item the queries match, each with the token of the state it was
   * listed in (a write arriving meanwhile survives as a sibling). Returns the number
   * of items deleted per query.
   */
  async deleteBatch(bucketId: Buffer, queries: readonly K2vDeleteBatchQuery[]): Promise<number[]> {
    checkBucket(bucketId);
    queries.forEach(checkDeleteQuery);
    const targets = await Promise.all(queries.map((q) => this.listLive(bucketId, q)));
    await this.write(() => {
      for (const item of targets.flat()) this.writeItem(bucketId, item.partitionKey, item.sortKey, dvvsClock(item.dvvs), null);
    });
    return targets.map((t) => t.length);
  }

  /**
   * Without a seen marker: the range's items now (tombstones included) and a marker.
   * With one: waits until some item of the range changed since the marker, and returns
   * those; null after the timeout.
   */
  async pollRange(bucketId: Buffer, pk: string, query: K2vPollRangeQuery, options: PollOptions = {}): Promise<K2vPollRangeResult | null> {
    checkBucket(bucketId);
    checkKey('partition key', pk);
    checkRange(query);
    const timeoutMs = pollTimeout(query.timeoutMs);
    const marker = query.seenMarker === undefined ? undefined : restrictMarker(decodeMarker(query.seenMarker), query);
    const partition = itemPartition(bucketId, pk);
    return pollUntil(this.hub, partitionTopic(bucketId, pk), timeoutMs, options.signal, async () => {
      const inRange = await this.items.getRange(partition, tableRange(query));
      const fresh = marker === undefined ? inRange : inRange.filter((i) => isNewItem(marker, i.sortKey, dvvsClock(i.dvvs)));
      if (marker !== undefined && fresh.length === 0) return undefined;
      const seen = fresh.map((i) => ({ sortKey: i.sortKey, clock: dvvsClock(i.dvvs) }));
      return { items: fresh.map(readEntry), seenMarker: encodeMarker(markSeen(marker ?? EMPTY_MARKER, this.node, seen)) };
    });
  }

  private async readQuery(bucketId: Buffer, q: K2vReadBatchQuery): Promise<K2vPage<K2vItemRead>> {
    const partition = itemPartition(bucketId, q.partitionKey);
    const filter = itemFilter(q);
    if (q.singleItem) {
      const item = await this.items.get(partition, utf8(q.start!));
      return { items: item && filter(item) ? [readEntry(item)] : [], more: false, nextStart: null };
    }
    const page = await readPage(this.items, partition, q, (e) => e.sortKey, filter);
    return { ...page, items: page.items.map(readEntry) };
  }

  /** Items a DeleteBatch query matches that are not already only tombstones. */
  private async listLive(bucketId: Buffer, q: K2vDeleteBatchQuery): Promise<K2vItem[]> {
    const partition = itemPartition(bucketId, q.partitionKey);
    const live = itemFilter({ tombstones: false });
    if (q.singleItem) {
      const item = await this.items.get(partition, utf8(q.start!));
      return item && live(item) ? [item] : [];
    }
    const { prefix, start, end } = q;
    return (await readPage(this.items, partition, { prefix, start, end }, (e) => e.sortKey, live)).items;
  }

  /** One coordinated write, inside `write`: discard what the context saw, add the value under a new dot. */
  private writeItem(bucketId: Buffer, pk: string, sk: string, context: VectorClock, value: K2vValue): void {
    const current = this.items.getLocal(itemPartition(bucketId, pk), utf8(sk));
    const { set, time } = dvvsWrite(current?.dvvs ?? [], context, this.node, this.dots.floor(), value);
    this.dots.record(time);
    this.items.applyInTransaction({ bucketId, partitionKey: pk, sortKey: sk, dvvs: set });
  }

  /**
   * Runs `fn` in one transaction; the read-modify-write of each item inside it is
   * therefore serialised with every other write. Pollers hear of the changed items
   * once the transaction is durable, so what they then read is the new state.
   */
  private async write(fn: () => void): Promise<void> {
    const changed = await this.db.transaction(() => {
      this.changed = [];
      try {
        fn();
        return this.changed;
      } finally {
        this.changed = [];
      }
    });
    for (const item of changed) {
      this.hub.publish(itemTopic(item.bucketId, item.partitionKey, item.sortKey));
      this.hub.publish(partitionTopic(item.bucketId, item.partitionKey));
    }
  }
}
