/**
 * PollRange's seen marker (Garage's RangeSeenMarker): a vector clock saying "every item
 * a node wrote up to this time has been seen", plus per-item clocks for what the
 * global clock does not cover. Opaque to clients: msgpack in standard base64.
 */
import { clockGt, clockMax, type VectorClock } from '../../crdt/dvvs.js';
import { decode, encode } from '../../util/codec.js';
import { K2vError } from './errors.js';
import { compareKeys } from './range.js';
import type { K2vRange } from './types.js';

export interface SeenMarker {
  clock: VectorClock;
  items: ReadonlyMap<string, VectorClock>;
}

type Pairs = [bigint, bigint][];
interface Wire {
  c: Pairs;
  i: [string, Pairs][];
}

export const EMPTY_MARKER: SeenMarker = { clock: new Map(), items: new Map() };

/** Keeps only the per-item clocks inside the range being polled. */
export function restrictMarker(marker: SeenMarker, range: K2vRange): SeenMarker {
  const items = [...marker.items].filter(
    ([sk]) =>
      (range.start === undefined || compareKeys(sk, range.start) >= 0) &&
      (range.end === undefined || compareKeys(sk, range.end) < 0) &&
      (range.prefix === undefined || sk.startsWith(range.prefix)),
  );
  return { clock: marker.clock, items: new Map(items) };
}

/** An item is new unless the global clock or its own clock already covers its clock. */
export function isNewItem(marker: SeenMarker, sortKey: string, clock: VectorClock): boolean {
  const own = marker.items.get(sortKey);
  return clockGt(clock, marker.clock) && (own === undefined || clockGt(clock, own));
}

/**
 * The marker after `node` returned `items` (every new item of the range it holds):
 * its component of the global clock rises to the newest it returned, and items the
 * global clock still does not cover keep their own clock.
 */
export function markSeen(marker: SeenMarker, node: bigint, items: readonly { sortKey: string; clock: VectorClock }[]): SeenMarker {
  const clock = new Map(marker.clock);
  const perItem = new Map(marker.items);
  for (const item of items) {
    const t = item.clock.get(node);
    if (t !== undefined && t > (clock.get(node) ?? 0n)) clock.set(node, t);
    const own = perItem.get(item.sortKey);
    perItem.set(item.sortKey, own ? clockMax(own, item.clock) : item.clock);
  }
  for (const [sk, c] of perItem) if (!clockGt(c, clock)) perItem.delete(sk);
  return { clock, items: perItem };
}

const pairs = (c: VectorClock): Pairs => [...c].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

export function encodeMarker(marker: SeenMarker): string {
  const wire: Wire = { c: pairs(marker.clock), i: [...marker.items].sort(([a], [b]) => compareKeys(a, b)).map(([sk, c]) => [sk, pairs(c)]) };
  return encode(wire).toString('base64');
}

const isPairs = (v: unknown): v is Pairs =>
  Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'bigint' && typeof p[1] === 'bigint');

export function decodeMarker(text: string): SeenMarker {
  const invalid = new K2vError('InvalidRequest', 'invalid seenMarker: pass back the one a PollRange returned');
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) throw invalid;
  let wire: unknown;
  try {
    wire = decode(bytes);
  } catch {
    throw invalid;
  }
  const w = wire as Partial<Wire> | null;
  if (typeof w !== 'object' || w === null || !isPairs(w.c) || !Array.isArray(w.i)) throw invalid;
  const items = new Map<string, VectorClock>();
  for (const entry of w.i as unknown[]) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !isPairs(entry[1])) throw invalid;
    items.set(entry[0], new Map(entry[1]));
  }
  return { clock: new Map(w.c), items };
}
