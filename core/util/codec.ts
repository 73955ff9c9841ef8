import { Packr } from 'msgpackr';

/**
 * The one msgpack encoding of stored and replicated entries. bigint round-trips as
 * 64-bit integers; records are plain maps so entries stay readable by other tools.
 */
const packr = new Packr({ useRecords: false, int64AsType: 'bigint', mapsAsObjects: true });

export function encode(value: unknown): Buffer {
  return packr.pack(value);
}

export function decode<T>(bytes: Uint8Array): T {
  return packr.unpack(bytes) as T;
}
