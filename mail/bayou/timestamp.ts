/**
 * Log timestamps: hex(ms(u64) ‖ counter(u32) ‖ random(u64)), 40 lower-case hex digits,
 * so that lexical order is numeric order is the log's total order. The counter makes
 * a process's own timestamps strictly increasing even within one millisecond or with
 * a clock that went back; the random part orders concurrent writers without
 * coordination (ties are then astronomically unlikely).
 */
import { randomBytes } from 'node:crypto';

declare const timestampBrand: unique symbol;
export type Timestamp = string & { readonly [timestampBrand]: true };

const TIMESTAMP_HEX = 40;
const MS_HEX = 16;
const COUNTER_HEX = 8;
const MAX_COUNTER = 0xffff_ffff;
const PATTERN = /^[0-9a-f]{40}$/;

/** Before every real timestamp: the position of "nothing applied yet". */
export const ZERO_TIMESTAMP = '0'.repeat(TIMESTAMP_HEX) as Timestamp;

export function isTimestamp(text: string): text is Timestamp {
  return PATTERN.test(text);
}

export function timestampMs(ts: Timestamp): bigint {
  return BigInt(`0x${ts.slice(0, MS_HEX)}`);
}

function timestampCounter(ts: Timestamp): number {
  return Number.parseInt(ts.slice(MS_HEX, MS_HEX + COUNTER_HEX), 16);
}

export function makeTimestamp(ms: bigint, counter: number, random: Uint8Array): Timestamp {
  return (ms.toString(16).padStart(MS_HEX, '0') + counter.toString(16).padStart(COUNTER_HEX, '0') + Buffer.from(random).toString('hex')) as Timestamp;
}

/** A hybrid logical clock: each timestamp is after the wall clock and after everything seen. */
export class Clock {
  private last: Timestamp = ZERO_TIMESTAMP;

  constructor(private readonly now: () => number = Date.now) {}

  /** A fresh timestamp greater than `seen` and than every one this clock issued. */
  next(seen: Timestamp = ZERO_TIMESTAMP): Timestamp {
    const after = seen > this.last ? seen : this.last;
    const afterMs = timestampMs(after);
    const now = BigInt(this.now());
    let ms: bigint;
    let counter: number;
    if (now > afterMs) {
      ms = now;
      counter = 0;
    } else {
      const c = timestampCounter(after);
      [ms, counter] = c < MAX_COUNTER ? [afterMs, c + 1] : [afterMs + 1n, 0];
    }
    this.last = makeTimestamp(ms, counter, randomBytes(8));
    return this.last;
  }
}
