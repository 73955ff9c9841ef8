/** Range reads shared by ReadIndex, ReadBatch, DeleteBatch and PollRange (Garage's range.rs). */
import type { RangeQuery, Table } from '../../table/index.js';
import { utf8 } from '../../util/encoding.js';
import { K2vError } from './errors.js';
import type { K2vPage, K2vRange, K2vRangeQuery } from './types.js';

/** Keys are ordered by their UTF-8 bytes (JS string order differs above the BMP). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(utf8(a), utf8(b));
}

export function checkRange(range: K2vRangeQuery): void {
  if (range.prefix !== undefined && range.start !== undefined && !range.start.startsWith(range.prefix)) {
    throw new K2vError('InvalidRequest', `start "${range.start}" does not begin with prefix "${range.prefix}"`);
  }
  if (range.limit !== undefined && !(Number.isSafeInteger(range.limit) && range.limit >= 0)) {
    throw new K2vError('InvalidRequest', 'limit must be a non-negative integer');
  }
}

export function tableRange<E>(range: K2vRange, extra: Omit<RangeQuery<E>, 'prefix' | 'start' | 'end'> = {}): RangeQuery<E> {
  return {
    ...extra,
    ...(range.prefix !== undefined ? { prefix: utf8(range.prefix) } : {}),
    ...(range.start !== undefined ? { start: utf8(range.start) } : {}),
    ...(range.end !== undefined ? { end: utf8(range.end) } : {}),
  };
}

/** Reads one page; one entry beyond the limit tells whether there is more and where it starts. */
export async function readPage<E>(
  table: Table<E>,
  partitionKey: Uint8Array,
  range: K2vRangeQuery,
  keyOf: (entry: E) => string,
  filter?: (entry: E) => boolean,
): Promise<K2vPage<E>> {
  checkRange(range);
  const { limit } = range;
  const entries = await table.getRange(
    partitionKey,
    tableRange(range, {
      reverse: range.reverse ?? false,
      ...(limit !== undefined ? { limit: limit + 1 } : {}),
      ...(filter ? { filter } : {}),
    }),
  );
  if (limit === undefined || entries.length <= limit) return { items: entries, more: false, nextStart: null };
  return { items: entries.slice(0, limit), more: true, nextStart: keyOf(entries[limit]!) };
}
