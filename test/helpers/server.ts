/**
 * Starts real `aerogramme server` processes for end-to-end tests and benchmarks.
 *
 * This module must not import vitest: the benchmark (test/bench/s3.ts) uses it from
 * plain Node. Tests import `./vitest.js` as well, which stops every server left
 * running in an afterAll hook; a process 'exit' hook here SIGKILLs whatever is left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';

export interface StartOptions {
  /** Extra TOML, merged over the generated configuration (its keys win, tables are merged). */
  toml?: string;
  /** Reuse this directory (config, metadata and data) instead of a fresh one: for restarts. */
  dir?: string;
  /** Milliseconds to wait for the "ready" log line (default 30 s). */
  readyTimeoutMs?: number;
  /** Extra environment for the server process. */
  env?: Record<string, string | undefined>;
}

export interface StopOptions {
  /** Keep the directory (to start again on it); by default stop() removes it. */
  keepDir?: boolean;
}

export interface TestServer {
  s3Url: string;
  /** Empty when the server did not announce a K2V listener. */
  k2vUrl: string;
  /** The static website endpoint; empty when the server did not announce one. */
  webUrl: string;
  adminUrl: string;
  adminToken: string;
  /** Holds config.toml, meta/ and data/. */
  dir: string;
  configPath: string;
  pid: number;
  /** Listener addresses as logged, by API name. */
  addresses: Record<string, string>;
  /** True until the process has exited. */
  readonly running: boolean;
  /** The last ~256 KiB of the server's stdout and stderr. */
  output(): string;
  /** SIGTERM, wait for exit (SIGKILL after 10 s); removes the directory unless keepDir. */
  stop(opts?: StopOptions): Promise<void>;
  /** SIGKILL, wait for exit; the directory is kept (for restart()). */
  kill9(): Promise<void>;
  /** Stops this process if it still runs (keeping the directory) and starts a new one on the same directory. */
  restart(): Promise<TestServer>;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface KeyAndBucket extends Credentials {
  bucketId: string;
  bucket: string;
}

/** The repository root: the nearest ancestor of this file holding bin/aerogramme.js (works from test/ and from dist/test/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'bin', 'aerogramme.js')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (bin/aerogramme.js) above the test helpers');
    dir = parent;
  }
}

// ---------------------------------------------------------------------------
// Tracking: no server or temp dir may outlive the test run.

interface Tracked {
  child: ChildProcess;
  dir: string;
  keepDir: boolean;
  stop: (opts?: StopOptions) => Promise<void>;
}

const live = new Set<Tracked>();
/** Directories of servers that were killed (kept for a restart); removed by stopAllServers or at exit. */
const orphanDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const t of live) {
      if (t.child.exitCode === null && t.child.signalCode === null) {
        try {
          t.child.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
      if (!t.keepDir) rmSync(t.dir, { recursive: true, force: true });
    }
    for (const d of orphanDirs) rmSync(d, { recursive: true, force: true });
  });
}

