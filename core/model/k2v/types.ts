/** The shapes the K2V service takes and returns (no HTTP here: the API layer maps them to JSON). */

/** A value, or null for a tombstone (a deletion that is kept for causality). */
export type K2vValue = Buffer | null;

/** An item's current values (deduplicated) and the token that covers them. */
export interface K2vValues {
  token: string;
  values: K2vValue[];
}

/** One item of a range read. */
export interface K2vItemRead extends K2vValues {
  sk: string;
}

/** A range of sort keys (or of partition keys, for ReadIndex) inside one partition. */
export interface K2vRange {
  /** Only keys starting with this. */
  prefix?: string;
  /** First key (inclusive; the greatest key returned when reverse). Must start with prefix. */
  start?: string;
  /** Key to stop before (exclusive; when reverse, the lower limit). */
  end?: string;
}

export interface K2vRangeQuery extends K2vRange {
  limit?: number;
  reverse?: boolean;
}

/** A page of a range read: `more` and `nextStart` (the first key not returned) when the limit cut it. */
export interface K2vPage<T> {
  items: T[];
  more: boolean;
  nextStart: string | null;
}

/** ReadIndex entry: the counters of one partition key. */
export interface K2vPartitionCounts {
  pk: string;
  /** Items that are not only tombstones. */
  entries: bigint;
  /** Items with more than one distinct value (tombstones included). */
  conflicts: bigint;
  /** Distinct non-tombstone values. */
  values: bigint;
  /** Bytes of those values. */
  bytes: bigint;
}

export interface K2vInsert {
  pk: string;
  sk: string;
  /** The token of what the writer has seen; absent = concurrent with everything. */
  token?: string | null;
  value: K2vValue;
}

export interface K2vReadBatchQuery extends K2vRangeQuery {
  partitionKey: string;
  /** Read the one item whose sort key is `start` (prefix, end, limit, reverse must be unset). */
  singleItem?: boolean;
  /** Only items with several values. */
  conflictsOnly?: boolean;
  /** Include items whose values are all tombstones. */
  tombstones?: boolean;
}

export interface K2vDeleteBatchQuery extends K2vRange {
  partitionKey: string;
  /** Delete the one item whose sort key is `start` (prefix and end must be unset). */
  singleItem?: boolean;
}

export interface K2vPollRangeQuery extends K2vRange {
  /** From an earlier PollRange of this range (or a wider one); absent = return the range now. */
  seenMarker?: string;
  timeoutMs?: number;
}

export interface K2vPollRangeResult {
  items: K2vItemRead[];
  seenMarker: string;
}
