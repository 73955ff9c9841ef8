import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { after, commonPrefixOf, listPage, resumeAfterMarker, type ListItem } from '../../../../core/model/list.js';

/** A sorted in-memory key space, seekable like the object table. */
function source(keys: string[]): { seek: (from: Buffer) => Iterable<ListItem<null>>; reads: () => number } {
  const sorted = [...new Set(keys)].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  let reads = 0;
  return {
    seek: function* (from) {
      for (const key of sorted) {
        if (Buffer.compare(Buffer.from(key), from) < 0) continue;
        reads++;
        yield { key, value: null };
      }
    },
    reads: () => reads,
  };
}

/** What a listing must contain: keys and common prefixes, in order, by the definition. */
function expected(keys: string[], prefix: string, delimiter: string): string[] {
  const out: string[] = [];
  for (const key of [...new Set(keys)].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
    if (!key.startsWith(prefix)) continue;
    const cp = commonPrefixOf(key, prefix, delimiter);
    const entry = cp === undefined ? key : `CP:${cp}`;
    if (out[out.length - 1] !== entry) out.push(entry);
  }
  return out;
}

/** Follows pages the way a V2 client does (continuation = nextFrom) or a V1 client (marker = last name). */
function paginate(keys: string[], prefix: string, delimiter: string, maxKeys: number, style: 'token' | 'marker'): string[] {
  const { seek } = source(keys);
  const out: string[] = [];
  let from: Buffer = Buffer.alloc(0);
  for (let page = 0; page < 1000; page++) {
    const r = listPage(seek, { prefix, delimiter, maxKeys, from });
    const names = [...r.items.map((i) => i.key), ...r.commonPrefixes.map((p) => `CP:${p}`)];
    expect(names.length).toBeLessThanOrEqual(maxKeys);
    // Items and prefixes interleave in key order: merge them back by name.
    out.push(...names.sort((a, b) => Buffer.compare(Buffer.from(a.replace(/^CP:/, '')), Buffer.from(b.replace(/^CP:/, '')))));
    if (!r.truncated) return out;
    from = style === 'token' ? r.nextFrom! : resumeAfterMarker(r.last!.name, prefix, delimiter);
  }
  throw new Error('pagination did not end');
}

describe('listPage', () => {
  const keyArb = fc.stringMatching(/^[ab/é-]{0,5}$/).filter((k) => k.length > 0);

  it('pages through exactly the definition, with tokens or markers, for any page size', () => {
    fc.assert(
      fc.property(
        fc.array(keyArb, { maxLength: 30 }),
        fc.constantFrom('', 'a', 'a/', 'b', 'é'),
        fc.constantFrom('', '/', 'b', '/a', 'ab'),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom('token' as const, 'marker' as const),
        (keys, prefix, delimiter, maxKeys, style) => {
          expect(paginate(keys, prefix, delimiter, maxKeys, style)).toEqual(expected(keys, prefix, delimiter));
        },
      ),
    );
  });

  it('is not truncated when the page ends exactly at the last item', () => {
    const { seek } = source(['a', 'b']);
    const r = listPage(seek, { prefix: '', delimiter: '', maxKeys: 2, from: Buffer.alloc(0) });
    expect(r.items.map((i) => i.key)).toEqual(['a', 'b']);
    expect(r.truncated).toBe(false);
    expect(listPage(seek, { prefix: '', delimiter: '', maxKeys: 1, from: Buffer.alloc(0) }).truncated).toBe(true);
  });

  it('jumps over a common prefix instead of reading every key under it', () => {
    const keys = ['a', ...Array.from({ length: 500 }, (_, i) => `dir/${String(i).padStart(4, '0')}`), 'z'];
    const s = source(keys);
    const r = listPage(s.seek, { prefix: '', delimiter: '/', maxKeys: 10, from: Buffer.alloc(0) });
    expect(r.items.map((i) => i.key)).toEqual(['a', 'z']);
    expect(r.commonPrefixes).toEqual(['dir/']);
    expect(s.reads()).toBeLessThan(10);
  });

  it('resumes after a marker that is a common prefix by skipping everything under it', () => {
    expect(resumeAfterMarker('dir/', '', '/')).toEqual(Buffer.from('dir0'));
    expect(resumeAfterMarker('dir/x', '', '/')).toEqual(after('dir/x'));
    expect(resumeAfterMarker('dir/', 'other', '/')).toEqual(after('dir/'));
    expect(resumeAfterMarker('dir/', '', '')).toEqual(after('dir/'));
  });

  it('returns nothing for max-keys 0 and for prefixes longer than any key can be', () => {
    const { seek } = source(['a']);
    expect(listPage(seek, { prefix: '', delimiter: '', maxKeys: 0, from: Buffer.alloc(0) })).toMatchObject({ items: [], truncated: false });
    expect(listPage(seek, { prefix: 'a'.repeat(1025), delimiter: '', maxKeys: 5, from: Buffer.alloc(0) }).items).toEqual([]);
  });
});
