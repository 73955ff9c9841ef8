/**
 * A watch row: random bytes rewritten by every writer after a change (in the same
 * batch as the change), long-polled by readers to learn of changes without reading
 * what changed. The value is not secret. A writer tells its own rewrites from other
 * writers' by the values it wrote, so its own pushes do not wake it.
 */
import { randomBytes } from 'node:crypto';
import type { K2vEntry, K2vStore, K2vWrite } from '../../core/client/index.js';
import type { Logger } from '../../core/util/log.js';

const VALUE_BYTES = 16;
/** Beyond this many rewrites since the last observation, a writer refreshes the token first (siblings pile up otherwise). */
export const MAX_UNOBSERVED = 16;
/** Own values remembered (a rewrite may land after the read that would have shown it). */
const REMEMBERED = 64;
const RETRY_MS = 1000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class WatchRow {
  private token: string | undefined;
  /** Hex of values written here, not yet seen in the row. */
  private mine: string[] = [];
  private rewrites = 0;
  /** The values the row held when last observed. */
  private seen = new Set<string>();
  private running = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly k2v: K2vStore,
    readonly pk: string,
    readonly sk: string,
    private readonly pollMs: number,
    private readonly log?: Logger,
  ) {}

  /** Rewrites since the last observation: a writer refreshes the token (check) when there are many. */
  get unobserved(): number {
    return this.rewrites;
  }

  /** The rewrite announcing a change; put it in the same insertBatch as the change. */
  touch(): K2vWrite {
    const value = randomBytes(VALUE_BYTES);
    this.mine.push(value.toString('hex'));
    if (this.mine.length > REMEMBERED) this.mine.shift();
    this.rewrites++;
    return { pk: this.pk, sk: this.sk, value, ...(this.token !== undefined ? { token: this.token } : {}) };
  }

  /** Takes in the row's current values; true when some value was written by someone else. */
  private observe(entry: K2vEntry): boolean {
    this.token = entry.token;
    this.rewrites = 0;
    const present = entry.values.map((v) => (v === null ? '' : Buffer.from(v).toString('hex')));
    const known = new Set([...this.mine, ...this.seen]);
    this.mine = this.mine.filter((v) => !present.includes(v));
    this.seen = new Set(present);
    return present.some((v) => !known.has(v));
  }

  /** Reads the row now (creating it when absent); true when others changed it since the last look. */
  async check(): Promise<boolean> {
    let entry = await this.k2v.read(this.pk, this.sk);
    if (entry === null) {
      await this.k2v.insertBatch([this.touch()]);
      entry = await this.k2v.read(this.pk, this.sk);
      if (entry === null) return false;
    }
    const known = this.token !== undefined;
    return this.observe(entry) && known;
  }

  /** Long-polls until stop(), calling onChange for every change made by others. */
  start(onChange: () => void): void {
    if (this.running) return;
    this.running = true;
    void this.loop(onChange);
  }

  stop(): void {
    this.running = false;
    this.wake?.();
  }

  private async loop(onChange: () => void): Promise<void> {
    while (this.running) {
      try {
        if (this.token === undefined) {
          if (await this.check()) onChange();
          continue;
        }
        const entry = await this.k2v.poll(this.pk, this.sk, this.token, this.pollMs);
        if (this.running && entry !== null && this.observe(entry)) onChange();
      } catch (err) {
        if (!this.running) return;
        this.log?.warn({ err, pk: this.pk }, 'watch poll failed; retrying');
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          void sleep(RETRY_MS).then(resolve);
        });
      }
    }
  }
}
