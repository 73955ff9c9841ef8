/** What a Bayou log needs to know of the state it replicates, and how it is tuned. */
import type { BlobStore, K2vStore } from '../../core/client/index.js';
import type { Logger } from '../../core/util/log.js';

/**
 * A replicated state: `apply` must be pure and deterministic (same state and op, same
 * result, the input untouched), since every replica replays the same ops in the same
 * order, sometimes several times (after a late op it rewinds and replays).
 */
export interface LogSpec<S, Op> {
  /** Names what the log holds, in the associated data of its ops and checkpoints. */
  readonly kind: string;
  initial(): S;
  apply(state: S, op: Op): S;
  encodeOp(op: Op): Uint8Array;
  /** Throws on bytes that are not an op of this spec. */
  decodeOp(bytes: Uint8Array): Op;
  encodeState(state: S): Uint8Array;
  decodeState(bytes: Uint8Array): S;
}

/** Where a log lives and who may read it. */
export interface LogContext {
  k2v: K2vStore;
  blobs: BlobStore;
  userId: string;
  /** The user's master key: seals ops and checkpoints. */
  key: Uint8Array;
  log?: Logger;
}

export interface BayouOptions {
  /** Write a checkpoint once this many ops follow the last one. */
  checkpointEvery: number;
  /** ... or once the last one is this old and at least one op follows it. */
  checkpointIntervalMs: number;
  /** Checkpoints kept (at least 2: a reader may be loading the older one while a writer adds a newer). */
  keepCheckpoints: number;
  /**
   * Older checkpoints (and the ops they cover) are deleted only once the oldest kept
   * one is this old: an op that shows up later than that, older than every kept
   * checkpoint, would be lost, so this is the lateness the log tolerates.
   */
  gcMinAgeMs: number;
  /**
   * Ops younger than this are left out of checkpoints: an older op may still be in
   * flight from another writer (clock skew counts here too).
   */
  settleMs: number;
  /** Items per K2V range read. */
  pageSize: number;
  /** Sealed ops above this size go to S3, their K2V row pointing there. */
  spillBytes: number;
  /** Keep a replay point every this many ops, so a late op replays at most this many. */
  cacheEvery: number;
  /** Long-poll duration of the watch row (a stopped watch may linger this long). */
  watchPollMs: number;
}

export const DEFAULT_BAYOU_OPTIONS: Readonly<BayouOptions> = Object.freeze({
  checkpointEvery: 1000,
  checkpointIntervalMs: 10 * 60_000,
  keepCheckpoints: 3,
  gcMinAgeMs: 60 * 60_000,
  settleMs: 2_000,
  pageSize: 1000,
  spillBytes: 128 * 1024,
  cacheEvery: 64,
  watchPollMs: 10_000,
});
