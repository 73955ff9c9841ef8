/**
 * A Bayou-style replicated log (after Aerogramme's, DESIGN.md §4): each state is the
 * replay of all ops in timestamp order, ops are K2V rows written without coordination,
 * and S3 checkpoints bound the replay.
 *
 * Checkpoints are checked, not trusted: each records how many ops it covers (opCount),
 * so a reader counts the op rows between an anchor checkpoint and a newer one, and uses
 * the newer one only if the counts agree. A late op (one that appears after a
 * checkpoint past its timestamp was written) makes the count disagree, and the reader
 * falls back to an older checkpoint and replays, including the late op. The anchor is
 * the oldest of the newest `keepCheckpoints`; garbage collection deletes older ones
 * (and the ops before the anchor) only once the anchor itself checks out against the
 * oldest and is older than gcMinAgeMs. A checkpoint covers only ops older than
 * settleMs, so ops still in flight elsewhere are not left out in the first place.
 */
import type { K2vWrite } from '../../core/client/index.js';
import { LogError } from './errors.js';
import { History, type Base, type LogEntry } from './history.js';
import { WATCH_SK } from './layout.js';
import { Mutex } from './mutex.js';
import type { CheckpointPayload } from './seal.js';
import { LogStorage, type OpRow } from './storage.js';
import { Clock, timestampMs, ZERO_TIMESTAMP, type Timestamp } from './timestamp.js';
import { DEFAULT_BAYOU_OPTIONS, type BayouOptions, type LogContext, type LogSpec } from './types.js';
import { MAX_UNOBSERVED, WatchRow } from './watch.js';

const SYNC_ATTEMPTS = 4;

/** What update() builds from the current state: the op to push (if any) and writes to make with it. */
export interface Change<Op, R> {
  op?: Op;
  /** K2V writes that go in the same batch as the op (e.g. the rows the op refers to). */
  writes?: K2vWrite[];
  result: R;
}

type Entry<Op> = LogEntry<Op | null>;

