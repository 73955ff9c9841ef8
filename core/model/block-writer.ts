import type { ModelContext } from './context.js';
import type { HashStream } from './hasher.js';
import type { Tables } from './tables.js';
import { deletedVersion, type VersionBacklink, type VersionBlock } from './version-table.js';

/** Blocks stored concurrently per upload (Garage's PUT_BLOCKS_MAX_PARALLEL). */
const BLOCKS_IN_FLIGHT = 3;

/**
 * Cuts a body into blocks of `blockSize` bytes (the last one shorter). `last` is exact:
 * a block is only returned as non-last once at least one byte after it was received.
 */
export class BlockChunker {
  size = 0;
  private readonly iterator: AsyncIterator<Uint8Array>;
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private ended = false;

  constructor(
    body: AsyncIterable<Uint8Array>,
    private readonly blockSize: number,
  ) {
    this.iterator = body[Symbol.asyncIterator]();
  }

  async next(): Promise<{ block: Buffer; last: boolean }> {
    while (!this.ended && this.pendingLength <= this.blockSize) {
      const { value, done } = await this.iterator.next();
      if (done) {
        this.ended = true;
        break;
      }
      const chunk = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      if (chunk.length === 0) continue;
      this.size += chunk.length;
      this.pending.push(chunk);
      this.pendingLength += chunk.length;
    }
    if (this.pendingLength <= this.blockSize) {
      // Always a copy: blocks are the chunker's own memory (the hash worker may take it).
      const block = Buffer.concat(this.pending, this.pendingLength);
      this.pending = [];
      this.pendingLength = 0;
      return { block, last: true };
    }
    const block = Buffer.allocUnsafe(this.blockSize);
    let filled = 0;
    while (filled < this.blockSize) {
      const chunk = this.pending[0]!;
      const take = Math.min(chunk.length, this.blockSize - filled);
      chunk.copy(block, filled, 0, take);
      filled += take;
      if (take === chunk.length) this.pending.shift();
      else this.pending[0] = chunk.subarray(take);
    }
    this.pendingLength -= this.blockSize;
    return { block, last: false };
  }
}

/**
 * Adds blocks to a version and references them, in the caller's transaction. Blocks
 * arriving for a version already deleted (its upload was superseded or aborted
 * meanwhile) are referenced and released at once, so their refcounts still reach zero.
 */
export function addBlocksInTransaction(t: Tables, uuid: Buffer, backlink: VersionBacklink, blocks: VersionBlock[]): void {
  const version = t.versions.applyInTransaction({ uuid, deleted: false, blocks, backlink });
  for (const block of blocks) {
    t.blockRefs.applyInTransaction({ block: block.hash, version: uuid, deleted: false });
    if (version.deleted) t.blockRefs.applyInTransaction({ block: block.hash, version: uuid, deleted: true });
  }
}

/**
 * Hands blocks that were written but whose version never committed to the collector:
 * a reference made and dropped at once leaves other references as they were, and an
 * otherwise unreferenced block at zero (deletable after the delay).
 */
export function releaseBlocksInTransaction(t: Tables, uuid: Buffer, backlink: VersionBacklink, blocks: VersionBlock[]): void {
  t.versions.applyInTransaction(deletedVersion(uuid, backlink));
  addBlocksInTransaction(t, uuid, backlink, blocks);
}

/**
 * Stores the blocks of one version (an object, or one part of an upload): each block is
 * hashed (on the hash worker, which also keeps the MD5 of the whole), written (pinned),
 * then recorded in the version with its block reference; a few blocks are written at
 * a time, and the reference commits overlap the next writes. The version entry is created, and `begin` run, in the transaction
 * of the first block that commits, to make the version known (uploading object version,
 * or upload part).
 */
export class VersionWriter {
  /** Blocks being hashed and written: they hold their data, so there are few of them. */
  private readonly writes: Promise<void>[] = [];
  /** References being committed: they hold only a hash (and keep the block pinned). */
  private readonly commits: Promise<void>[] = [];
  private readonly hashes: HashStream;
  private offset = 0;
  private begun = false;
  /** Hash of the block at offset 0, once known. */
  firstHash: Buffer | undefined;

  constructor(
    private readonly ctx: ModelContext,
    readonly uuid: Buffer,
    private readonly part: number,
    private readonly backlink: VersionBacklink,
    private readonly begin: () => void,
  ) {
    this.hashes = ctx.hasher.stream();
  }

  /** Creates the (empty) version entry and runs `begin`, unless done already; inside a transaction. */
  beginOnce(): void {
    if (this.begun) return;
    this.begun = true;
    this.ctx.tables.versions.applyInTransaction({ uuid: this.uuid, deleted: false, blocks: [], backlink: this.backlink });
    this.begin();
  }

  get started(): boolean {
    return this.begun;
  }

  /**
   * Queues a new block; waits while too many are being written (back-pressure on the
   * body). The writer takes `data`'s memory: the caller must not use it afterwards.
   */
  async add(data: Buffer): Promise<void> {
    const offset = this.offset;
    this.offset += data.length;
    const write = this.store(data, offset);
    write.catch(() => undefined); // awaited below or in finish/settle; marks it handled meanwhile
    this.writes.push(write);
    if (this.writes.length >= BLOCKS_IN_FLIGHT) await this.writes.shift();
  }

  /** Adds a block that is already stored (copies): only a new reference is recorded. */
  addExisting(hash: Buffer, size: number): void {
    const offset = this.offset;
    this.offset += size;
    if (offset === 0) this.firstHash = hash;
    this.record({ part: this.part, offset, hash, size }, false);
  }

  private async store(body: Buffer, offset: number): Promise<void> {
    const { hash, data } = await this.hashes.block(body);
    if (offset === 0) this.firstHash = hash;
    try {
      await this.ctx.blocks.put(hash, data);
    } catch (err) {
      this.ctx.blocks.unpin(hash);
      throw err;
    }
    this.ctx.cache.add(hash, data);
    // The write slot frees once the block is on disk; its reference commits meanwhile.
    this.record({ part: this.part, offset, hash, size: data.length }, true);
  }

  private record(block: VersionBlock, pinned: boolean): void {
    const commit = this.ctx.db
      .transaction(() => {
        this.beginOnce();
        addBlocksInTransaction(this.ctx.tables, this.uuid, this.backlink, [block]);
      })
      .finally(() => {
        if (pinned) this.ctx.blocks.unpin(block.hash);
      });
    commit.catch(() => undefined); // awaited in finish/settle
    this.commits.push(commit);
  }

  /** Waits for every block and reference; rejects with the first failure. Returns the MD5 of the blocks added. */
  async finish(): Promise<Buffer> {
    while (this.writes.length > 0) await this.writes.shift();
    await Promise.all(this.commits);
    return this.hashes.md5();
  }

  /** After a failure: waits for the blocks and references still in flight, ignoring their outcome. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.writes.splice(0));
    await Promise.allSettled(this.commits);
    this.hashes.discard();
  }
}
