/**
 * Third-party command-line tools (awscli, s3cmd, rclone, ...) for end-to-end tests.
 *
 * `requireTool` is called at collection time (top of a test file or inside a
 * describe callback). When the tool is missing:
 *  - in CI (CI=true) it registers a failing test naming the Debian package to install,
 *    so a CI machine without the tool can never pass by skipping;
 *  - elsewhere it prints which package to install and returns false, for
 *    `describe.skipIf(!has)`.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { it } from 'vitest';
import { withEnv } from './server.js';

/** The full path of `cmd` (absolute, or looked up on PATH), or undefined. */
export function which(cmd: string): string | undefined {
  const candidates = isAbsolute(cmd) ? [cmd] : (process.env['PATH'] ?? '').split(delimiter).filter(Boolean).map((d) => join(d, cmd));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Whether `cmd` can run; see the module comment for what happens when it cannot. */
export function requireTool(cmd: string, debianPackage: string): boolean {
  if (which(cmd) !== undefined) return true;
  const message = `${cmd} is not installed: install the Debian package "${debianPackage}" (apt-get install -y ${debianPackage})`;
  if (process.env['CI'] === 'true') {
    it(`needs ${cmd} (Debian package ${debianPackage})`, () => {
      throw new Error(message);
    });
  } else {
    console.warn(`skipping tests that need ${cmd}: ${message}`);
  }
  return false;
}

export interface RunOptions {
  /** Applied over process.env; an undefined value removes the variable. */
  env?: Record<string, string | undefined>;
  input?: string | Buffer;
  cwd?: string;
  /** Kill the process (SIGKILL) after this many ms; the result then has code null and timedOut. */
  timeoutMs?: number;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a command without a shell and collects its output. Never rejects for a non-zero exit. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: withEnv(process.env, opts.env ?? {}),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, opts.timeoutMs)
        : undefined;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** A readable description of a run for assertion messages. */
export function describeRun(cmd: string, args: string[], r: RunResult): string {
  return `${cmd} ${args.join(' ')}\n=> exit ${r.code}${r.signal ? ` (${r.signal})` : ''}${r.timedOut ? ' (timed out)' : ''}\n--- stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}`;
}

/** Like run(), but throws (with the full output) unless the exit code is 0. */
export async function runOk(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(describeRun(cmd, args, r));
  return r;
}

// ---------------------------------------------------------------------------
// Files

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Writes `size` random bytes to `path` (streamed, 1 MiB at a time); returns their sha256 hex. */
export async function writeRandomFile(path: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  const ws = createWriteStream(path);
  let left = size;
  while (left > 0) {
    const chunk = randomBytes(Math.min(left, 1024 * 1024));
    hash.update(chunk);
    left -= chunk.length;
    if (!ws.write(chunk)) await new Promise<void>((r) => ws.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => ws.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return hash.digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sha256(data: Buffer | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
