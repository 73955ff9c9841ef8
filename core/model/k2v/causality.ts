/**
 * Causality tokens: the text form of a vector clock, byte-compatible with Garage's so
 * tokens move freely between our nodes, Garage nodes and their clients.
 * Layout: checksum:u64be ‖ (node:u64be, time:u64be)* in ascending node order, where the
 * checksum is the XOR of every node and time; text = URL-safe base64 without padding.
 */
import type { VectorClock } from '../../crdt/dvvs.js';
import { fromHex } from '../../util/encoding.js';
import { K2vError } from './errors.js';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** A node's id in vector clocks: the first 8 bytes (big-endian) of its 32-byte id, given in hex. */
export function k2vNodeId(nodeIdHex: string): bigint {
  const id = fromHex(nodeIdHex);
  if (id.length < 8) throw new TypeError(`node id too short: ${nodeIdHex}`);
  return id.readBigUInt64BE(0);
}

export function encodeToken(clock: VectorClock): string {
  const pairs = [...clock].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const bytes = Buffer.alloc(8 + 16 * pairs.length);
  let checksum = 0n;
  pairs.forEach(([node, time], i) => {
    bytes.writeBigUInt64BE(node, 8 + 16 * i);
    bytes.writeBigUInt64BE(time, 16 + 16 * i);
    checksum ^= node ^ time;
  });
  bytes.writeBigUInt64BE(checksum, 0);
  return bytes.toString('base64url');
}

/** Parses a token; anything malformed or forged (checksum mismatch) is a CausalityToken error. */
export function decodeToken(token: string): Map<bigint, bigint> {
  const invalid = (why: string): K2vError => new K2vError('CausalityToken', `invalid causality token: ${why}`);
  if (!BASE64URL.test(token)) throw invalid('not URL-safe base64 without padding');
  const bytes = Buffer.from(token, 'base64url');
  // Buffer decoding is lenient; a canonical token is exactly what re-encoding gives back.
  if (bytes.toString('base64url') !== token) throw invalid('not canonical base64');
  if (bytes.length < 8 || bytes.length % 16 !== 8) throw invalid(`wrong length (${bytes.length} bytes)`);
  const clock = new Map<bigint, bigint>();
  for (let off = 8; off < bytes.length; off += 16) clock.set(bytes.readBigUInt64BE(off), bytes.readBigUInt64BE(off + 8));
  // Over the parsed map, as Garage does: a repeated node counts once, with its last time.
  let checksum = 0n;
  for (const [node, time] of clock) checksum ^= node ^ time;
  if (checksum !== bytes.readBigUInt64BE(0)) throw invalid('checksum mismatch');
  return clock;
}
