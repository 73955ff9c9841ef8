import { join } from 'node:path';
import type { Db, Tree } from '../db/index.js';
import { decode, encode } from '../util/codec.js';
import type { DataDirConfig } from '../util/config.js';
import { CorruptionError } from '../util/errors.js';
import { toHex, utf8 } from '../util/encoding.js';
import { sha256, sha256Async } from '../util/hash.js';
import { blockFiles, isNotFound, readBlockFile, unlinkIfExists, writeFileAtomically } from './files.js';
import { DataLayout } from './layout.js';
import { checkDataDirs } from './markers.js';

export interface BlockManagerOptions {
  /** One directory, or several disks (the configuration's data_dir). */
  dataDir: string | readonly DataDirConfig[];
  /** fsync each block and its directory before `put` resolves. */
  fsync: boolean;
  /** How long an unreferenced block is kept before deletion (a reference may come back meanwhile). */
  gcDelayMs: number;
}

/** Blocks a rebalance moves at a time. */
const MOVES_IN_FLIGHT = 8;

interface RefCount {
  count: number;
  /** When the count reached zero: the block may be deleted gcDelayMs later. */
  zeroSince?: number;
}

/** What a rebalance did. */
export interface RebalanceResult {
  /** Blocks copied to their primary directory and removed from where they were. */
  moved: number;
  /** Extra copies removed (the primary directory had the block already). */
  duplicatesRemoved: number;
  /** Blocks left in place because they do not match their hash. */
  corrupted: number;
  /** Blocks left in place because they were being written or collected: run again later. */
  busy: number;
}

/**
 * Content-addressed data blocks on disk (data_dir/hh/hh/<sha256>), written
 * tmp → fsync → rename so a crash never leaves a partial block under its name, and
 * verified against their hash on every read. With several data directories, each
 * block has a primary one (DataLayout) and may be found in any. Reference counts live
 * in the metadata database and are changed only inside its transactions (by the
 * block_ref table).
 */
export class BlockManager {
  private readonly rc: Tree;
  private readonly layout: DataLayout;
  private gcTimer: NodeJS.Timeout | undefined;
  /** Blocks written but not yet referenced by committed metadata: never collected. */
  private readonly pins = new Map<string, number>();
  /** Blocks being deleted by the collector or moved by a rebalance: a put of the same hash waits. */
  private readonly busy = new Map<string, Promise<void>>();
  /** Resolves once the markers of directories seen for the first time are recorded. */
  readonly ready: Promise<void>;

  constructor(
    private readonly db: Db,
    private readonly options: BlockManagerOptions,
  ) {
    this.rc = db.tree('block:rc');
    const dirs = typeof options.dataDir === 'string' ? [{ path: options.dataDir, capacity: null, readOnly: false }] : options.dataDir;
    this.layout = new DataLayout(dirs);
    const known = db.tree('block:data_dirs');
    const fresh = checkDataDirs(dirs, known);
    this.ready = fresh.length === 0 ? Promise.resolve() : db.transaction(() => fresh.forEach(([path, id]) => known.put(utf8(path), utf8(id))));
    this.ready.catch(() => undefined); // awaited by whoever starts the node; handled meanwhile
  }

  static hashOf(data: Uint8Array): Buffer {
    return sha256(data);
  }

  private dirOf(hash: Uint8Array, root = this.layout.primaryDir(hash)): string {
    const hex = toHex(hash);
    return join(root, hex.slice(0, 2), hex.slice(2, 4));
  }

  /** Where the block is written: in its primary directory. */
  pathOf(hash: Uint8Array): string {
    return join(this.dirOf(hash), toHex(hash));
  }

  private searchPaths(hash: Uint8Array): string[] {
    return this.layout.searchDirs(hash).map((root) => join(this.dirOf(hash, root), toHex(hash)));
  }

  /**
   * Stores a block under its hash (which the caller computed); idempotent. The block
   * stays pinned (safe from the collector) until the caller, having committed the
   * metadata that references it, calls `unpin`.
   */
  async put(hash: Uint8Array, data: Uint8Array): Promise<void> {
    const hex = toHex(hash);
    this.pins.set(hex, (this.pins.get(hex) ?? 0) + 1);
    await this.busy.get(hex);
    await writeFileAtomically(this.dirOf(hash), hex, data, this.options.fsync);
  }

  unpin(hash: Uint8Array): void {
    const hex = toHex(hash);
    const n = (this.pins.get(hex) ?? 0) - 1;
    if (n > 0) this.pins.set(hex, n);
    else this.pins.delete(hex);
  }

