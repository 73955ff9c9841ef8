/**
 * State-based CRDTs. Every merge is commutative, associative and idempotent, so
 * replicas that exchange states in any order converge (property-tested in
 * test/unit/core/crdt). Values are plain data so they encode with core/util/codec.
 */
import { encode } from '../util/codec.js';

/** Total order on arbitrary plain values, used to break timestamp ties deterministically. */
export function compareValues(a: unknown, b: unknown): number {
  return Buffer.compare(encode(a), encode(b));
}

/** Last-writer-wins register. */
export interface Lww<T> {
  ts: bigint;
  value: T;
}

export function lww<T>(ts: bigint, value: T): Lww<T> {
  return { ts, value };
}

export function mergeLww<T>(a: Lww<T>, b: Lww<T>): Lww<T> {
  if (a.ts !== b.ts) return a.ts > b.ts ? a : b;
  return compareValues(a.value, b.value) >= 0 ? a : b;
}

/** Map of last-writer-wins registers, kept sorted by key so equal maps encode equally. */
export type LwwMap<V> = [key: string, ts: bigint, value: V][];

export function lwwMapGet<V>(map: LwwMap<V>, key: string): V | undefined {
  return map.find((e) => e[0] === key)?.[2];
}

/** A copy of `map` with `key` set at `ts` (a newer entry already there wins). */
export function lwwMapSet<V>(map: LwwMap<V>, key: string, ts: bigint, value: V): LwwMap<V> {
  return mergeLwwMap(map, [[key, ts, value]]);
}

export function mergeLwwMap<V>(a: LwwMap<V>, b: LwwMap<V>): LwwMap<V> {
  const out = new Map<string, [string, bigint, V]>();
  for (const entry of [...a, ...b]) {
    const prev = out.get(entry[0]);
    if (!prev) {
      out.set(entry[0], entry);
      continue;
    }
    const won = mergeLww({ ts: prev[1], value: prev[2] }, { ts: entry[1], value: entry[2] });
    out.set(entry[0], [entry[0], won.ts, won.value]);
  }
  return [...out.values()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}

/** A flag that can only go from false to true (e.g. "deleted"). */
export function mergeBool(a: boolean, b: boolean): boolean {
  return a || b;
}

/** A value that can be deleted for good: deletion absorbs every later update. */
export type Deletable<T> = { present: T } | { deleted: true };

export function isPresent<T>(d: Deletable<T>): d is { present: T } {
  return 'present' in d;
}

export function mergeDeletable<T>(a: Deletable<T>, b: Deletable<T>, mergeInner: (x: T, y: T) => T): Deletable<T> {
  if (!isPresent(a)) return a;
  if (!isPresent(b)) return b;
  return { present: mergeInner(a.present, b.present) };
}

/**
 * Map whose values are themselves CRDTs, merged key by key; no removal (values encode
 * their own deletion). Kept sorted by key so equal maps encode equally.
 */
export type CrdtMap<V> = [key: string, value: V][];

export function crdtMapGet<V>(map: CrdtMap<V>, key: string): V | undefined {
  return map.find((e) => e[0] === key)?.[1];
}

export function mergeCrdtMap<V>(a: CrdtMap<V>, b: CrdtMap<V>, mergeValue: (x: V, y: V) => V): CrdtMap<V> {
  const out = new Map<string, V>();
  for (const [key, value] of [...a, ...b]) {
    const prev = out.get(key);
    out.set(key, prev === undefined ? value : mergeValue(prev, value));
  }
  return [...out.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}
