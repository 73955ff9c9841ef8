/**
 * Small blocks recently stored or read, in memory, least recently used first out. Blocks
 * are content-addressed, so a cached block is never stale, and it was verified when it
 * entered. Small objects (mail messages) are typically read soon after they are written;
 * serving them from memory saves the file open and read on the thread pool.
 */
export class BlockCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(
    /** Larger blocks are never cached (large objects stream from disk). */
    private readonly maxBlockSize: number,
    private readonly maxBytes: number,
  ) {}

  get(hash: Uint8Array): Buffer | undefined {
    const key = Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('latin1');
    const data = this.entries.get(key);
    if (data) {
      this.entries.delete(key);
      this.entries.set(key, data);
    }
    return data;
  }

  add(hash: Uint8Array, data: Buffer): void {
    if (data.length > this.maxBlockSize) return;
    const key = Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('latin1');
    if (this.entries.has(key)) return;
    // A copy of exactly its size: `data` may be a slice of a larger (pooled) buffer.
    const copy = Buffer.allocUnsafeSlow(data.length);
    data.copy(copy);
    this.entries.set(key, copy);
    this.bytes += copy.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.length;
    }
  }
}