  /**
   * Reads a block, from whichever data directory has it, and checks it against its
   * hash. With the block's `size` (callers usually know it) the read takes two
   * thread-pool round trips instead of four.
   */
  async get(hash: Uint8Array, size?: number): Promise<Buffer> {
    let data: Buffer | undefined;
    for (const path of this.searchPaths(hash)) {
      try {
        data = await readBlockFile(path, size);
        break;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    // Missed everywhere: a rebalance may just have moved it to its primary directory.
    data ??= await readBlockFile(this.pathOf(hash), size);
    if (!(await this.matches(hash, data))) throw new CorruptionError(`block ${toHex(hash)} does not match its hash`);
    return data;
  }

  private async matches(hash: Uint8Array, data: Buffer): Promise<boolean> {
    return (await sha256Async(data)).equals(Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength));
  }

  private readRc(hash: Uint8Array): RefCount {
    const raw = this.rc.get(hash);
    return raw ? decode<RefCount>(raw) : { count: 0 };
  }

  /** One more reference to the block; inside a metadata transaction. */
  incrementInTransaction(hash: Uint8Array): void {
    const rc = this.readRc(hash);
    this.rc.put(hash, encode({ count: rc.count + 1 }));
  }

  /** One reference fewer; at zero the block becomes a deletion candidate. */
  decrementInTransaction(hash: Uint8Array): void {
    const rc = this.readRc(hash);
    const count = Math.max(0, rc.count - 1);
    this.rc.put(hash, encode(count === 0 ? { count, zeroSince: Date.now() } : { count }));
  }

  refCount(hash: Uint8Array): number {
    return this.readRc(hash).count;
  }

  /** Marks a block busy (deleted or moved) until the returned function is called. */
  private claim(hex: string): () => void {
    let release!: () => void;
    this.busy.set(hex, new Promise<void>((resolve) => (release = resolve)));
    return () => {
      this.busy.delete(hex);
      release();
    };
  }

  /** Deletes blocks unreferenced for longer than the delay (every copy); returns how many went. */
  async collectGarbage(now = Date.now()): Promise<number> {
    const due: Buffer[] = [];
    for (const { key, value } of this.rc.range()) {
      const rc = decode<RefCount>(value);
      if (rc.count === 0 && rc.zeroSince !== undefined && now - rc.zeroSince >= this.options.gcDelayMs) due.push(key);
    }
    let deleted = 0;
    for (const hash of due) {
      const hex = toHex(hash);
      if (this.busy.has(hex)) continue;
      const release = this.claim(hex);
      try {
        // Re-checked in the transaction: a reference or a put may have arrived since the scan.
        const gone = await this.db.transaction(() => {
          if (this.readRc(hash).count !== 0 || this.pins.has(hex)) return false;
          this.rc.remove(hash);
          return true;
        });
        if (!gone || this.pins.has(hex)) continue;
        await Promise.all(this.searchPaths(hash).map(unlinkIfExists));
        deleted++;
      } finally {
        release();
      }
    }
    return deleted;
  }

  /**
   * Moves every block that is not in its primary directory there (after data_dir
   * changed; read-only directories end up empty): copied and verified, then removed
   * from where it was, so a reader always finds one copy.
   */
  async rebalance(): Promise<RebalanceResult> {
    const result: RebalanceResult = { moved: 0, duplicatesRemoved: 0, corrupted: 0, busy: 0 };
    const moves: Promise<void>[] = [];
    for (const dir of this.layout.dirs) {
      for await (const { hash, path } of blockFiles(dir.path)) {
        const target = this.pathOf(hash);
        if (path === target) continue;
        const hex = toHex(hash);
        if (this.busy.has(hex)) {
          result.busy++;
          continue;
        }
        const release = this.claim(hex);
        moves.push(
          this.moveToPrimary(hash, path, target)
            .then((outcome) => {
              result[outcome]++;
            })
            .finally(release),
        );
        if (moves.length >= MOVES_IN_FLIGHT) await Promise.all(moves.splice(0));
      }
    }
    await Promise.all(moves);
    return result;
  }

  private async moveToPrimary(hash: Buffer, from: string, to: string): Promise<'moved' | 'duplicatesRemoved' | 'corrupted'> {
    const existing = await readBlockFile(to).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    let outcome: 'moved' | 'duplicatesRemoved' = 'duplicatesRemoved';
    if (existing === undefined || !(await this.matches(hash, existing))) {
      const data = await readBlockFile(from);
      if (!(await this.matches(hash, data))) return 'corrupted';
      await writeFileAtomically(this.dirOf(hash), toHex(hash), data, this.options.fsync);
      outcome = 'moved';
    }
    await unlinkIfExists(from);
    return outcome;
  }

  /** Runs garbage collection periodically until `stop`. */
  startGc(intervalMs: number, onError: (err: unknown) => void): void {
    this.gcTimer = setInterval(() => {
      this.collectGarbage().catch(onError);
    }, intervalMs);
    this.gcTimer.unref();
  }

  stop(): void {
    if (this.gcTimer) clearInterval(this.gcTimer);
  }
}
