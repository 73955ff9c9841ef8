import type { DataDirConfig } from '../util/config.js';
import { sha256 } from '../util/hash.js';

/** Blocks are spread over the data directories by partition, as in Garage's multi-HDD layout. */
export const DRIVE_PARTITIONS = 1024;

/** A block's partition: bytes 2-3 of its hash (bytes 0-1 already name its two subdirectories). */
export function drivePartition(hash: Uint8Array): number {
  return ((hash[2]! << 8) | hash[3]!) % DRIVE_PARTITIONS;
}

/** Partitions per directory: proportional to capacity (largest remainders), none for a read-only one. */
function shares(dirs: readonly DataDirConfig[]): number[] {
  const weights = dirs.map((d) => (d.readOnly ? 0n : BigInt(d.capacity ?? 1)));
  const total = weights.reduce((a, b) => a + b, 0n);
  const n = BigInt(DRIVE_PARTITIONS);
  const counts = weights.map((w) => Number((w * n) / total));
  let left = DRIVE_PARTITIONS - counts.reduce((a, b) => a + b, 0);
  const byRemainder = weights.map((w, i) => ({ i, r: (w * n) % total })).sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of byRemainder) {
    if (left-- <= 0) break;
    counts[i]!++;
  }
  return counts;
}

/** How much partition `p` prefers the directory at `path`: independent of the other directories. */
function affinity(path: string, p: number): bigint {
  return sha256(`${p}\0${path}`).readBigUInt64BE(0);
}

/**
 * Where each block belongs among several data directories. Each partition has one
 * primary directory, where its blocks are written; the counts follow the capacities
 * exactly. The assignment is a function of the configuration alone (nothing to persist):
 * (partition, directory) pairs are taken by decreasing affinity while the directory
 * has room, so adding or resizing a directory moves few partitions besides those the
 * capacities require. Blocks written under an older configuration stay readable from
 * any directory until `rebalance` moves them.
 */
export class DataLayout {
  private readonly primary: Uint16Array;

  constructor(readonly dirs: readonly DataDirConfig[]) {
    if (dirs.length === 0 || dirs.every((d) => d.readOnly)) throw new RangeError('a data layout needs a writable directory');
    const room = shares(dirs);
    const pairs: { p: number; d: number; a: bigint }[] = [];
    for (let p = 0; p < DRIVE_PARTITIONS; p++) {
      dirs.forEach((dir, d) => {
        if (room[d]! > 0) pairs.push({ p, d, a: affinity(dir.path, p) });
      });
    }
    pairs.sort((x, y) => (x.a === y.a ? x.p - y.p || x.d - y.d : x.a > y.a ? -1 : 1));
    const assigned = new Int32Array(DRIVE_PARTITIONS).fill(-1);
    for (const { p, d } of pairs) {
      if (assigned[p] !== -1 || room[d] === 0) continue;
      assigned[p] = d;
      room[d]!--;
    }
    this.primary = Uint16Array.from(assigned);
  }

  /** The directory a block is written to. */
  primaryDir(hash: Uint8Array): string {
    return this.dirs[this.primary[drivePartition(hash)]!]!.path;
  }

  /** Where to look for a block: its primary directory, then every other one. */
  searchDirs(hash: Uint8Array): string[] {
    const first = this.primaryDir(hash);
    return [first, ...this.dirs.map((d) => d.path).filter((p) => p !== first)];
  }

  /** How many partitions have `path` as their primary directory. */
  partitionsOf(path: string): number {
    const d = this.dirs.findIndex((dir) => dir.path === path);
    return this.primary.filter((x) => x === d).length;
  }
}
