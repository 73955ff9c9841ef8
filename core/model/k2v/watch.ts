/**
 * In-process change notification for PollItem / PollRange: writers publish the topics
 * of the items they changed once their transaction is committed; pollers subscribe
 * before they read, so a change between their read and their wait is not missed.
 */

export class ChangeHub {
  private readonly topics = new Map<string, Set<() => void>>();

  /** A promise resolved by the next publish on `topic`; cancel() when done with it. */
  subscribe(topic: string): { changed: Promise<void>; cancel: () => void } {
    let fire!: () => void;
    const changed = new Promise<void>((resolve) => (fire = resolve));
    let set = this.topics.get(topic);
    if (!set) this.topics.set(topic, (set = new Set()));
    set.add(fire);
    const cancel = (): void => {
      set.delete(fire);
      if (set.size === 0 && this.topics.get(topic) === set) this.topics.delete(topic);
    };
    return { changed, cancel };
  }

  publish(topic: string): void {
    const set = this.topics.get(topic);
    if (set) for (const fire of set) fire();
  }

  /** Topics with waiting subscribers (for tests: nothing may leak). */
  get size(): number {
    return this.topics.size;
  }
}

/** Resolves true when `changed` fires, false at the timeout or when `signal` aborts. */
function waitChange(changed: Promise<void>, ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (fired: boolean): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(fired);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(false), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    void changed.then(() => done(true));
  });
}

/**
 * Runs `check` now and after every change of `topic` until it finds something, for at
 * most `timeoutMs`; null at the timeout or on abort.
 */
export async function pollUntil<T>(
  hub: ChangeHub,
  topic: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  check: () => Promise<T | undefined>,
): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sub = hub.subscribe(topic);
    try {
      const found = await check();
      if (found !== undefined) return found;
      if (!(await waitChange(sub.changed, deadline - Date.now(), signal))) return null;
    } finally {
      sub.cancel();
    }
  }
}