/** Stops every server started by this process and removes their directories (for afterAll hooks). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...live].map((t) => t.stop({ keepDir: t.keepDir }).catch(() => undefined)));
  for (const d of orphanDirs) rmSync(d, { recursive: true, force: true });
  orphanDirs.clear();
}

// ---------------------------------------------------------------------------

type TomlTable = Record<string, unknown>;

function isTable(v: unknown): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function mergeToml(base: TomlTable, over: TomlTable): TomlTable {
  const out: TomlTable = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isTable(v) && isTable(out[k]) ? mergeToml(out[k] as TomlTable, v) : v;
  }
  return out;
}

function baseConfig(dir: string, adminToken: string): TomlTable {
  return {
    metadata_dir: join(dir, 'meta'),
    data_dir: join(dir, 'data'),
    metadata_fsync: true,
    data_fsync: true,
    rpc_bind_addr: '127.0.0.1:0',
    s3_api: { api_bind_addr: '127.0.0.1:0', s3_region: 'garage' },
    s3_web: { bind_addr: '127.0.0.1:0' },
    k2v_api: { api_bind_addr: '127.0.0.1:0' },
    admin: { api_bind_addr: '127.0.0.1:0', admin_token: adminToken },
    log: { level: 'info' },
    mail: { users_file: join(dir, 'users.toml') },
    imap: { bind_addr: '127.0.0.1:0' },
    lmtp: { bind_addr: '127.0.0.1:0' },
  };
}

function urlOf(addr: string): string {
  // "127.0.0.1:3900", "[::1]:3900" or "::1:3900"
  if (addr.startsWith('[')) return `http://${addr}`;
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i);
  return host.includes(':') ? `http://[${host}]:${addr.slice(i + 1)}` : `http://${addr}`;
}

const OUTPUT_LIMIT = 256 * 1024;

/** Starts `aerogramme server -c DIR/config.toml` with every port 0; resolves once it logged "ready". */
export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  installExitHook();
  const root = repoRoot();
  const main = join(root, 'dist', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} does not exist: build first (npx tsc -p .)`);

  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'aero-e2e-'));
  orphanDirs.delete(dir);
  const configPath = join(dir, 'config.toml');
  let existing: TomlTable | undefined;
  if (existsSync(configPath)) existing = parseToml(readFileSync(configPath, 'utf8')) as TomlTable;
  let config: TomlTable;
  if (existing && opts.toml === undefined) {
    config = existing;
  } else {
    const oldToken = isTable(existing?.['admin']) ? (existing['admin'] as TomlTable)['admin_token'] : undefined;
    const token = typeof oldToken === 'string' ? oldToken : randomBytes(24).toString('hex');
    config = baseConfig(dir, token);
    if (opts.toml !== undefined) config = mergeToml(config, parseToml(opts.toml) as TomlTable);
    writeFileSync(configPath, stringifyToml(config), { mode: 0o600 });
  }
  const adminToken = String((config['admin'] as TomlTable | undefined)?.['admin_token'] ?? '');

  const child = spawn(process.execPath, [join(root, 'bin', 'aerogramme.js'), 'server', '-c', configPath], {
    cwd: dir,
    env: withEnv(process.env, opts.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let out = '';
  const append = (s: string): void => {
    out += s;
    if (out.length > OUTPUT_LIMIT * 2) out = out.slice(-OUTPUT_LIMIT);
  };
  const output = (): string => (out.length > OUTPUT_LIMIT ? out.slice(-OUTPUT_LIMIT) : out);

  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });

  const addresses: Record<string, string> = {};
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  let pending = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    append(chunk);
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      let rec: { msg?: unknown; api?: unknown; addr?: unknown; addresses?: unknown };
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        continue;
      }
      if (rec.msg === 'listening' && typeof rec.api === 'string' && typeof rec.addr === 'string') addresses[rec.api] = rec.addr;
      if (rec.msg === 'ready') {
        // The ready line may repeat the addresses: take any that were not announced separately.
        if (isTable(rec.addresses)) {
          for (const [api, addr] of Object.entries(rec.addresses)) if (typeof addr === 'string') addresses[api] ??= addr;
        }
        resolveReady();
      }
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => append(chunk));

  let keepDir = false;
  let stopping: Promise<void> | undefined;
  const isRunning = (): boolean => child.exitCode === null && child.signalCode === null;

  const removeDir = (): void => {
    rmSync(dir, { recursive: true, force: true });
    orphanDirs.delete(dir);
  };

  const stop = (stopOpts: StopOptions = {}): Promise<void> => {
    keepDir = stopOpts.keepDir ?? false;
    stopping ??= (async () => {
      if (isRunning()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          if (isRunning()) child.kill('SIGKILL');
        }, 10_000);
        await exited;
        clearTimeout(timer);
      }
      live.delete(tracked);
    })();
    return stopping.then(() => {
      if (keepDir) orphanDirs.add(dir);
      else removeDir();
    });
  };

  const tracked: Tracked = {
    child,
    dir,
    get keepDir() {
      return keepDir;
    },
    stop,
  };
  live.add(tracked);

  const failure = (why: string): Error =>
    new Error(`aerogramme server ${why}\n--- command: ${process.execPath} bin/aerogramme.js server -c ${configPath}\n--- output:\n${output()}`);

  const timeoutMs = opts.readyTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ready,
      exited.then((code) => Promise.reject(failure(`exited (${code}) before it was ready`))),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(failure(`was not ready after ${timeoutMs} ms`)), timeoutMs);
      }),
      new Promise<never>((_, reject) => child.once('error', (err) => reject(failure(`could not be spawned: ${err.message}`)))),
    ]);
  } catch (err) {
    clearTimeout(timer);
    // A fresh directory goes away with the failed server; a reused one is the caller's.
    await stop({ keepDir: opts.dir !== undefined });
    throw err;
  }
  clearTimeout(timer);

  if (!addresses['s3'] || !addresses['admin']) {
    await stop({ keepDir: opts.dir !== undefined });
    throw failure(`logged "ready" without "listening" lines for both s3 and admin (saw: ${JSON.stringify(addresses)})`);
  }

  const server: TestServer = {
    s3Url: urlOf(addresses['s3']),
    k2vUrl: addresses['k2v'] ? urlOf(addresses['k2v']) : '',
    webUrl: addresses['web'] ? urlOf(addresses['web']) : '',
    adminUrl: urlOf(addresses['admin']),
    adminToken,
    dir,
    configPath,
    pid: child.pid!,
    addresses,
    get running() {
      return isRunning();
    },
    output,
    stop,
    async kill9() {
      keepDir = true;
      if (isRunning()) child.kill('SIGKILL');
      await exited;
      live.delete(tracked);
      orphanDirs.add(dir);
    },
    async restart() {
      if (isRunning()) await stop({ keepDir: true });
      return startServer({ dir, ...(opts.readyTimeoutMs !== undefined ? { readyTimeoutMs: opts.readyTimeoutMs } : {}), ...(opts.env ? { env: opts.env } : {}) });
    },
    exited,
  };
  return server;
}

/** process.env with `extra` applied; an undefined value removes the variable. */
export function withEnv(base: NodeJS.ProcessEnv, extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

// ---------------------------------------------------------------------------
// Admin API

export class AdminHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    message: string,
  ) {
    super(message);
  }
}

/** Calls the admin API with the server's bearer token; returns the parsed JSON (undefined for an empty body); throws on non-2xx. */
export async function adminRequest<T = unknown>(server: Pick<TestServer, 'adminUrl' | 'adminToken'>, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.adminUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.adminToken}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new AdminHttpError(res.status, text, `admin ${method} ${path} -> HTTP ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function createKey(server: TestServer, name: string, opts: { createBucket?: boolean } = {}): Promise<Credentials> {
  const key = await adminRequest<{ accessKeyId: string; secretAccessKey: string }>(server, 'POST', '/v1/key', { name });
  if (!/^GK/.test(key.accessKeyId) || !key.secretAccessKey) throw new Error(`unexpected CreateKey answer: ${JSON.stringify(key)}`);
  if (opts.createBucket) {
    await adminRequest(server, 'POST', `/v1/key?id=${encodeURIComponent(key.accessKeyId)}`, { allow: { createBucket: true } });
  }
  return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
}

