import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PMap } from '../../../../mail/mailbox/pmap.js';
import { SortedList } from '../../../../mail/mailbox/sorted-list.js';

describe('PMap', () => {
  it('behaves as a Map and never changes an older version', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.string({ maxLength: 4 }), fc.integer())), (ops) => {
        let m = PMap.empty<number>();
        const model = new Map<string, number>();
        const versions: [PMap<number>, Map<string, number>][] = [];
        for (const [set, k, v] of ops) {
          versions.push([m, new Map(model)]);
          if (set) {
            m = m.set(k, v);
            model.set(k, v);
          } else {
            m = m.delete(k);
            model.delete(k);
          }
        }
        for (const [old, snapshot] of [...versions, [m, model] as const]) {
          expect(old.size).toBe(snapshot.size);
          expect(new Map(old.entries())).toEqual(snapshot);
        }
      }),
    );
  });
});

describe('SortedList', () => {
  it('behaves as a sorted array under append, replace and remove, sharing old versions untouched', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('append', 'replace', 'remove'), fc.nat(300), fc.integer())), (ops) => {
        const key = (x: { k: number; v: number }): number => x.k;
        let list = SortedList.empty(key);
        let model: { k: number; v: number }[] = [];
        let next = 1;
        const versions: [SortedList<{ k: number; v: number }>, { k: number; v: number }[]][] = [];
        for (const [kind, pick, v] of ops) {
          versions.push([list, model.slice()]);
          if (kind === 'append' || model.length === 0) {
            const items = Array.from({ length: 1 + (pick % 70) }, () => ({ k: next++, v }));
            list = list.edit((d) => items.forEach((i) => d.append(i)));
            model.push(...items);
          } else {
            const target = model[pick % model.length]!;
            if (kind === 'replace') {
              list = list.edit((d) => d.replace({ k: target.k, v }));
              model = model.map((x) => (x.k === target.k ? { k: x.k, v } : x));
            } else {
              list = list.edit((d) => d.remove(target.k));
              model = model.filter((x) => x.k !== target.k);
            }
          }
        }
        for (const [old, snapshot] of [...versions, [list, model] as const]) {
          expect(old.toArray()).toEqual(snapshot);
          expect(old.size).toBe(snapshot.length);
          for (const x of snapshot) expect(old.get(x.k)).toEqual(x);
        }
      }),
    );
  });
});
