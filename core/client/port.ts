/**
 * The storage port the mail layer uses (DESIGN.md §6): a K2V store and a blob store,
 * each bound to one bucket. Two implementations of each: embedded (direct calls into
 * this process's core) and http (S3 / K2V with SigV4, against our server or Garage).
 */

/** An item's current values (null = tombstone) and the token covering them. */
export interface K2vEntry {
  token: string;
  values: (Uint8Array | null)[];
}

export interface K2vItemEntry extends K2vEntry {
  sk: string;
}

export interface K2vRangeBounds {
  prefix?: string;
  /** Inclusive (with reverse: the greatest sort key returned); must start with prefix. */
  start?: string;
  /** Exclusive. */
  end?: string;
}

/** One range of ReadBatch. */
export interface K2vRangeRead extends K2vRangeBounds {
  pk: string;
  limit?: number;
  reverse?: boolean;
  /** Include items that are only tombstones (to get a token to write after a delete). */
  tombstones?: boolean;
  conflictsOnly?: boolean;
}

export interface K2vRangePage {
  items: K2vItemEntry[];
  /** The limit cut the range: read on from nextStart. */
  more: boolean;
  nextStart: string | null;
}

export interface K2vWrite {
  pk: string;
  sk: string;
  /** null writes a tombstone. */
  value: Uint8Array | null;
  /** What the writer has seen; absent = concurrent with everything. */
  token?: string;
}

/** One range of DeleteBatch; singleItem deletes the item whose sort key is start. */
export interface K2vRangeDelete extends K2vRangeBounds {
  pk: string;
  singleItem?: boolean;
}

export interface K2vPollRangeResult {
  items: K2vItemEntry[];
  /** Pass back to the next pollRange of this range to get only what changed since. */
  seenMarker: string;
}

export interface K2vStore {
  /** null when the item does not exist. */
  read(pk: string, sk: string): Promise<K2vEntry | null>;
  readBatch(ranges: readonly K2vRangeRead[]): Promise<K2vRangePage[]>;
  /** Replaces what `token` saw (without it: adds a concurrent value); null deletes. */
  insert(pk: string, sk: string, value: Uint8Array | null, token?: string): Promise<void>;
  insertBatch(items: readonly K2vWrite[]): Promise<void>;
  /** Deletes every live item of the ranges; returns how many per range. */
  deleteRange(ranges: readonly K2vRangeDelete[]): Promise<number[]>;
  /** Resolves when the item holds a write `token` has not seen (at once if already), null after timeoutMs. */
  poll(pk: string, sk: string, token: string, timeoutMs: number): Promise<K2vEntry | null>;
  /** Without a marker: the range now. With one: what changed since, waiting up to timeoutMs (null if nothing). */
  pollRange(pk: string, range: K2vRangeBounds, seenMarker: string | undefined, timeoutMs: number): Promise<K2vPollRangeResult | null>;
}

export interface BlobMeta {
  contentType?: string;
  /** User metadata (x-amz-meta-*): lower-case names. */
  metadata?: Readonly<Record<string, string>>;
}

/** An inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface StoredBlob {
  /** The whole object, or the requested range of it. */
  body: Buffer;
  /** Size of the whole object. */
  size: number;
  etag: string;
  meta: BlobMeta;
}

export interface BlobInfo {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
}

export interface BlobPage {
  items: BlobInfo[];
  /** Pass to the next list call; undefined on the last page. */
  continuationToken: string | undefined;
}

export interface BlobStore {
  /** null when the object does not exist. */
  get(key: string, range?: ByteRange): Promise<StoredBlob | null>;
  put(key: string, body: Uint8Array, meta?: BlobMeta): Promise<{ etag: string }>;
  copy(srcKey: string, dstKey: string): Promise<void>;
  list(prefix: string, options?: { continuationToken?: string; maxKeys?: number }): Promise<BlobPage>;
  /** Deleting an absent object is not an error. */
  delete(key: string): Promise<void>;
}
