import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clockGt, clockMax, dvvsClock, dvvsValues, dvvsWrite, mergeDvvs, type Dvvs, type DvvsEntry } from '../../../../core/crdt/dvvs.js';
import { encode } from '../../../../core/util/codec.js';

const same = <T>(x: T, y: T): boolean => encode(x).equals(encode(y));

// Few nodes and small times so that shared nodes, equal times and discards collide often.
const node = fc.bigInt({ min: 1n, max: 3n });
const time = fc.bigInt({ min: 0n, max: 6n });
// A dot names one value (as replicas guarantee), so the value is a function of the dot.
const valueOf = (n: bigint, t: bigint): string => `${n}:${t}`;
const entryArb: fc.Arbitrary<DvvsEntry<string>> = fc
  .tuple(node, time, fc.array(time, { maxLength: 4 }))
  .map(([n, discard, times]) => [n, discard, times.map((t) => [t, valueOf(n, t)] as const)]);
const dvvsArb: fc.Arbitrary<Dvvs<string>> = fc.array(entryArb, { maxLength: 4 }).map((es) => mergeDvvs([], es));
const clockArb = fc.array(fc.tuple(node, time), { maxLength: 3 }).map((pairs) => new Map(pairs));

describe('Dvvs merge laws', () => {
  it('is commutative', () => fc.assert(fc.property(dvvsArb, dvvsArb, (a, b) => same(mergeDvvs(a, b), mergeDvvs(b, a)))));
  it('is associative', () =>
    fc.assert(fc.property(dvvsArb, dvvsArb, dvvsArb, (a, b, c) => same(mergeDvvs(mergeDvvs(a, b), c), mergeDvvs(a, mergeDvvs(b, c))))));
  it('is idempotent', () => fc.assert(fc.property(dvvsArb, (a) => same(mergeDvvs(a, a), a))));
  it('is deterministic even when one dot carries two values', () => {
    const a: Dvvs<string> = [[1n, 0n, [[2n, 'x']]]];
    const b: Dvvs<string> = [[1n, 0n, [[2n, 'y']]]];
    expect(same(mergeDvvs(a, b), mergeDvvs(b, a))).toBe(true);
  });
});

describe('Dvvs writes', () => {
  it('a write with the clock of what was read replaces exactly that', () =>
    fc.assert(
      fc.property(dvvsArb, node, time, (set, n, minTime) => {
        const { set: after } = dvvsWrite(set, dvvsClock(set), n, minTime, 'new');
        expect(dvvsValues(after)).toEqual(['new']);
      }),
    ));

  it('a write without context keeps every value and adds a sibling', () =>
    fc.assert(
      fc.property(dvvsArb, node, time, (set, n, minTime) => {
        const { set: after } = dvvsWrite(set, new Map(), n, minTime, 'new');
        expect(dvvsValues(after).sort()).toEqual([...dvvsValues(set), 'new'].sort());
      }),
    ));

  it('gives every write a fresh dot above the minimum and above what the node wrote', () =>
    fc.assert(
      fc.property(dvvsArb, clockArb, node, time, (set, context, n, minTime) => {
        const before = dvvsClock(set).get(n) ?? 0n;
        const { set: after, time: t } = dvvsWrite(set, context, n, minTime, 'new');
        expect(t >= minTime && t > before).toBe(true);
        expect(dvvsClock(after).get(n)).toBe(t);
        // the new clock has seen everything the old one had, plus the write
        expect(clockGt(dvvsClock(after), dvvsClock(set))).toBe(true);
        expect(clockGt(dvvsClock(set), dvvsClock(after))).toBe(false);
      }),
    ));

  it('keeps concurrent writes from two coordinators, and one later write replaces both', () => {
    const first = dvvsWrite<string>([], new Map(), 1n, 1000n, 'v1').set;
    const seen = dvvsClock(first);
    const viaB = dvvsWrite(first, seen, 2n, 1500n, 'v2').set;
    const viaC = dvvsWrite(first, seen, 3n, 1510n, 'v3').set;
    const merged = mergeDvvs(viaB, viaC);
    expect(dvvsValues(merged)).toEqual(['v2', 'v3']);
    expect([...dvvsClock(merged)]).toEqual([
      [1n, 1000n],
      [2n, 1500n],
      [3n, 1510n],
    ]);
    const deleted = dvvsWrite<string | null>(merged, dvvsClock(merged), 1n, 0n, null).set;
    expect(dvvsValues(deleted)).toEqual([null]);
  });

  it('a stale context keeps the writes it has not seen', () => {
    const first = dvvsWrite<string>([], new Map(), 1n, 1n, 'a');
    const stale = dvvsClock(first.set);
    const second = dvvsWrite(first.set, stale, 1n, 1n, 'b');
    const third = dvvsWrite(second.set, stale, 1n, 1n, 'c');
    expect(dvvsValues(third.set)).toEqual(['b', 'c']);
  });
});

describe('vector clocks', () => {
  it('clockGt is "some component greater", missing counting as 0', () => {
    expect(clockGt(new Map([[1n, 2n]]), new Map([[1n, 1n]]))).toBe(true);
    expect(clockGt(new Map([[1n, 1n]]), new Map([[1n, 1n]]))).toBe(false);
    expect(clockGt(new Map([[2n, 1n]]), new Map([[1n, 9n]]))).toBe(true);
    expect(clockGt(new Map(), new Map([[1n, 9n]]))).toBe(false);
  });
  it('clockMax is an upper bound of both', () =>
    fc.assert(
      fc.property(clockArb, clockArb, (a, b) => {
        const m = clockMax(a, b);
        expect(clockGt(a, m) || clockGt(b, m)).toBe(false);
      }),
    ));
});
