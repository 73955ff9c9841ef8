/**
 * A persistent list sorted by a numeric key (UIDs), in chunks of up to 64 items. New
 * keys are appended at the end (UIDs only grow); updates and removals copy the chunk
 * array and one chunk. `edit` batches many changes, copying each chunk at most once.
 */
const CHUNK = 64;

type Chunk<T> = readonly T[];

export class SortedList<T> {
  private flat: readonly T[] | undefined;

  private constructor(
    private readonly chunks: readonly Chunk<T>[],
    readonly size: number,
    private readonly keyOf: (item: T) => number,
  ) {}

  static empty<T>(keyOf: (item: T) => number): SortedList<T> {
    return new SortedList<T>([], 0, keyOf);
  }

  /** From items already sorted by key, without duplicates. */
  static fromSorted<T>(items: readonly T[], keyOf: (item: T) => number): SortedList<T> {
    const chunks: Chunk<T>[] = [];
    for (let i = 0; i < items.length; i += CHUNK) chunks.push(items.slice(i, i + CHUNK));
    return new SortedList(chunks, items.length, keyOf);
  }

  get(key: number): T | undefined {
    const c = findChunk(this.chunks, key, this.keyOf);
    if (c === -1) return undefined;
    const chunk = this.chunks[c]!;
    const i = findIn(chunk, key, this.keyOf);
    return i === -1 ? undefined : chunk[i];
  }

  get last(): T | undefined {
    return this.chunks.at(-1)?.at(-1);
  }

  /** All items in key order (computed once per list). */
  toArray(): readonly T[] {
    this.flat ??= this.chunks.flat();
    return this.flat;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.toArray()[Symbol.iterator]();
  }

  edit(change: (draft: SortedListDraft<T>) => void): SortedList<T> {
    const draft = new SortedListDraft(this.chunks, this.size, this.keyOf);
    change(draft);
    return draft.changed ? new SortedList(draft.chunks, draft.size, this.keyOf) : this;
  }
}

/** Mutable view used inside SortedList.edit. */
export class SortedListDraft<T> {
  chunks: Chunk<T>[] | readonly Chunk<T>[];
  changed = false;
  private readonly owned = new Set<Chunk<T>>();

  constructor(
    chunks: readonly Chunk<T>[],
    public size: number,
    private readonly keyOf: (item: T) => number,
  ) {
    this.chunks = chunks;
  }

  get(key: number): T | undefined {
    const c = findChunk(this.chunks, key, this.keyOf);
    if (c === -1) return undefined;
    const i = findIn(this.chunks[c]!, key, this.keyOf);
    return i === -1 ? undefined : this.chunks[c]![i];
  }

  get first(): T | undefined {
    return this.chunks[0]?.[0];
  }

  get last(): T | undefined {
    return this.chunks.at(-1)?.at(-1);
  }

  private list(): Chunk<T>[] {
    if (!this.changed) {
      this.chunks = this.chunks.slice();
      this.changed = true;
    }
    return this.chunks as Chunk<T>[];
  }

  private writable(c: number): T[] {
    const chunks = this.list();
    if (!this.owned.has(chunks[c]!)) {
      chunks[c] = chunks[c]!.slice();
      this.owned.add(chunks[c]!);
    }
    return chunks[c] as T[];
  }

  /** Adds an item whose key is greater than every key in the list. */
  append(item: T): void {
    const last = this.last;
    if (last !== undefined && this.keyOf(last) >= this.keyOf(item)) throw new RangeError(`key ${this.keyOf(item)} does not come after ${this.keyOf(last)}`);
    const chunks = this.list();
    const c = chunks.length - 1;
    if (c >= 0 && chunks[c]!.length < CHUNK) this.writable(c).push(item);
    else {
      const fresh = [item];
      chunks.push(fresh);
      this.owned.add(fresh);
    }
    this.size++;
  }

  /** Replaces the item with the same key; false when there is none. */
  replace(item: T): boolean {
    const key = this.keyOf(item);
    const c = findChunk(this.chunks, key, this.keyOf);
    const i = c === -1 ? -1 : findIn(this.chunks[c]!, key, this.keyOf);
    if (i === -1) return false;
    this.writable(c)[i] = item;
    return true;
  }

  remove(key: number): T | undefined {
    const c = findChunk(this.chunks, key, this.keyOf);
    const i = c === -1 ? -1 : findIn(this.chunks[c]!, key, this.keyOf);
    if (i === -1) return undefined;
    const chunk = this.writable(c);
    const [removed] = chunk.splice(i, 1);
    if (chunk.length === 0) this.list().splice(c, 1);
    this.size--;
    return removed;
  }
}

/** Index of the first chunk whose last key is >= key, or -1. */
function findChunk<T>(chunks: readonly Chunk<T>[], key: number, keyOf: (item: T) => number): number {
  let lo = 0;
  let hi = chunks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keyOf(chunks[mid]!.at(-1)!) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo === chunks.length ? -1 : lo;
}

function findIn<T>(chunk: Chunk<T>, key: number, keyOf: (item: T) => number): number {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const k = keyOf(chunk[mid]!);
    if (k === key) return mid;
    if (k < key) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}
