import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Clock, isTimestamp, makeTimestamp, timestampMs, ZERO_TIMESTAMP } from '../../../../mail/bayou/timestamp.js';

describe('log timestamps', () => {
  it('are 40 hex digits whose lexical order is (ms, counter, random) order', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.nat(), fc.nat(), (a, b, ca, cb) => {
        const r = Buffer.alloc(8);
        const ta = makeTimestamp(a, ca, r);
        const tb = makeTimestamp(b, cb, r);
        expect(isTimestamp(ta)).toBe(true);
        expect(timestampMs(ta)).toBe(a);
        const numeric = a !== b ? a < b : ca < cb;
        if (a !== b || ca !== cb) expect(ta < tb).toBe(numeric);
      }),
    );
  });

  it('strictly increase, even when the clock stands still or goes back', () => {
    let now = 1_000;
    const clock = new Clock(() => now);
    const seen = [clock.next()];
    for (const step of [0, 0, -500, 5, 0, -1, 10_000]) {
      now += step;
      seen.push(clock.next());
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]! > seen[i - 1]!).toBe(true);
    expect(timestampMs(seen.at(-1)!)).toBe(10_504n);
  });

  it('come after what was seen, even from a clock ahead', () => {
    const clock = new Clock(() => 1_000);
    const ahead = makeTimestamp(5_000n, 7, Buffer.alloc(8, 0xff));
    const next = clock.next(ahead);
    expect(next > ahead).toBe(true);
    expect(timestampMs(next)).toBe(5_000n);
    expect(clock.next(ZERO_TIMESTAMP) > next).toBe(true);
  });
});
