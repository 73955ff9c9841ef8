/**
 * The in-memory part of a log: a base (a checkpoint, or the empty state), the ops
 * after it in timestamp order, and the current state. Ops may arrive out of order (a
 * late op sorts before ops already applied): the history then rewinds to the nearest
 * kept replay point before it and re-applies what follows. States are immutable
 * values (apply is pure), so keeping replay points costs only what they do not share.
 */
import type { Timestamp } from './timestamp.js';

export interface LogEntry<Op> {
  ts: Timestamp;
  op: Op;
}

export interface Base<S> {
  ts: Timestamp;
  opCount: number;
  state: S;
}

export class History<S, Op> {
  private entries: LogEntry<Op>[] = [];
  /** replay[i] = state before entries[i * every]; replay[0] is the base state. */
  private replay: S[];
  private current: S;
  private readonly known = new Set<string>();

  constructor(
    readonly base: Base<S>,
    private readonly apply: (state: S, op: Op) => S,
    private readonly every: number,
  ) {
    this.replay = [base.state];
    this.current = base.state;
  }

  get state(): S {
    return this.current;
  }

  get length(): number {
    return this.entries.length;
  }

  get opCount(): number {
    return this.base.opCount + this.entries.length;
  }

  /** Timestamp of the last op applied (the base's if none). */
  get lastTs(): Timestamp {
    return this.entries.at(-1)?.ts ?? this.base.ts;
  }

  has(ts: string): boolean {
    return this.known.has(ts);
  }

  /** The entries after the base, oldest first (do not modify). */
  get ops(): readonly LogEntry<Op>[] {
    return this.entries;
  }

  /**
   * Adds ops not yet in the history (older or equal to the base, or already known,
   * are ignored) and brings the state up to date. Returns how many were added.
   */
  add(ops: readonly LogEntry<Op>[]): number {
    const fresh = ops.filter((e) => e.ts > this.base.ts && !this.known.has(e.ts)).sort((a, b) => (a.ts < b.ts ? -1 : 1));
    if (fresh.length === 0) return 0;
    // Only ops after the last one applied: the common case, no rewind.
    const appended = fresh[0]!.ts > this.lastTs;
    const from = appended ? this.entries.length : this.insertionPoint(fresh[0]!.ts);
    if (appended) for (const e of fresh) this.entries.push(e);
    else this.entries = mergeSorted(this.entries, fresh);
    for (const e of fresh) this.known.add(e.ts);
    this.replayFrom(from, appended);
    return fresh.length;
  }

  /** The first index whose entry sorts at or after `ts`. */
  private insertionPoint(ts: Timestamp): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid]!.ts < ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Recomputes the state from entry `from` on: from the current state, or from the replay point at or before it. */
  private replayFrom(from: number, appended: boolean): void {
    let i = from;
    let state = this.current;
    if (!appended) {
      const point = Math.min(Math.floor(from / this.every), this.replay.length - 1);
      this.replay.length = point + 1;
      i = point * this.every;
      state = this.replay[point]!;
    }
    for (; i < this.entries.length; i++) {
      if (i % this.every === 0 && i / this.every === this.replay.length) this.replay.push(state);
      state = this.apply(state, this.entries[i]!.op);
    }
    this.current = state;
  }
}

function mergeSorted<Op>(a: LogEntry<Op>[], b: LogEntry<Op>[]): LogEntry<Op>[] {
  const out: LogEntry<Op>[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]!.ts < b[j]!.ts)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}
