import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { History } from '../../../../mail/bayou/history.js';
import { makeTimestamp, ZERO_TIMESTAMP, type Timestamp } from '../../../../mail/bayou/timestamp.js';

const ts = (n: number): Timestamp => makeTimestamp(BigInt(n), 0, Buffer.alloc(8));
const apply = (s: readonly number[], op: number): readonly number[] => [...s, op];

describe('history', () => {
  it('converges to the timestamp-order replay whatever order ops arrive in', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { maxLength: 200 }),
        fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 50 }),
        fc.integer({ min: 1, max: 16 }),
        (ops, batchSizes, every) => {
          const h = new History<readonly number[], number>({ ts: ZERO_TIMESTAMP, opCount: 0, state: [] }, apply, every);
          const shuffled = [...ops];
          let at = 0;
          for (const size of [...batchSizes, Infinity]) {
            h.add(shuffled.slice(at, at + size).map((n) => ({ ts: ts(n), op: n })));
            at += size;
            if (at >= shuffled.length) break;
          }
          expect(h.state).toEqual([...ops].sort((a, b) => a - b));
          expect(h.opCount).toBe(ops.length);
        },
      ),
    );
  });

  it('ignores ops it has and ops at or before its base', () => {
    const h = new History<readonly number[], number>({ ts: ts(10), opCount: 5, state: [0] }, apply, 4);
    expect(h.add([{ ts: ts(5), op: 5 }, { ts: ts(10), op: 10 }, { ts: ts(11), op: 11 }])).toBe(1);
    expect(h.add([{ ts: ts(11), op: 11 }])).toBe(0);
    expect(h.state).toEqual([0, 11]);
    expect(h.opCount).toBe(6);
    expect(h.lastTs).toBe(ts(11));
  });

  it('replays a late op from the nearest replay point, not from the base', () => {
    let applied = 0;
    const counting = (s: readonly number[], op: number): readonly number[] => (applied++, apply(s, op));
    const h = new History<readonly number[], number>({ ts: ZERO_TIMESTAMP, opCount: 0, state: [] }, counting, 8);
    h.add(Array.from({ length: 100 }, (_, i) => ({ ts: ts(2 * i + 2), op: 2 * i + 2 })));
    applied = 0;
    h.add([{ ts: ts(181), op: 181 }]);
    expect(applied).toBeLessThanOrEqual(8 + 11);
    expect(h.state.indexOf(181)).toBe(90);
  });
});
