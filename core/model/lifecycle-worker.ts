import type { Db, Tree } from '../db/index.js';
import { utf8 } from '../util/encoding.js';
import type { Logger } from '../util/log.js';
import { nextMidnight, type Lifecycle, type LifecycleResult } from './lifecycle.js';

export interface LifecycleWorkerOptions {
  lifecycle: Lifecycle;
  db: Db;
  logger: Logger;
  /** The clock, in ms: tests move it days ahead to make objects look old. */
  now?: () => number;
}

const LAST_COMPLETED = utf8('last_completed');
/** A failed pass is tried again after this delay. */
const RETRY_MS = 3_600_000;

/** The UTC day of `ms`, as YYYY-MM-DD. */
function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Runs the lifecycle rules once a day at midnight UTC, and at start when no pass
 * completed today (as Garage does); `runNow` is the CLI trigger. The day of the last
 * completed pass is kept in the metadata database.
 */
export class LifecycleWorker {
  private readonly state: Tree;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<LifecycleResult> | undefined;
  private stopped = false;

  constructor(private readonly options: LifecycleWorkerOptions) {
    this.state = options.db.tree('worker:lifecycle');
    this.now = options.now ?? Date.now;
  }

  /** The day (YYYY-MM-DD, UTC) the last pass completed, if any. */
  lastCompleted(): string | undefined {
    return this.state.get(LAST_COMPLETED)?.toString('utf8');
  }

  /** Runs a pass now; a pass already running is joined, not doubled. */
  runNow(): Promise<LifecycleResult> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<LifecycleResult> {
    const now = this.now();
    const result = await this.options.lifecycle.run(now);
    await this.options.db.transaction(() => this.state.put(LAST_COMPLETED, utf8(dayOf(now))));
    this.options.logger.info({ ...result, day: dayOf(now) }, 'lifecycle pass completed');
    return result;
  }

  /** Schedules the passes: now when none completed today, then every midnight (UTC). */
  start(): void {
    const now = this.now();
    this.schedule(this.lastCompleted() === dayOf(now) ? nextMidnight(now) - now : 0);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.runNow().then(
        () => this.schedule(nextMidnight(this.now()) - this.now()),
        (err: unknown) => {
          this.options.logger.error({ err }, 'lifecycle pass failed');
          this.schedule(RETRY_MS);
        },
      );
    }, delay);
    this.timer.unref();
  }

  /** Stops scheduling and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
