/**
 * Shared, per-server protection: the delay after failed logins (per client
 * address, doubling, like Dovecot's auth penalty) and connection counts per address
 * and per user.
 */

const FORGET_AFTER_MS = 15 * 60_000;
const MAX_TRACKED = 10_000;

interface Failures {
  count: number;
  last: number;
}

export class AuthThrottle {
  private readonly byAddress = new Map<string, Failures>();

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a failure; returns how long to wait before answering it. */
  failed(address: string): number {
    const now = this.now();
    const f = this.byAddress.get(address);
    const count = f !== undefined && now - f.last < FORGET_AFTER_MS ? f.count + 1 : 1;
    this.byAddress.delete(address);
    this.byAddress.set(address, { count, last: now });
    // Insertion order is age order.
    for (const key of this.byAddress.keys()) {
      if (this.byAddress.size <= MAX_TRACKED) break;
      this.byAddress.delete(key);
    }
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(count - 1, 20));
  }

  succeeded(address: string): void {
    this.byAddress.delete(address);
  }
}

/** Counts live connections by key; `acquire` refuses past the limit. */
export class ConnectionCounter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly limit: number) {}

  acquire(key: string): boolean {
    const n = this.counts.get(key) ?? 0;
    if (n >= this.limit) return false;
    this.counts.set(key, n + 1);
    return true;
  }

  release(key: string): void {
    const n = this.counts.get(key) ?? 0;
    if (n <= 1) this.counts.delete(key);
    else this.counts.set(key, n - 1);
  }

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}
