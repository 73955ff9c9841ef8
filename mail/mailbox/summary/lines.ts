/**
 * Where the line feeds of a message are, found once with Buffer.indexOf, so that
 * the IMAP size and line count of any byte range cost two binary searches.
 */

const LF = 0x0a;
const CR = 0x0d;

/** Index of the first element of `a` (ascending, `n` used) that is >= `x`. */
function lowerBound(a: Uint32Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class Positions {
  arr = new Uint32Array(256);
  n = 0;
  push(p: number): void {
    if (this.n === this.arr.length) {
      const bigger = new Uint32Array(this.arr.length * 2);
      bigger.set(this.arr);
      this.arr = bigger;
    }
    this.arr[this.n++] = p;
  }
}

export class LineIndex {
  private readonly lfs: Positions = new Positions();
  /** LFs with no CR before them: IMAP counts each as two octets. */
  private readonly bare: Positions = new Positions();

  constructor(raw: Buffer) {
    let p = raw.indexOf(LF);
    while (p !== -1) {
      this.lfs.push(p);
      if (p === 0 || raw[p - 1] !== CR) this.bare.push(p);
      p = raw.indexOf(LF, p + 1);
    }
  }

  get hasBareLf(): boolean {
    return this.bare.n > 0;
  }

  /** Number of LFs in [start, end). */
  lines(start: number, end: number): number {
    return lowerBound(this.lfs.arr, this.lfs.n, end) - lowerBound(this.lfs.arr, this.lfs.n, start);
  }

  /** Octets of [start, end) with every bare LF counted as CRLF. */
  virtualSize(start: number, end: number): number {
    return end - start + lowerBound(this.bare.arr, this.bare.n, end) - lowerBound(this.bare.arr, this.bare.n, start);
  }
}