export async function createBucket(server: TestServer, bucketName: string): Promise<string> {
  const bucket = await adminRequest<{ id: string }>(server, 'POST', '/v1/bucket', { globalAlias: bucketName });
  if (!/^[0-9a-f]{64}$/.test(bucket.id)) throw new Error(`unexpected CreateBucket answer: ${JSON.stringify(bucket)}`);
  return bucket.id;
}

export async function allowKey(
  server: TestServer,
  bucketId: string,
  accessKeyId: string,
  permissions: { read: boolean; write: boolean; owner: boolean } = { read: true, write: true, owner: true },
): Promise<void> {
  await adminRequest(server, 'POST', '/v1/bucket/allow', { bucketId, accessKeyId, permissions });
}

/** A new key with read/write/owner on a new bucket. */
export async function createKeyAndBucket(server: TestServer, bucketName: string, opts: { createBucket?: boolean } = {}): Promise<KeyAndBucket> {
  const creds = await createKey(server, `${bucketName}-key`, opts);
  const bucketId = await createBucket(server, bucketName);
  await allowKey(server, bucketId, creds.accessKeyId);
  return { ...creds, bucketId, bucket: bucketName };
}

/** An SDK client on the server's S3 endpoint (path style, region garage). */
export function s3Client(server: Pick<TestServer, 's3Url'>, creds: Credentials, extra: Partial<S3ClientConfig> = {}): S3Client {
  // The SDK warns once per process that it will want Node 22 from 2027 on: noise in test logs.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  return new S3Client({
    endpoint: server.s3Url,
    region: 'garage',
    forcePathStyle: true,
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
    maxAttempts: 1,
    ...extra,
  });
}
