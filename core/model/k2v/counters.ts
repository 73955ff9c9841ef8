/**
 * Per-(bucket, partition key) counters served by ReadIndex. Each node keeps its own
 * count of its local items, changed in the transaction that changes an item; the
 * table entry holds one LWW register per node and a read takes the maximum over nodes
 * (replicas of a partition count the same items), as Garage's index counters do.
 */
import { mergeLwwMap, type LwwMap } from '../../crdt/index.js';
import type { Table, TableSchema } from '../../table/index.js';
import { utf8 } from '../../util/encoding.js';
import { nextTimestamp } from '../../util/time.js';
import { itemValues, type K2vItem } from './item.js';

export interface K2vCounts {
  entries: bigint;
  conflicts: bigint;
  values: bigint;
  bytes: bigint;
}

export interface K2vCounterEntry {
  bucketId: Buffer;
  partitionKey: string;
  /** node (hex K2V node id) → (ts, this node's counts). */
  nodes: LwwMap<K2vCounts>;
}

const NAMES = ['entries', 'conflicts', 'values', 'bytes'] as const;
const ZERO: K2vCounts = { entries: 0n, conflicts: 0n, values: 0n, bytes: 0n };

export const k2vCounterSchema: TableSchema<K2vCounterEntry> = {
  name: 'k2v_counter',
  partitionKey: (e) => e.bucketId,
  sortKey: (e) => utf8(e.partitionKey),
  merge: (a, b) => ({ ...a, nodes: mergeLwwMap(a.nodes, b.nodes) }),
};

/** What one item contributes to its partition key's counters. */
export function countsOf(item: K2vItem | undefined): K2vCounts {
  if (item === undefined) return ZERO;
  const values = itemValues(item);
  const present = values.filter((v): v is Buffer => v !== null);
  return {
    entries: present.length > 0 ? 1n : 0n,
    conflicts: values.length > 1 ? 1n : 0n,
    values: BigInt(present.length),
    bytes: present.reduce((n, v) => n + BigInt(v.length), 0n),
  };
}

/** The counters of a partition key: per name, the maximum over nodes. */
export function counterTotals(entry: K2vCounterEntry): K2vCounts {
  const out = { ...ZERO };
  for (const [, , counts] of entry.nodes) for (const n of NAMES) if (counts[n] > out[n]) out[n] = counts[n];
  return out;
}

export function isZero(counts: K2vCounts): boolean {
  return NAMES.every((n) => counts[n] === 0n);
}

/**
 * Adds the difference between an item's old and new state to this node's counters;
 * call inside the transaction that changed the item (the items table's `updated` hook).
 */
export function countChange(table: Table<K2vCounterEntry>, node: string, old: K2vItem | undefined, merged: K2vItem): void {
  const before = countsOf(old);
  const after = countsOf(merged);
  if (NAMES.every((n) => before[n] === after[n])) return;
  const stored = table.getLocal(merged.bucketId, utf8(merged.partitionKey));
  const mine = stored?.nodes.find((e) => e[0] === node);
  const current = mine?.[2] ?? ZERO;
  const next = { ...current };
  for (const n of NAMES) next[n] = current[n] + after[n] - before[n];
  table.applyInTransaction({
    bucketId: merged.bucketId,
    partitionKey: merged.partitionKey,
    nodes: [[node, nextTimestamp(mine?.[1]), next]],
  });
}
