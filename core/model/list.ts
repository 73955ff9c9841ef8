import { prefixEnd } from '../util/encoding.js';
import { MAX_KEY_BYTES } from './object-table.js';

/** One listable thing under a key (an object, or one upload of it). */
export interface ListItem<T> {
  key: string;
  value: T;
}

export interface ListParams {
  prefix: string;
  /** Empty for none; several characters allowed. */
  delimiter: string;
  maxKeys: number;
  /** Byte position (inclusive) where the listing starts. */
  from: Buffer;
}

export interface ListResult<T> {
  items: ListItem<T>[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned. */
  last: { name: string; isPrefix: boolean } | undefined;
  /** Byte position (inclusive) where the next page starts. */
  nextFrom: Buffer | undefined;
}

const ZERO = Buffer.from([0]);

/** The position just after `key` (exclusive start), in byte order. */
export function after(key: string): Buffer {
  return Buffer.concat([Buffer.from(key, 'utf8'), ZERO]);
}

/** The common prefix `key` rolls up into under `prefix` and `delimiter`, if any. */
export function commonPrefixOf(key: string, prefix: string, delimiter: string): string | undefined {
  if (delimiter === '') return undefined;
  const i = key.indexOf(delimiter, prefix.length);
  return i < 0 ? undefined : key.slice(0, i + delimiter.length);
}

/**
 * Where to resume after a V1 marker: just after the key, or past every key under the
 * marker when the marker is itself a common prefix (the page ended on it).
 */
export function resumeAfterMarker(marker: string, prefix: string, delimiter: string): Buffer {
  if (marker.startsWith(prefix) && commonPrefixOf(marker, prefix, delimiter) === marker) {
    return prefixEnd(Buffer.from(marker, 'utf8')) ?? after(marker);
  }
  return after(marker);
}

/**
 * One page of an S3 listing. `seek(from)` yields the listable items with keys at or
 * after byte position `from`, in byte order. Keys sharing a common prefix count once;
 * the scan jumps over the rest of a common prefix instead of reading it.
 */
export function listPage<T>(seek: (from: Buffer) => Iterable<ListItem<T>>, params: ListParams): ListResult<T> {
  const prefixBytes = Buffer.from(params.prefix, 'utf8');
  const result: ListResult<T> = { items: [], commonPrefixes: [], truncated: false, last: undefined, nextFrom: undefined };
  if (prefixBytes.length > MAX_KEY_BYTES) return result;
  // Keys are at most MAX_KEY_BYTES long, so a longer position orders them as its first MAX_KEY_BYTES + 1 bytes do.
  let from = Buffer.compare(params.from, prefixBytes) > 0 ? params.from.subarray(0, MAX_KEY_BYTES + 1) : prefixBytes;
  let count = 0;
  for (;;) {
    let jumped = false;
    for (const item of seek(from)) {
      if (!item.key.startsWith(params.prefix)) return result;
      if (count >= params.maxKeys) {
        result.truncated = count > 0;
        return result;
      }
      count++;
      const cp = commonPrefixOf(item.key, params.prefix, params.delimiter);
      if (cp === undefined) {
        result.items.push(item);
        result.last = { name: item.key, isPrefix: false };
        result.nextFrom = after(item.key);
        continue;
      }
      result.commonPrefixes.push(cp);
      result.last = { name: cp, isPrefix: true };
      const end = prefixEnd(Buffer.from(cp, 'utf8'));
      if (end === undefined) return result;
      result.nextFrom = from = end;
      jumped = true;
      break;
    }
    if (!jumped) return result;
  }
}
