import { describe, expect, it } from 'vitest';
import { DataLayout, DRIVE_PARTITIONS } from '../../../../core/block/layout.js';
import type { DataDirConfig } from '../../../../core/util/config.js';

const TB = 1024 ** 4;
const dir = (path: string, capacity: number | null, readOnly = false): DataDirConfig => ({ path, capacity, readOnly });
const primaries = (layout: DataLayout) =>
  Array.from({ length: DRIVE_PARTITIONS }, (_, p) => layout.primaryDir(Buffer.from([0, 0, p >> 8, p & 0xff])));

describe('DataLayout', () => {
  it('gives each writable directory partitions in exact proportion to its capacity, none to read-only ones', () => {
    const layout = new DataLayout([dir('/a', 1 * TB), dir('/b', 3 * TB), dir('/old', null, true)]);
    expect([layout.partitionsOf('/a'), layout.partitionsOf('/b'), layout.partitionsOf('/old')]).toEqual([256, 768, 0]);
    const odd = new DataLayout([dir('/a', 1), dir('/b', 1), dir('/c', 1)]);
    expect(['/a', '/b', '/c'].map((p) => odd.partitionsOf(p)).sort()).toEqual([341, 341, 342]);
  });

  it('depends on the configuration only, and moves few partitions when a directory is added', () => {
    const two = [dir('/a', 2 * TB), dir('/b', 2 * TB)];
    expect(primaries(new DataLayout(two))).toEqual(primaries(new DataLayout(two)));
    const before = primaries(new DataLayout(two));
    const after = primaries(new DataLayout([...two, dir('/c', 2 * TB)]));
    const moved = before.filter((d, p) => after[p] !== d).length;
    const toC = after.filter((d) => d === '/c').length;
    // Moving the new directory's share is the least possible; chains between old directories stay rare.
    expect(moved).toBeGreaterThanOrEqual(toC);
    expect(moved).toBeLessThan(toC * 1.2);
  });

  it('searches the primary directory first, then every other one', () => {
    const layout = new DataLayout([dir('/a', 1), dir('/b', 1), dir('/old', null, true)]);
    const hash = Buffer.alloc(32, 7);
    const order = layout.searchDirs(hash);
    expect(order[0]).toBe(layout.primaryDir(hash));
    expect([...order].sort()).toEqual(['/a', '/b', '/old']);
    expect(() => new DataLayout([dir('/old', null, true)])).toThrow(RangeError);
  });
});
