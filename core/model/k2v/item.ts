/** The k2v_item table: one entry per (bucket, partition key, sort key), a DVVS of values. */
import { dvvsClock, dvvsValues, mergeDvvs, type Dvvs } from '../../crdt/dvvs.js';
import type { TableSchema } from '../../table/index.js';
import { utf8 } from '../../util/encoding.js';
import { encodeToken } from './causality.js';
import type { K2vItemRead, K2vValue, K2vValues } from './types.js';

export interface K2vItem {
  /** 32 bytes. */
  bucketId: Buffer;
  partitionKey: string;
  sortKey: string;
  dvvs: Dvvs<K2vValue>;
}

/** Table partition key: bucket id ‖ partition key (the id's fixed length keeps it unambiguous). */
export function itemPartition(bucketId: Buffer, partitionKey: string): Buffer {
  return Buffer.concat([bucketId, utf8(partitionKey)]);
}

export function k2vItemSchema(updated: (old: K2vItem | undefined, merged: K2vItem) => void): TableSchema<K2vItem> {
  return {
    name: 'k2v_item',
    partitionKey: (e) => itemPartition(e.bucketId, e.partitionKey),
    sortKey: (e) => utf8(e.sortKey),
    merge: (a, b) => ({ ...a, dvvs: mergeDvvs(a.dvvs, b.dvvs) }),
    updated,
  };
}

const sameValue = (a: K2vValue, b: K2vValue): boolean => (a === null || b === null ? a === b : a.equals(b));

/** Current values with duplicates removed (two identical concurrent writes read as one). */
export function itemValues(item: K2vItem): K2vValue[] {
  const out: K2vValue[] = [];
  for (const v of dvvsValues(item.dvvs)) if (!out.some((o) => sameValue(o, v))) out.push(v);
  return out;
}

function itemToken(item: K2vItem): string {
  return encodeToken(dvvsClock(item.dvvs));
}

/** The values and token a read returns, or undefined when the item has no value (read as absent). */
export function readValues(item: K2vItem | undefined): K2vValues | undefined {
  if (item === undefined) return undefined;
  const values = itemValues(item);
  return values.length === 0 ? undefined : { token: itemToken(item), values };
}

export function readEntry(item: K2vItem): K2vItemRead {
  return { sk: item.sortKey, token: itemToken(item), values: itemValues(item) };
}

/** The read filters of ReadBatch. */
export function itemFilter(opts: { tombstones?: boolean; conflictsOnly?: boolean }): (item: K2vItem) => boolean {
  return (item) => {
    const values = itemValues(item);
    if (opts.conflictsOnly && values.length < 2) return false;
    return opts.tombstones === true || !values.every((v) => v === null);
  };
}
