/**
 * Ops and checkpoints at rest: msgpack envelopes sealed with the user's master key,
 * bound to their exact place (row or object) and kind, so that none can be moved,
 * swapped or replayed elsewhere. An op row holds the op itself or, when too large,
 * a pointer to the S3 object holding it.
 */
import { decode, encode } from '../../core/util/codec.js';
import type { AssociatedData } from '../crypto/ad.js';
import { open, seal } from '../crypto/envelope.js';
import { LogError } from './errors.js';
import { checkpointKey, logPk, spillKey } from './layout.js';
import type { Timestamp } from './timestamp.js';

const INLINE = 0;
const SPILLED = 1;

function opAd(userId: string, kind: string, logId: string, ts: Timestamp): AssociatedData {
  return { userId, location: { pk: logPk(logId), sk: ts }, kind: `${kind}/op` };
}

function spillAd(userId: string, kind: string, logId: string, ts: Timestamp): AssociatedData {
  return { userId, location: { key: spillKey(logId, ts) }, kind: `${kind}/op` };
}

function checkpointAd(userId: string, kind: string, logId: string, ts: Timestamp): AssociatedData {
  return { userId, location: { key: checkpointKey(logId, ts) }, kind: `${kind}/checkpoint` };
}

export interface SealedOp {
  row: Buffer;
  /** The S3 object to write first, when the op is too large for its row. */
  spill?: Buffer;
}

export interface OpSealer {
  readonly userId: string;
  readonly kind: string;
  readonly logId: string;
  readonly key: Uint8Array;
}

export function sealOp(s: OpSealer, ts: Timestamp, op: Uint8Array, spillBytes: number): SealedOp {
  const inline = Buffer.concat([Buffer.of(INLINE), op]);
  if (inline.length <= spillBytes) return { row: seal(s.key, inline, opAd(s.userId, s.kind, s.logId, ts)) };
  return {
    row: seal(s.key, Buffer.of(SPILLED), opAd(s.userId, s.kind, s.logId, ts)),
    spill: seal(s.key, op, spillAd(s.userId, s.kind, s.logId, ts)),
  };
}

/** The op bytes of a row, or 'spilled' when they are in the S3 object spillKey(ts). */
export function openOpRow(s: OpSealer, ts: Timestamp, row: Uint8Array): Buffer | 'spilled' {
  const plain = open(s.key, row, opAd(s.userId, s.kind, s.logId, ts));
  if (plain[0] === INLINE) return plain.subarray(1);
  if (plain[0] === SPILLED && plain.length === 1) return 'spilled';
  throw new LogError('LogCorrupt', `op ${ts} of log ${s.logId} has an unknown row format`);
}

export function openSpilledOp(s: OpSealer, ts: Timestamp, blob: Uint8Array): Buffer {
  return open(s.key, blob, spillAd(s.userId, s.kind, s.logId, ts));
}

/** What a checkpoint holds besides the state: enough to check it against the ops stored. */
export interface CheckpointPayload {
  /** Ops applied to reach this state since the log began. */
  opCount: number;
  /** (ts, opCount) of the older checkpoints the writer knew of. */
  known: [Timestamp, number][];
  state: Uint8Array;
}

export function sealCheckpoint(s: OpSealer, ts: Timestamp, payload: CheckpointPayload): Buffer {
  const body = encode({ v: 1, n: payload.opCount, k: payload.known, s: Buffer.from(payload.state.buffer, payload.state.byteOffset, payload.state.byteLength) });
  return seal(s.key, body, checkpointAd(s.userId, s.kind, s.logId, ts));
}

export function openCheckpoint(s: OpSealer, ts: Timestamp, blob: Uint8Array): CheckpointPayload {
  const plain = open(s.key, blob, checkpointAd(s.userId, s.kind, s.logId, ts));
  const p = decode<{ v?: unknown; n?: unknown; k?: unknown; s?: unknown }>(plain);
  if (p.v !== 1 || typeof p.n !== 'number' || !Array.isArray(p.k) || !(p.s instanceof Uint8Array)) {
    throw new LogError('LogCorrupt', `checkpoint ${ts} of log ${s.logId} is not in a known format`);
  }
  return { opCount: p.n, known: p.k as [Timestamp, number][], state: p.s };
}
