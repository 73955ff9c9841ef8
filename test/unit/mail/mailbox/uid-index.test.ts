import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flagSet } from '../../../../mail/mailbox/flags.js';
import { applyIndexOp, emptyIndex, REMEMBERED_REMOVALS, type IndexOp, type UidIndex } from '../../../../mail/mailbox/uid-index.js';
import { decodeIndex, decodeIndexOp, encodeIndex, encodeIndexOp } from '../../../../mail/mailbox/uid-index-codec.js';
import { seqOf, vanishedSince } from '../../../../mail/mailbox/uid-index-view.js';

const id = (n: number): string => n.toString(16).padStart(32, '0');
const add = (uid: number, ...ns: number[]): IndexOp => ({ t: 'add', uid, msgs: ns.map((n) => ({ id: id(n), flags: flagSet([]), size: 100 + n, date: n })) });
const flags = (mode: 'add' | 'remove' | 'set', ns: number[], f: string[], unchangedSince?: bigint): IndexOp => ({
  t: 'flags',
  mode,
  ids: ns.map(id),
  flags: flagSet(f),
  ...(unchangedSince !== undefined ? { unchangedSince } : {}),
});
const expunge = (ns: number[], deletedOnly = false): IndexOp => ({ t: 'expunge', ids: ns.map(id), deletedOnly });
const run = (ops: IndexOp[], from: UidIndex = emptyIndex()): UidIndex => ops.reduce(applyIndexOp, from);
const uids = (s: UidIndex): [number, string][] => s.messages.toArray().map((m) => [m.uid, m.id]);

describe('uid index apply', () => {
  it('gives consecutive UIDs and one MODSEQ per op', () => {
    const s = run([add(1, 1, 2), add(3, 3)]);
    expect(uids(s)).toEqual([
      [1, id(1)],
      [2, id(2)],
      [3, id(3)],
    ]);
    expect(s.uidnext).toBe(4);
    expect(s.highestModseq).toBe(3n);
    expect(s.messages.get(2)!.modseq).toBe(2n);
    expect(s.uidvalidityBump).toBe(0);
    expect(s.totalSize).toBe(306);
    expect(seqOf(s, 3)).toBe(3);
  });

  it('bumps UIDVALIDITY by the UIDs a concurrent add lost (the worked example of the reference)', () => {
    // x, then y and z both proposed with UID 2 from the same view.
    const s = run([add(1, 1), add(2, 2), add(2, 3)]);
    expect(uids(s)).toEqual([
      [1, id(1)],
      [2, id(2)],
      [3, id(3)],
    ]);
    expect(s.uidvalidityBump).toBe(1);
    expect(s.uidnext).toBe(4);
  });

  it('merges concurrent flag changes in log order without touching UIDVALIDITY', () => {
    const base = run([add(1, 1, 2)]);
    const s = run([flags('add', [1], ['\\Seen']), flags('add', [1, 2], ['$Work']), flags('remove', [1], ['$work']), flags('set', [2], ['\\Flagged'])], base);
    expect(s.messages.get(1)!.flags).toEqual(['\\Seen']);
    expect(s.messages.get(2)!.flags).toEqual(['\\Flagged']);
    expect(s.uidvalidityBump).toBe(0);
    expect(s.unseen).toBe(1);
    expect(s.messages.get(2)!.modseq).toBe(s.highestModseq);
  });

  it('skips messages changed since UNCHANGEDSINCE, and leaves MODSEQ alone when nothing changes', () => {
    const base = run([add(1, 1, 2), flags('add', [2], ['\\Seen'])]);
    const s = run([flags('add', [1, 2], ['\\Flagged'], 2n)], base);
    expect(s.messages.get(1)!.flags).toEqual(['\\Flagged']);
    expect(s.messages.get(2)!.flags).toEqual(['\\Seen']);
    expect(run([flags('add', [2], ['\\Seen'])], base)).toBe(base);
  });

  it('expunges, counting the MODSEQ of the expunge for VANISHED', () => {
    const base = run([add(1, 1, 2, 3, 4), flags('add', [1, 2, 4], ['\\Deleted'])]);
    const s = run([expunge([1, 2, 3, 4], true)], base);
    expect(uids(s)).toEqual([[3, id(3)]]);
    expect(vanishedSince(s, base.highestModseq)).toEqual([
      [1, 2],
      [4, 4],
    ]);
    expect(s.highestModseq).toBe(base.highestModseq + 1n);
    expect(s.deleted).toBe(0);
    expect(s.uidnext).toBe(5);
  });

  it('adds a message once, and not again after its removal (idempotent moves)', () => {
    const s = run([add(1, 1), add(1, 1), add(2, 2), expunge([2]), add(3, 2)]);
    expect(uids(s)).toEqual([[1, id(1)]]);
    expect(s.uidnext).toBe(3);
  });

  it('forgets old removals beyond a bound', () => {
    const n = REMEMBERED_REMOVALS + 10;
    const ns = Array.from({ length: n }, (_, i) => i + 1);
    const s = run([add(1, ...ns), expunge(ns)]);
    expect(s.removedIds.size).toBe(REMEMBERED_REMOVALS);
    expect(s.removedIds.has(id(1))).toBe(false);
    expect(s.removedIds.has(id(n))).toBe(true);
  });

  it('never mutates its input', () => {
    const base = run([add(1, 1, 2)]);
    const copy = encodeIndex(base);
    run([add(3, 3), flags('set', [1], ['\\Seen']), expunge([2])], base);
    expect(encodeIndex(base).equals(copy)).toBe(true);
  });
});

