import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Db, Tree } from '../db/index.js';
import { decode, encode } from '../util/codec.js';
import { CorruptionError } from '../util/errors.js';
import { toHex } from '../util/encoding.js';
import { sha256, sha256Async } from '../util/hash.js';

// The callback API, promisified: node:fs/promises (FileHandle) costs several times more
// per small file, which caps small-object throughput.
const open = promisify(fs.open);
const write = promisify(fs.write);
const fdatasync = promisify(fs.fdatasync);
const fsyncFd = promisify(fs.fsync);
const close = promisify(fs.close);
const rename = promisify(fs.rename);
const mkdir = promisify(fs.mkdir);
const readFile = promisify(fs.readFile);
const unlink = promisify(fs.unlink);

/** The first `size` bytes of a file (fewer if it is shorter); the close is not waited for. */
function readExactly(path: string, size: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    fs.open(path, 'r', (err, fd) => {
      if (err) return reject(err);
      const buf = Buffer.allocUnsafe(size);
      fs.read(fd, buf, 0, size, 0, (readErr, n) => {
        fs.close(fd, () => undefined);
        if (readErr) reject(readErr);
        else resolve(n === size ? buf : buf.subarray(0, n));
      });
    });
  });
}

export interface BlockManagerOptions {
  dataDir: string;
  /** fsync each block and its directory before `put` resolves. */
  fsync: boolean;
  /** How long an unreferenced block is kept before deletion (a reference may come back meanwhile). */
  gcDelayMs: number;
}

interface RefCount {
  count: number;
  /** When the count reached zero: the block may be deleted gcDelayMs later. */
  zeroSince?: number;
}

/**
 * Content-addressed data blocks on disk (data_dir/hh/hh/<sha256>), written
 * tmp → fsync → rename so a crash never leaves a partial block under its name, and
 * verified against their hash on every read. Reference counts live in the metadata
 * database and are changed only inside its transactions (by the block_ref table).
 */
export class BlockManager {
  private readonly rc: Tree;
  private gcTimer: NodeJS.Timeout | undefined;
  /** Blocks written but not yet referenced by committed metadata: never collected. */
  private readonly pins = new Map<string, number>();
  /** Blocks being unlinked by the collector: a put of the same hash waits for it. */
  private readonly deleting = new Map<string, Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly options: BlockManagerOptions,
  ) {
    this.rc = db.tree('block:rc');
  }

  static hashOf(data: Uint8Array): Buffer {
    return sha256(data);
  }

  private dirOf(hash: Uint8Array): string {
    const hex = toHex(hash);
    return join(this.options.dataDir, hex.slice(0, 2), hex.slice(2, 4));
  }

  pathOf(hash: Uint8Array): string {
    return join(this.dirOf(hash), toHex(hash));
  }

  /**
   * Stores a block under its hash (which the caller computed); idempotent. The block
   * stays pinned (safe from the collector) until the caller, having committed the
   * metadata that references it, calls `unpin`.
   */
  async put(hash: Uint8Array, data: Uint8Array): Promise<void> {
    const hex = toHex(hash);
    this.pins.set(hex, (this.pins.get(hex) ?? 0) + 1);
    await this.deleting.get(hex);
    const dir = this.dirOf(hash);
    const path = join(dir, toHex(hash));
    const tmp = `${path}.tmp${randomBytes(6).toString('hex')}`;
    let fd: number;
    try {
      fd = await open(tmp, 'w');
    } catch (err) {
      // The first block of its directory: create the directory (no mkdir call per put).
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(dir, { recursive: true });
      fd = await open(tmp, 'w');
    }
    try {
      for (let done = 0; done < data.length; ) done += (await write(fd, data, done, data.length - done)).bytesWritten;
      if (this.options.fsync) await fdatasync(fd);
    } finally {
      await close(fd);
    }
    await rename(tmp, path);
    if (this.options.fsync) {
      const d = await open(dir, 'r');
      try {
        await fsyncFd(d);
      } finally {
        await close(d);
      }
    }
  }

  unpin(hash: Uint8Array): void {
    const hex = toHex(hash);
    const n = (this.pins.get(hex) ?? 0) - 1;
    if (n > 0) this.pins.set(hex, n);
    else this.pins.delete(hex);
  }

  /**
   * Reads a block and checks it against its hash. With the block's `size` (callers
   * usually know it) the read takes two thread-pool round trips instead of four.
   */
  async get(hash: Uint8Array, size?: number): Promise<Buffer> {
    const path = this.pathOf(hash);
    const data = size === undefined ? await readFile(path) : await readExactly(path, size);
    if (!(await sha256Async(data)).equals(Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength))) {
      throw new CorruptionError(`block ${toHex(hash)} does not match its hash`);
    }
    return data;
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

  /** Deletes blocks unreferenced for longer than the delay; returns how many went. */
  async collectGarbage(now = Date.now()): Promise<number> {
    const due: Buffer[] = [];
    for (const { key, value } of this.rc.range()) {
      const rc = decode<RefCount>(value);
      if (rc.count === 0 && rc.zeroSince !== undefined && now - rc.zeroSince >= this.options.gcDelayMs) due.push(key);
    }
    let deleted = 0;
    for (const hash of due) {
      const hex = toHex(hash);
      // Re-checked in the transaction: a reference or a put may have arrived since the scan.
      const gone = await this.db.transaction(() => {
        if (this.readRc(hash).count !== 0 || this.pins.has(hex) || this.deleting.has(hex)) return false;
        this.rc.remove(hash);
        return true;
      });
      if (!gone || this.pins.has(hex)) continue;
      const removal = unlink(this.pathOf(hash)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      this.deleting.set(hex, removal);
      try {
        await removal;
      } finally {
        this.deleting.delete(hex);
      }
      deleted++;
    }
    return deleted;
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
