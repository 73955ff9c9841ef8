import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  mergeBool,
  mergeDeletable,
  mergeLww,
  mergeLwwMap,
  type Deletable,
  type Lww,
  type LwwMap,
} from '../../../../core/crdt/index.js';
import { encode } from '../../../../core/util/codec.js';

/** Checks the three merge laws on arbitrary states, comparing encoded forms. */
function mergeLaws<T>(name: string, arb: fc.Arbitrary<T>, merge: (a: T, b: T) => T): void {
  const same = (x: T, y: T): boolean => encode(x).equals(encode(y));
  describe(name, () => {
    it('is commutative', () => fc.assert(fc.property(arb, arb, (a, b) => same(merge(a, b), merge(b, a)))));
    it('is associative', () =>
      fc.assert(fc.property(arb, arb, arb, (a, b, c) => same(merge(merge(a, b), c), merge(a, merge(b, c))))));
    it('is idempotent', () => fc.assert(fc.property(arb, (a) => same(merge(a, a), a))));
  });
}

// Small timestamp and value ranges so that ties (the hard case) happen often.
const ts = fc.bigInt({ min: 0n, max: 5n });
const lwwArb: fc.Arbitrary<Lww<string>> = fc.record({ ts, value: fc.constantFrom('a', 'b', 'c') });
const lwwMapArb: fc.Arbitrary<LwwMap<number>> = fc
  .array(fc.tuple(fc.constantFrom('x', 'y', 'z'), ts, fc.integer({ min: 0, max: 3 })), { maxLength: 6 })
  .map((entries) => mergeLwwMap([], entries));
const deletableArb: fc.Arbitrary<Deletable<Lww<string>>> = fc.oneof(
  lwwArb.map((present) => ({ present })),
  fc.constant({ deleted: true as const }),
);

mergeLaws('Lww', lwwArb, mergeLww);
mergeLaws('LwwMap', lwwMapArb, mergeLwwMap);
mergeLaws('Bool', fc.boolean(), mergeBool);
mergeLaws('Deletable<Lww>', deletableArb, (a, b) => mergeDeletable(a, b, mergeLww));

describe('semantics', () => {
  it('Lww keeps the newer write', () => {
    expect(mergeLww({ ts: 2n, value: 'old?' }, { ts: 3n, value: 'new' }).value).toBe('new');
  });
  it('LwwMap merges per key and stays sorted', () => {
    const m = mergeLwwMap([['b', 1n, 1]], [['a', 1n, 2], ['b', 2n, 3]]);
    expect(m).toEqual([['a', 1n, 2], ['b', 2n, 3]]);
  });
  it('Deletable: deletion absorbs updates', () => {
    const merged = mergeDeletable({ present: { ts: 9n, value: 'x' } }, { deleted: true }, mergeLww);
    expect(merged).toEqual({ deleted: true });
  });
});