describe('uid index codec', () => {
  it('round-trips ops and checkpoints', () => {
    const ops = [add(1, 1, 2, 3), flags('add', [1, 3], ['\\Seen', '$Label']), flags('remove', [3], ['$label'], 3n), expunge([2], false), add(4, 9)];
    for (const op of ops) expect(decodeIndexOp(encodeIndexOp(op))).toEqual(op);
    const s = run(ops);
    const back = decodeIndex(encodeIndex(s));
    expect(encodeIndex(back).equals(encodeIndex(s))).toBe(true);
    expect(uids(back)).toEqual(uids(s));
    expect([back.unseen, back.deleted, back.totalSize, back.highestModseq]).toEqual([s.unseen, s.deleted, s.totalSize, s.highestModseq]);
    expect(run([add(5, 10)], back).uidnext).toBe(run([add(5, 10)], s).uidnext);
  });

  it('refuses malformed ops', () => {
    expect(() => decodeIndexOp(Buffer.from([0xc0]))).toThrow(TypeError);
    expect(() => encodeIndexOp({ t: 'expunge', ids: ['nope'], deletedOnly: false })).toThrow(TypeError);
  });
});

/**
 * Devices write ops from their own views; a view holds every op its device wrote or
 * read, and with an op everything its author had seen (a read of storage returns at
 * least what was acknowledged before). Timestamps come from skewed clocks, so ops
 * arrive late. Whatever happens, a (UIDVALIDITY, UID) pair never names two messages
 * along one device's views over time, nor between any view and the converged state.
 * (Two devices whose views are not yet synced may give one pair to two messages for
 * that long: that is the price of having no consensus, and it ends at convergence.)
 */
describe('UIDs without consensus', () => {
  interface Op {
    ts: number;
    op: IndexOp;
    /** What its author had seen. */
    seen: Set<number>;
  }

  const step = fc.record({
    device: fc.nat(2),
    kind: fc.constantFrom('sync', 'sync', 'add', 'add', 'flag', 'expunge'),
    pick: fc.nat(),
    skew: fc.integer({ min: 0, max: 5 }),
  });

  it('never reuses a (UIDVALIDITY, UID) pair, and only add conflicts raise UIDVALIDITY', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), fc.boolean(), (steps, onlyOneAdder) => {
        const ops: Op[] = [];
        const views: Set<number>[] = [new Set(), new Set(), new Set()];
        const pairs: Map<string, string>[] = [new Map(), new Map(), new Map()];
        let nextMsg = 1;
        let tsSalt = 0;
        const state = (view: Set<number>): UidIndex =>
          run(
            [...view]
              .map((i) => ops[i]!)
              .sort((a, b) => a.ts - b.ts)
              .map((o) => o.op),
          );
        const observe = (seenPairs: Map<string, string>, s: UidIndex): void => {
          for (const m of s.messages) {
            const key = `${s.uidvalidityBump}/${m.uid}`;
            const other = seenPairs.get(key);
            expect(other === undefined || other === m.id).toBe(true);
            seenPairs.set(key, m.id);
          }
        };
        const withHistory = (view: Set<number>, i: number): void => {
          view.add(i);
          for (const j of ops[i]!.seen) view.add(j);
        };
        for (const { device, kind, pick, skew } of steps) {
          const view = views[device]!;
          if (kind === 'sync') {
            const unseen = ops.map((_, i) => i).filter((i) => !view.has(i));
            if (unseen.length > 0) withHistory(view, unseen[pick % unseen.length]!);
          } else {
            const s = state(view);
            const present = s.messages.toArray().map((m) => Number.parseInt(m.id, 16));
            let op: IndexOp | undefined;
            if (kind === 'add' && (!onlyOneAdder || device === 0)) op = add(s.uidnext, ...Array.from({ length: 1 + (pick % 3) }, () => nextMsg++));
            else if (kind === 'flag' && present.length > 0) op = flags(pick % 2 ? 'add' : 'remove', [present[pick % present.length]!], ['\\Seen']);
            else if (kind === 'expunge' && present.length > 0) op = expunge([present[pick % present.length]!]);
            if (op === undefined) continue;
            // A skewed clock: after everything seen, possibly before ops not seen yet.
            const maxSeen = Math.max(0, ...[...view].map((i) => ops[i]!.ts));
            ops.push({ ts: maxSeen + 1 + skew + ++tsSalt / 1000, op, seen: new Set(view) });
            view.add(ops.length - 1);
          }
          observe(pairs[device]!, state(view));
        }
        const final = state(new Set(ops.map((_, i) => i)));
        for (const p of pairs) observe(p, final);
        if (onlyOneAdder) expect(final.uidvalidityBump).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
