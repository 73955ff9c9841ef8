import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../../../mail/lmtp/semaphore.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('Semaphore', () => {
  it('runs at most `limit` tasks at once, the others in arrival order', async () => {
    const sem = new Semaphore(2);
    const releases: (() => void)[] = [];
    const started: number[] = [];
    let running = 0;
    let peak = 0;
    const all = Array.from({ length: 6 }, (_, i) =>
      sem.run(async () => {
        started.push(i);
        peak = Math.max(peak, ++running);
        await new Promise<void>((r) => releases.push(r));
        running--;
        return i;
      }),
    );
    for (let done = 0; done < 6; done++) {
      await tick();
      expect(running).toBeLessThanOrEqual(2);
      releases.shift()!();
    }
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
  });

  it('counts weights, lets a task heavier than the budget run alone, and keeps arrival order', async () => {
    const sem = new Semaphore(10);
    const log: string[] = [];
    const gates = new Map<string, () => void>();
    const task = (name: string, weight: number) =>
      sem.run(async () => {
        log.push(`start ${name}`);
        await new Promise<void>((r) => gates.set(name, r));
        log.push(`end ${name}`);
      }, weight);
    const all = [task('a', 6), task('b', 6), task('c', 1), task('huge', 100), task('d', 1)];
    await tick();
    // b does not fit next to a; c waits behind b (arrival order), though it would fit.
    expect(log).toEqual(['start a']);
    gates.get('a')!();
    await tick();
    expect(log).toEqual(['start a', 'end a', 'start b', 'start c']);
    gates.get('b')!();
    gates.get('c')!();
    await tick();
    expect(log.slice(-1)).toEqual(['start huge']);
    gates.get('huge')!();
    await tick();
    expect(log.slice(-2)).toEqual(['end huge', 'start d']);
    gates.get('d')!();
    await Promise.all(all);
  });

  it('frees the slot of a task that failed', async () => {
    const sem = new Semaphore(1);
    await expect(sem.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await sem.run(async () => 'next')).toBe('next');
  });

  it('refuses a capacity below 1', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});
