/**
 * Dotted version vector sets (the values of a K2V item). Every value carries the dot
 * (node, time) of the replica that coordinated its write; per node, a `discard` time
 * says that every value of that node up to it has been overwritten. A write carries
 * the causal context (vector clock) its client has seen: it discards what the context
 * covers and keeps concurrent values as siblings.
 *
 * Plain data (tuples sorted by node and time) so equal states encode equally.
 */
import { compareValues } from './index.js';

/** node → time: "every value this node wrote up to time has been seen". */
export type VectorClock = ReadonlyMap<bigint, bigint>;

/** One node's share of a set: [node, discard time, (time, value) pairs with time > discard, ascending]. */
export type DvvsEntry<V> = readonly [node: bigint, discard: bigint, values: readonly (readonly [time: bigint, value: V])[]];

/** Entries sorted by node; no entry is empty with discard 0. */
export type Dvvs<V> = readonly DvvsEntry<V>[];

const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** The latest time an entry knows of: its discard time or its newest value. */
function entryTime<V>(entry: DvvsEntry<V>): bigint {
  const values = entry[2];
  return values.length === 0 ? entry[1] : maxBig(entry[1], values[values.length - 1]![0]);
}

/** Joins two entries of the same node: union of the values above the greater discard time. */
function mergeEntry<V>(a: DvvsEntry<V>, b: DvvsEntry<V>): DvvsEntry<V> {
  const discard = maxBig(a[1], b[1]);
  const byTime = new Map<bigint, V>();
  for (const [t, v] of [...a[2], ...b[2]]) {
    if (t <= discard) continue;
    // A dot names one value; the comparison only keeps merge deterministic on corrupt input.
    if (!byTime.has(t) || compareValues(v, byTime.get(t)) > 0) byTime.set(t, v);
  }
  const values = [...byTime.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return [a[0], discard, values];
}

function normalise<V>(entries: Iterable<DvvsEntry<V>>): Dvvs<V> {
  return [...entries]
    .filter((e) => e[1] !== 0n || e[2].length > 0)
    .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}

/** The CRDT join: commutative, associative, idempotent. */
export function mergeDvvs<V>(a: Dvvs<V>, b: Dvvs<V>): Dvvs<V> {
  const out = new Map<bigint, DvvsEntry<V>>();
  for (const entry of [...a, ...b]) {
    const prev = out.get(entry[0]);
    out.set(entry[0], prev ? mergeEntry(prev, entry) : mergeEntry(entry, entry));
  }
  return normalise(out.values());
}

/** The causal context of a set: a token covering every value it holds. */
export function dvvsClock<V>(set: Dvvs<V>): Map<bigint, bigint> {
  return new Map(set.map((e) => [e[0], entryTime(e)] as const));
}

/** Every current value, by node then time (duplicates included). */
export function dvvsValues<V>(set: Dvvs<V>): V[] {
  return set.flatMap((e) => e[2].map(([, v]) => v));
}

/**
 * Writes `value` at `node` after discarding what `context` has seen. Its time is the
 * first one after both `minTime - 1` and every time this node already used here, so
 * dots stay unique even if the caller's clock went backwards.
 */
export function dvvsWrite<V>(set: Dvvs<V>, context: VectorClock, node: bigint, minTime: bigint, value: V): { set: Dvvs<V>; time: bigint } {
  const discarded = mergeDvvs(
    set,
    [...context].map(([n, t]): DvvsEntry<V> => [n, t, []]),
  );
  const own = discarded.find((e) => e[0] === node);
  const time = maxBig(minTime, (own ? entryTime(own) : 0n) + 1n);
  return { set: mergeDvvs(discarded, [[node, 0n, [[time, value]]]]), time };
}

/** True when `a` knows of a write `b` has not seen: some node's time is greater (missing = 0). */
export function clockGt(a: VectorClock, b: VectorClock): boolean {
  for (const [node, t] of a) if (t > (b.get(node) ?? 0n)) return true;
  return false;
}

/** Component-wise maximum. */
export function clockMax(a: VectorClock, b: VectorClock): Map<bigint, bigint> {
  const out = new Map(a);
  for (const [node, t] of b) out.set(node, maxBig(out.get(node) ?? 0n, t));
  return out;
}
