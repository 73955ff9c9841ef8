/**
 * A budget shared by tasks: each holds `weight` units of `capacity` while it runs (a
 * task heavier than the whole budget takes all of it). Tasks start in arrival order,
 * so a heavy one is never overtaken forever by light ones.
 */
export class Semaphore {
  private used = 0;
  private readonly waiting: { weight: number; start: () => void }[] = [];

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`semaphore capacity must be a positive integer, not ${capacity}`);
  }

  async run<T>(task: () => Promise<T>, weight = 1): Promise<T> {
    const w = Math.min(Math.max(1, weight), this.capacity);
    if (this.waiting.length === 0 && this.used + w <= this.capacity) this.used += w;
    else await new Promise<void>((start) => this.waiting.push({ weight: w, start }));
    try {
      return await task();
    } finally {
      this.used -= w;
      this.admit();
    }
  }

  private admit(): void {
    while (this.waiting.length > 0 && this.used + this.waiting[0]!.weight <= this.capacity) {
      const next = this.waiting.shift()!;
      this.used += next.weight;
      next.start();
    }
  }
}
