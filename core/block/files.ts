import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

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
const readdir = promisify(fs.readdir);

export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

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

/** A whole file; knowing its `size` saves two thread-pool round trips. */
export function readBlockFile(path: string, size?: number): Promise<Buffer> {
  return size === undefined ? readFile(path) : readExactly(path, size);
}

/**
 * Writes `data` as `dir/name`: to a temporary name, optionally fsynced, then renamed
 * (and the directory fsynced), so a crash never leaves a partial file under `name`.
 */
export async function writeFileAtomically(dir: string, name: string, data: Uint8Array, fsync: boolean): Promise<void> {
  const path = join(dir, name);
  const tmp = `${path}.tmp${randomBytes(6).toString('hex')}`;
  let fd: number;
  try {
    fd = await open(tmp, 'w');
  } catch (err) {
    // The first file of its directory: create the directory (no mkdir call per write).
    if (!isNotFound(err)) throw err;
    await mkdir(dir, { recursive: true });
    fd = await open(tmp, 'w');
  }
  try {
    for (let done = 0; done < data.length; ) done += (await write(fd, data, done, data.length - done)).bytesWritten;
    if (fsync) await fdatasync(fd);
  } finally {
    await close(fd);
  }
  await rename(tmp, path);
  if (fsync) {
    const d = await open(dir, 'r');
    try {
      await fsyncFd(d);
    } finally {
      await close(d);
    }
  }
}

export async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

const BYTE_DIR = /^[0-9a-f]{2}$/;
const BLOCK_NAME = /^[0-9a-f]{64}$/;

async function entries(dir: string, pattern: RegExp): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => pattern.test(name)).sort();
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

/** Every block file under a data directory (`root/hh/hh/<64 hex>`), one leaf directory listed at a time. */
export async function* blockFiles(root: string): AsyncGenerator<{ hash: Buffer; path: string }> {
  for (const a of await entries(root, BYTE_DIR)) {
    for (const b of await entries(join(root, a), BYTE_DIR)) {
      const leaf = join(root, a, b);
      for (const name of await entries(leaf, BLOCK_NAME)) yield { hash: Buffer.from(name, 'hex'), path: join(leaf, name) };
    }
  }
}