export class Bayou<S, Op> {
  readonly options: BayouOptions;
  private readonly store: LogStorage<S, Op>;
  private readonly watchRow: WatchRow;
  private readonly clock: Clock;
  private readonly mutex = new Mutex();
  private readonly applyOrSkip: (state: S, op: Op | null) => S;
  private history: History<S, Op | null>;
  /** opCount of every checkpoint learnt of, by timestamp. */
  private readonly opCounts = new Map<Timestamp, number>();
  private opened = false;
  private closed = false;
  /** A change by another writer was announced and not yet read. */
  private dirty = false;
  private watching = false;
  private readonly listeners = new Set<(state: S) => void>();
  private background: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly ctx: LogContext,
    private readonly spec: LogSpec<S, Op>,
    readonly logId: string,
    options: Partial<BayouOptions> = {},
    now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_BAYOU_OPTIONS, ...options };
    if (this.options.keepCheckpoints < 2) throw new RangeError('keepCheckpoints must be at least 2');
    this.store = new LogStorage(ctx, spec, logId, this.options.pageSize);
    this.watchRow = new WatchRow(ctx.k2v, this.store.pk, WATCH_SK, this.options.watchPollMs, ctx.log);
    this.clock = new Clock(now);
    this.now = now;
    this.applyOrSkip = (state, op) => (op === null ? state : spec.apply(state, op));
    this.history = new History({ ts: ZERO_TIMESTAMP, opCount: 0, state: spec.initial() }, this.applyOrSkip, this.options.cacheEvery);
  }

  /** The state after every op known here. */
  get state(): S {
    return this.history.state;
  }

  get opCount(): number {
    return this.history.opCount;
  }

  /** Timestamp of the newest op applied. */
  get lastTs(): Timestamp {
    return this.history.lastTs;
  }

  /** Ops replayed on top of the checkpoint the in-memory history starts from. */
  get opsSinceCheckpoint(): number {
    return this.history.length;
  }

  /** Loads the newest checked checkpoint and the ops after it. */
  async open(): Promise<S> {
    await this.mutex.run(async () => {
      // Observed first, so that any push after the read below changes what was observed.
      await this.watchRow.check();
      await this.fullSync();
    });
    this.opened = true;
    return this.state;
  }

  /**
   * Reads ops pushed elsewhere. Without `force`, only if some were announced: by the
   * watch poll when it runs, else by reading the watch row. True when the state changed.
   */
  sync(force = false): Promise<boolean> {
    return this.mutex.run(() => this.syncLocked(force));
  }

  /**
   * Builds an op from the up-to-date state and pushes it (one K2V batch with `writes`
   * and the watch row); without an op nothing is written. Resolves once durable, with
   * the state after the op.
   */
  update<R>(build: (state: S) => Change<Op, R>): Promise<{ result: R; state: S }> {
    return this.mutex.run(async () => {
      this.assertOpen();
      await this.syncLocked(false);
      const change = build(this.state);
      if (change.op !== undefined) await this.push(change.op, change.writes ?? []);
      return { result: change.result, state: this.state };
    });
  }

  /**
   * Calls `listener` with the new state after every change: pushes here and, learnt
   * through the watch row, ops pushed by other writers. Returns the unsubscribe.
   */
  subscribe(listener: (state: S) => void): () => void {
    this.listeners.add(listener);
    if (!this.watching) {
      this.watching = true;
      this.watchRow.start(() => {
        this.dirty = true;
        void this.sync().catch((err: unknown) => this.ctx.log?.warn({ err, log: this.logId }, 'sync after a change failed'));
      });
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.watching) {
        this.watching = false;
        this.watchRow.stop();
      }
    };
  }

  /** Writes a checkpoint now if any op follows the last one (tests, and shutdown of a busy writer). */
  async checkpoint(): Promise<void> {
    // One already running may have started before the latest ops: let it finish, then write another.
    await this.idle();
    await this.runBackground(() => this.writeCheckpoint());
  }

  /** Waits for background work (checkpoint, garbage collection) to finish. */
  async idle(): Promise<void> {
    while (this.background !== undefined) await this.background;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.watching = false;
    this.watchRow.stop();
    await this.idle();
  }

  private assertOpen(): void {
    if (this.closed) throw new LogError('LogClosed', `log ${this.logId} is closed`);
    if (!this.opened) throw new LogError('LogClosed', `log ${this.logId} is not open yet`);
  }

  private async syncLocked(force: boolean): Promise<boolean> {
    if (!force && !this.dirty && (this.watching || !(await this.watchRow.check()))) return false;
    this.dirty = false;
    const before = this.state;
    // A reader that never checkpoints moves to the writers' newer checkpoints instead of growing its history.
    if (this.history.length > 2 * this.options.checkpointEvery) {
      await this.fullSync();
      return this.state !== before;
    }
    const rows = await this.store.readOps(this.history.base.ts);
    this.history.add(await this.store.decode(rows.filter((r) => !this.history.has(r.ts))));
    this.afterChange(before);
    return this.state !== before;
  }

  private afterChange(before: S): void {
    if (this.state === before) return;
    for (const listener of this.listeners) {
      try {
        listener(this.state);
      } catch (err) {
        this.ctx.log?.error({ err, log: this.logId }, 'a change listener failed');
      }
    }
  }

  private async push(op: Op, writes: K2vWrite[]): Promise<void> {
    const ts = this.clock.next(this.history.lastTs);
    const row = await this.store.sealForPush(ts, op, this.options.spillBytes);
    if (this.watchRow.unobserved >= MAX_UNOBSERVED && (await this.watchRow.check())) this.dirty = true;
    await this.ctx.k2v.insertBatch([...writes, { pk: this.store.pk, sk: ts, value: row }, this.watchRow.touch()]);
    const before = this.state;
    this.history.add([{ ts, op }]);
    this.afterChange(before);
    if (this.checkpointDue()) void this.runBackground(() => this.writeCheckpoint());
  }

  private checkpointDue(): boolean {
    const settled = this.settledOps();
    if (settled >= this.options.checkpointEvery) return true;
    const base = this.history.base.ts;
    return settled > 0 && base !== ZERO_TIMESTAMP && this.now() - Number(timestampMs(base)) >= this.options.checkpointIntervalMs;
  }

  /** How many ops after the base are older than settleMs (ops are in timestamp order). */
  private settledOps(): number {
    const ops = this.history.ops;
    const cutoff = this.now() - this.options.settleMs;
    let lo = 0;
    let hi = ops.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (Number(timestampMs(ops[mid]!.ts)) <= cutoff) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Runs one background task at a time (a second request while one runs is dropped). */
  private runBackground(task: () => Promise<void>): Promise<void> {
    if (this.background !== undefined) return this.background;
    this.background = task()
      .catch((err: unknown) => this.ctx.log?.warn({ err, log: this.logId }, 'checkpoint failed'))
      .finally(() => {
        this.background = undefined;
      });
    return this.background;
  }

  /** Learns the opCounts a checkpoint records (its own and those it knew). */
  private learn(ts: Timestamp, payload: CheckpointPayload): void {
    this.opCounts.set(ts, payload.opCount);
    for (const [t, n] of payload.known) this.opCounts.set(t, n);
  }

  /**
   * Rebuilds the history from the newest checkpoint that checks out, retrying when a
   * concurrent garbage collection removes what was listed.
   */
  private async fullSync(): Promise<CheckResult> {
    for (let attempt = 0; attempt < SYNC_ATTEMPTS; attempt++) {
      const result = await this.tryFullSync();
      if (result !== null) return result;
    }
    throw new LogError('LogConflict', `log ${this.logId}: checkpoints kept disappearing while reading them`);
  }

  private async tryFullSync(): Promise<CheckResult | null> {
    const names = await this.store.listCheckpoints();
    const anchorAt = Math.max(0, names.length - this.options.keepCheckpoints);
    const anchor = names[anchorAt] ?? ZERO_TIMESTAMP;
    const rows = await this.store.readOps(anchor);
    const payloads = new Map<Timestamp, CheckpointPayload>();
    const load = async (ts: Timestamp): Promise<CheckpointPayload | null> => {
      let p = payloads.get(ts) ?? null;
      if (p === null) {
        p = await this.store.loadCheckpoint(ts);
        if (p !== null) {
          payloads.set(ts, p);
          this.learn(ts, p);
        }
      }
      return p;
    };
    // The newest first: its record of older opCounts usually spares loading them.
    const newest = names.at(-1);
    if (newest !== undefined && newest !== this.history.base.ts && (await load(newest)) === null) return null;
    const opCountOf = async (ts: Timestamp): Promise<number | null> => {
      if (ts === ZERO_TIMESTAMP) return 0;
      const known = this.opCounts.get(ts);
      return known !== undefined ? known : ((await load(ts))?.opCount ?? null);
    };

    const anchorCount = await opCountOf(anchor);
    if (anchorCount === null) return null;
    // Every checkpoint after the anchor is checked (not only down to the first good one), so
    // that an incomplete one is found while it is still newer than any anchor.
    let chosen = anchorAt;
    const incomplete: Timestamp[] = [];
    for (let i = names.length - 1; i > anchorAt; i--) {
      const n = await opCountOf(names[i]!);
      if (n === null) return null;
      const stored = countUpTo(rows, names[i]!);
      if (n - anchorCount === stored) {
        if (chosen === anchorAt) chosen = i;
        continue;
      }
      // More ops than it covers: some arrived late. (Fewer: a concurrent collection is deleting rows.)
      if (stored > n - anchorCount) incomplete.push(names[i]!);
      this.ctx.log?.info({ log: this.logId, checkpoint: names[i] }, 'checkpoint does not match the ops stored');
    }

    const baseTs = names[chosen] ?? ZERO_TIMESTAMP;
    const after = rows.filter((r) => r.ts > baseTs);
    if (baseTs === this.history.base.ts) {
      const before = this.state;
      this.history.add(await this.store.decode(after.filter((r) => !this.history.has(r.ts))));
      this.afterChange(before);
    } else {
      const payload = await load(baseTs);
      if (baseTs !== ZERO_TIMESTAMP && payload === null) return null;
      const base: Base<S> =
        payload === null
          ? { ts: ZERO_TIMESTAMP, opCount: 0, state: this.spec.initial() }
          : { ts: baseTs, opCount: payload.opCount, state: this.spec.decodeState(payload.state) };
      await this.rebase(base, after);
    }
    this.dirty = false;
    return { names, rows, anchor, anchorCount, incomplete };
  }

  /** Starts the history over from `base`, reusing the ops already decoded here. */
  private async rebase(base: Base<S>, rows: readonly OpRow[]): Promise<void> {
    const before = this.state;
    const decoded = new Map<string, Entry<Op>>(this.history.ops.map((e) => [e.ts, e]));
    const missing = rows.filter((r) => !decoded.has(r.ts));
    const fresh = await this.store.decode(missing);
    const history = new History<S, Op | null>(base, this.applyOrSkip, this.options.cacheEvery);
    history.add([...rows.filter((r) => decoded.has(r.ts)).map((r) => decoded.get(r.ts)!), ...fresh]);
    this.history = history;
    this.afterChange(before);
  }

  private async writeCheckpoint(): Promise<void> {
    const snapshot = await this.mutex.run(async () => {
      const check = await this.fullSync();
      const ops = this.history.ops;
      const k = this.settledOps();
      if (k === 0) return null;
      // The state after ops[k - 1]: replayed from the current base (the history keeps no state per op).
      let state = this.history.base.state;
      for (let i = 0; i < k; i++) state = this.applyOrSkip(state, ops[i]!.op);
      return { check, ts: ops[k - 1]!.ts, opCount: this.history.base.opCount + k, state, base: this.history.base };
    });
    if (snapshot === null) return;
    const { check, ts, opCount } = snapshot;
    const known: [Timestamp, number][] = [];
    for (const name of check.names) {
      const n = this.opCounts.get(name);
      if (n !== undefined) known.push([name, n]);
    }
    await this.store.writeCheckpoint(ts, { opCount, known, state: this.spec.encodeState(snapshot.state) });
    this.opCounts.set(ts, opCount);
    await this.mutex.run(async () => {
      // Move the base forward unless a late op changed what precedes the checkpoint meanwhile.
      if (this.history.base !== snapshot.base) return;
      const ops = this.history.ops;
      const k = opCount - snapshot.base.opCount;
      if (ops[k - 1]?.ts !== ts) return;
      const history = new History<S, Op | null>({ ts, opCount, state: snapshot.state }, this.applyOrSkip, this.options.cacheEvery);
      history.add(ops.slice(k));
      this.history = history;
    });
    // A complete checkpoint now follows them: left alone, one could become the anchor readers trust.
    await this.store.deleteCheckpoints(check.incomplete.filter((t) => t < ts));
    const names = [...new Set([...check.names, ts])].filter((t) => !check.incomplete.includes(t) || t >= ts).sort();
    await this.collectGarbage(names, check);
  }

  /**
   * Deletes checkpoints older than the oldest of the newest `keepCheckpoints`, and the
   * ops before it, once that one is old enough and checks out against the oldest.
   */
  private async collectGarbage(names: Timestamp[], check: CheckResult): Promise<void> {
    const keep = this.options.keepCheckpoints;
    if (names.length <= keep) return;
    const newAnchor = names[names.length - keep]!;
    if (this.now() - Number(timestampMs(newAnchor)) < this.options.gcMinAgeMs) return;
    // The rows read from the old anchor on: does the new anchor cover exactly those before it?
    const oldest = names[0]!;
    const n = this.opCounts.get(newAnchor) ?? (await this.store.loadCheckpoint(newAnchor))?.opCount;
    const rows = check.anchor === oldest ? check.rows : await this.store.readOps(oldest);
    const base = check.anchor === oldest ? check.anchorCount : (this.opCounts.get(oldest) ?? (await this.store.loadCheckpoint(oldest))?.opCount);
    if (n === undefined || base === undefined || n - base !== countUpTo(rows, newAnchor)) return;
    await this.store.collect(names.slice(0, names.length - keep), newAnchor);
  }
}

interface CheckResult {
  names: Timestamp[];
  /** Op rows after the anchor. */
  rows: OpRow[];
  anchor: Timestamp;
  anchorCount: number;
  /** Checkpoints that miss ops which arrived late: replaced by the next one written, then deleted. */
  incomplete: Timestamp[];
}

/** How many rows have a timestamp at or before `ts` (rows are sorted). */
function countUpTo(rows: readonly OpRow[], ts: Timestamp): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid]!.ts <= ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
