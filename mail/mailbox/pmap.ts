/**
 * A persistent map from strings: 256 buckets chosen by a hash of the key, each an
 * immutable Map. An update copies the bucket array and one bucket, so states that
 * differ by one op share almost everything (replay points and session snapshots are
 * cheap). `edit` batches many updates, copying each bucket at most once.
 */
const BUCKETS = 256;

type Bucket<V> = ReadonlyMap<string, V>;

function bucketOf(key: string): number {
  // FNV-1a, low byte.
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h & (BUCKETS - 1);
}

const NO_BUCKETS: readonly (Bucket<never> | undefined)[] = Object.freeze(new Array<undefined>(BUCKETS).fill(undefined));

export class PMap<V> {
  private constructor(
    private readonly buckets: readonly (Bucket<V> | undefined)[],
    readonly size: number,
  ) {}

  static empty<V>(): PMap<V> {
    return new PMap<V>(NO_BUCKETS, 0);
  }

  get(key: string): V | undefined {
    return this.buckets[bucketOf(key)]?.get(key);
  }

  has(key: string): boolean {
    return this.buckets[bucketOf(key)]?.has(key) ?? false;
  }

  set(key: string, value: V): PMap<V> {
    return this.edit((d) => d.set(key, value));
  }

  delete(key: string): PMap<V> {
    return this.has(key) ? this.edit((d) => d.delete(key)) : this;
  }

  edit(change: (draft: PMapDraft<V>) => void): PMap<V> {
    const draft = new PMapDraft(this.buckets, this.size);
    change(draft);
    return draft.changed ? new PMap(draft.buckets, draft.size) : this;
  }

  *entries(): IterableIterator<[string, V]> {
    for (const b of this.buckets) if (b !== undefined) yield* b.entries();
  }

  *values(): IterableIterator<V> {
    for (const b of this.buckets) if (b !== undefined) yield* b.values();
  }
}

/** Mutable view used inside PMap.edit. */
export class PMapDraft<V> {
  buckets: (Bucket<V> | undefined)[] | readonly (Bucket<V> | undefined)[];
  changed = false;
  private readonly owned = new Set<number>();

  constructor(
    buckets: readonly (Bucket<V> | undefined)[],
    public size: number,
  ) {
    this.buckets = buckets;
  }

  get(key: string): V | undefined {
    return this.buckets[bucketOf(key)]?.get(key);
  }

  has(key: string): boolean {
    return this.buckets[bucketOf(key)]?.has(key) ?? false;
  }

  private writable(i: number): Map<string, V> {
    if (!this.changed) {
      this.buckets = this.buckets.slice();
      this.changed = true;
    }
    const buckets = this.buckets as (Bucket<V> | undefined)[];
    if (!this.owned.has(i)) {
      buckets[i] = new Map(buckets[i]);
      this.owned.add(i);
    }
    return buckets[i] as Map<string, V>;
  }

  set(key: string, value: V): void {
    const bucket = this.writable(bucketOf(key));
    if (!bucket.has(key)) this.size++;
    bucket.set(key, value);
  }

  delete(key: string): void {
    if (!this.has(key)) return;
    this.writable(bucketOf(key)).delete(key);
    this.size--;
  }
}
