/**
 * S3 benchmark (not a test): `npm run bench:s3`.
 *
 * Starts one server (fsync on, as shipped) and measures in the same run:
 *  (a) references: sequential 256 MiB file write + fsync / + fdatasync in the
 *      server's own temp dir, 4 KiB write + fdatasync per second, and a 256 MiB
 *      loopback TCP copy between two Node sockets;
 *  (b) PUT and GET of one 256 MiB object, streamed from / to no single buffer:
 *      raw node:http with SigV4 UNSIGNED-PAYLOAD, and the AWS SDK for comparison;
 *  (c) 4 KiB objects with 16 concurrent clients (raw signed http): PUT ops/s and
 *      GET ops/s over a few seconds each.
 * Prints machine info and a markdown table with ratios to the references and
 * pass/miss against the targets. The machine is shared and noisy: compare ratios.
 *
 * Environment: AERO_BENCH_MIB (object and reference size, default 256),
 * AERO_BENCH_SECS (duration of each 4 KiB phase, default 5),
 * AERO_BENCH_CLIENTS (default 16), AERO_BENCH_REPEAT (runs of each big transfer and
 * reference; the median is reported and compared, default 3).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { Agent, request, type IncomingMessage } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { cpus, freemem, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createKeyAndBucket, s3Client, startServer, stopAllServers, type KeyAndBucket, type TestServer } from '../helpers/server.js';
import { objectPath, SigV4Signer, UNSIGNED_PAYLOAD } from '../helpers/sigv4.js';

const MiB = 1024 * 1024;
const SIZE_MIB = Number(process.env['AERO_BENCH_MIB'] ?? 256);
const SIZE = SIZE_MIB * MiB;
const SECS = Number(process.env['AERO_BENCH_SECS'] ?? 5);
const CLIENTS = Number(process.env['AERO_BENCH_CLIENTS'] ?? 16);
const REPEAT = Math.max(1, Number(process.env['AERO_BENCH_REPEAT'] ?? 3));
const SMALL = 4096;

const now = (): number => performance.now();
/** MB/s with MB = 10^6 bytes. */
const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

// ---------------------------------------------------------------------------
// (a) references

/**
 * Writes SIZE bytes in 1 MiB chunks, then fsync or fdatasync; returns MB/s (open to sync done).
 * Every MiB starts with its index so that no two 1 MiB blocks are equal (the file is reused
 * as the PUT source and the store deduplicates identical blocks).
 */
async function diskWrite(path: string, sync: 'fsync' | 'fdatasync'): Promise<number> {
  const pool = randomBytes(16 * MiB);
  const t0 = now();
  const fh = await open(path, 'w');
  try {
    for (let i = 0; i < SIZE / MiB; i++) {
      const off = (i % 16) * MiB;
      const chunk = pool.subarray(off, off + MiB);
      chunk.writeBigUInt64BE(BigInt(i), 0);
      chunk.writeBigUInt64BE(BigInt(Date.now()), 8);
      await fh.write(chunk, 0, chunk.length);
    }
    if (sync === 'fsync') await fh.sync();
    else await fh.datasync();
  } finally {
    await fh.close();
  }
  return mbps(SIZE, now() - t0);
}

/** 4 KiB pwrite + fdatasync in a loop for `secs`: operations per second. */
async function smallSyncWrites(path: string, secs: number): Promise<number> {
  const buf = randomBytes(SMALL);
  const fh = await open(path, 'w');
  let n = 0;
  const t0 = now();
  try {
    while (now() - t0 < secs * 1000) {
      await fh.write(buf, 0, SMALL, (n % 256) * SMALL);
      await fh.datasync();
      n++;
    }
  } finally {
    await fh.close();
  }
  return n / ((now() - t0) / 1000);
}

/**
 * SIZE bytes from one Node socket to another over 127.0.0.1: MB/s. The sender is a
 * separate Node process, as the server is for a GET, so that each side has its own
 * event loop; timed from the connection to the last byte received.
 */
async function loopback(): Promise<number> {
  let received = 0;
  let t0 = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const server = createServer((sock) => {
    t0 = now();
    sock.on('data', (b: Buffer) => {
      received += b.length;
      if (received >= SIZE) done();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const sender = `
    const net = require('node:net');
    const chunk = require('node:crypto').randomBytes(${MiB});
    const sock = net.connect(${port}, '127.0.0.1', async () => {
      for (let sent = 0; sent < ${SIZE}; sent += ${MiB}) {
        if (!sock.write(chunk)) await new Promise((r) => sock.once('drain', r));
      }
      sock.end();
    });
    sock.on('error', (e) => { console.error(e); process.exit(1); });`;
  const child = spawn(process.execPath, ['-e', sender], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await Promise.race([finished, exited.then(() => (received >= SIZE ? undefined : Promise.reject(new Error('loopback sender exited early'))))]);
  const ms = now() - t0;
  await exited;
  await new Promise<void>((r) => server.close(() => r()));
  return mbps(SIZE, ms);
}

/** The file as a stream of 1 MiB chunks, each stamped with `stamp` so that no block repeats an earlier run's. */
function stampedSource(path: string, stamp: bigint): Readable {
  const stampIt = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (chunk.length >= 24) chunk.writeBigUInt64BE(stamp, 16);
      cb(null, chunk);
    },
  });
  return createReadStream(path, { highWaterMark: MiB }).pipe(stampIt);
}

/** n runs of fn: their median, min and max. */
async function repeat(n: number, fn: (i: number) => Promise<number>): Promise<Stat> {
  const v: number[] = [];
  for (let i = 0; i < n; i++) v.push(await fn(i));
  return stat3(v);
}

interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

function stat3(values: number[]): Stat {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v[v.length - 1]!, n: v.length };
}

/** "328 MB/s (175–1,168)" : the median, and the range when there were several runs. */
function show(s: Stat, unit: string): string {
  return s.n > 1 ? `${fmt(s.median)} ${unit} (${fmt(s.min)}–${fmt(s.max)})` : `${fmt(s.median)} ${unit}`;
}

// ---------------------------------------------------------------------------
// raw signed http

class RawS3 {
  private readonly signer: SigV4Signer;
  readonly agent: Agent;
  private readonly host: string;
  private readonly hostname: string;
  private readonly port: number;

  constructor(server: TestServer, private readonly creds: KeyAndBucket, maxSockets: number) {
    this.signer = new SigV4Signer(creds.accessKeyId, creds.secretAccessKey);
    this.agent = new Agent({ keepAlive: true, maxSockets });
    const u = new URL(server.s3Url);
    this.host = u.host;
    this.hostname = u.hostname;
    this.port = Number(u.port);
  }

  /** Sends one request; `body` is a Buffer or a readable stream; resolves with the response (body not read). */
  send(method: string, key: string, body: Buffer | NodeJS.ReadableStream | undefined, length: number, payloadHash: string): Promise<IncomingMessage> {
    const { headers, pathWithQuery } = this.signer.sign({
      method,
      path: objectPath(this.creds.bucket, key),
      host: this.host,
      payloadHash,
      headers: method === 'PUT' ? { 'content-length': String(length) } : {},
    });
    return new Promise((resolve, reject) => {
      const req = request({ method, hostname: this.hostname, port: this.port, path: pathWithQuery, headers, agent: this.agent }, resolve);
      req.on('error', reject);
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        body.on('error', reject);
        body.pipe(req);
      }
    });
  }

  async put(key: string, body: Buffer | NodeJS.ReadableStream, length: number, payloadHash = UNSIGNED_PAYLOAD): Promise<void> {
    const res = await this.send('PUT', key, body, length, payloadHash);
    const text = await readText(res);
    if (res.statusCode !== 200) throw new Error(`PUT ${key}: HTTP ${res.statusCode} ${text}`);
  }

  /** GET; `onData` sees every chunk; resolves with the byte count. */
  async get(key: string, onData?: (b: Buffer) => void): Promise<number> {
    const res = await this.send('GET', key, undefined, 0, UNSIGNED_PAYLOAD);
    if (res.statusCode !== 200) throw new Error(`GET ${key}: HTTP ${res.statusCode} ${await readText(res)}`);
    let n = 0;
    for await (const chunk of res) {
      n += (chunk as Buffer).length;
      onData?.(chunk as Buffer);
    }
    return n;
  }
}

async function readText(res: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of res) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

// ---------------------------------------------------------------------------
// (c) many small objects

async function smallOps(secs: number, op: (worker: number, n: number) => Promise<void>): Promise<{ opsPerSec: number; errors: string[] }> {
  let ops = 0;
  const errors: string[] = [];
  const t0 = now();
  const end = t0 + secs * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, w) => {
      for (let n = 0; now() < end; n++) {
        try {
          await op(w, n);
          ops++;
        } catch (err) {
          if (errors.length < 5) errors.push((err as Error).message);
          else errors.push('');
          if (errors.length > 100) return;
        }
      }
    }),
  );
  return { opsPerSec: ops / ((now() - t0) / 1000), errors };
}

// ---------------------------------------------------------------------------

interface Row {
  what: string;
  value: string;
  reference: string;
  ratio: string;
  target: string;
  status: string;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function table(rows: Row[]): string {
  const header = ['measurement', 'result', 'reference', 'ratio', 'target', 'status'];
  const body = rows.map((r) => [r.what, r.value, r.reference, r.ratio, r.target, r.status]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const cpu = cpus();
  const info = [
    `- date: ${new Date().toISOString()}`,
    `- cpus: ${cpu.length} x ${cpu[0]?.model ?? 'unknown'}`,
    `- memory: ${fmt(totalmem() / 2 ** 30, 1)} GiB (${fmt(freemem() / 2 ** 30, 1)} GiB free)`,
    `- kernel: ${release()}, node ${process.version}`,
    `- sizes: ${SIZE_MIB} MiB object and references (median of ${REPEAT} runs each, range in parentheses), ${SECS} s per 4 KiB phase, ${CLIENTS} clients`,
  ];

  log('starting server...');
  const server = await startServer();
  const creds = await createKeyAndBucket(server, 'bench');
  const rows: Row[] = [];
  const src = join(server.dir, 'bench-source.bin');
  const scratch = join(server.dir, 'bench-scratch.bin');
  try {
    // (a) references, REPEAT runs each (median compared)
    log(`reference: disk write + fsync (${REPEAT} runs)...`);
    const diskFsync = await repeat(REPEAT, async (i) => {
      const v = await diskWrite(i === 0 ? src : scratch, 'fsync');
      await rm(scratch, { force: true });
      return v;
    });
    log(`reference: disk write + fdatasync (${REPEAT} runs)...`);
    const diskFdatasync = await repeat(REPEAT, async () => {
      const v = await diskWrite(scratch, 'fdatasync');
      await rm(scratch, { force: true });
      return v;
    });
    log('reference: 4 KiB write + fdatasync...');
    const smallSync = await smallSyncWrites(scratch, Math.min(SECS, 3));
    await rm(scratch, { force: true });
    log(`reference: loopback TCP (${REPEAT} runs)...`);
    const tcp = await repeat(REPEAT, () => loopback());
    rows.push({ what: `disk: write ${SIZE_MIB} MiB + fsync (reference)`, value: show(diskFsync, 'MB/s'), reference: '', ratio: '', target: '', status: '' });
    rows.push({ what: `disk: write ${SIZE_MIB} MiB + fdatasync (reference)`, value: show(diskFdatasync, 'MB/s'), reference: '', ratio: '', target: '', status: '' });
    rows.push({ what: 'disk: 4 KiB write + fdatasync (reference)', value: `${fmt(smallSync)} ops/s`, reference: '', ratio: '', target: '', status: '' });
    rows.push({ what: `loopback TCP ${SIZE_MIB} MiB, Node process to Node process (reference)`, value: show(tcp, 'MB/s'), reference: '', ratio: '', target: '', status: '' });

    const size = (await stat(src)).size;
    const raw = new RawS3(server, creds, CLIENTS);

    // (b) one big object, REPEAT runs for each client (median compared); every run PUTs distinct content.
    const sdk = s3Client(server, creds);
    const methods: Array<{ how: string; put(key: string, body: Readable): Promise<void>; get(key: string): Promise<number> }> = [
      {
        how: 'raw http, SigV4 UNSIGNED-PAYLOAD',
        put: (key, body) => raw.put(key, body, size),
        get: (key) => raw.get(key),
      },
      {
        how: 'AWS SDK v3 PutObject/GetObject, file stream',
        put: async (key, body) => {
          await sdk.send(new PutObjectCommand({ Bucket: creds.bucket, Key: key, Body: body, ContentLength: size }));
        },
        get: async (key) => {
          const res = await sdk.send(new GetObjectCommand({ Bucket: creds.bucket, Key: key }));
          let n = 0;
          for await (const c of res.Body as AsyncIterable<Buffer>) n += c.length;
          return n;
        },
      },
    ];
    const bigResults: Array<{ how: string; put?: Stat; get?: Stat; error?: string }> = [];
    let stamp = 0n;
    for (const m of methods) {
      const r: (typeof bigResults)[number] = { how: m.how };
      const puts: number[] = [];
      const gets: number[] = [];
      try {
        for (let i = 0; i < REPEAT; i++) {
          const key = `big-${bigResults.length}-${i}`;
          const runStamp = ++stamp;
          log(`PUT + GET ${SIZE_MIB} MiB (${m.how}) ${i + 1}/${REPEAT}...`);
          let t0 = now();
          await m.put(key, stampedSource(src, runStamp));
          puts.push(mbps(size, now() - t0));
          t0 = now();
          const n = await m.get(key);
          gets.push(mbps(n, now() - t0));
          if (n !== size) throw new Error(`GET returned ${n} bytes, expected ${size}`);
          // Untimed: the object reads back as exactly the bytes sent.
          const want = createHash('sha256');
          for await (const c of stampedSource(src, runStamp)) want.update(c as Buffer);
          const got = createHash('sha256');
          await raw.get(key, (b) => got.update(b));
          if (got.digest('hex') !== want.digest('hex')) throw new Error('GET returned other bytes than were PUT');
        }
        r.put = stat3(puts);
        r.get = stat3(gets);
      } catch (err) {
        r.error = `${(err as Error).name}: ${(err as Error).message}`;
      }
      bigResults.push(r);
    }
    sdk.destroy();
    const ok = bigResults.filter((r) => r.error === undefined);
    const bestPut = ok.reduce<(typeof bigResults)[number] | undefined>((a, b) => (a === undefined || b.put!.median > a.put!.median ? b : a), undefined);
    const bestGet = ok.reduce<(typeof bigResults)[number] | undefined>((a, b) => (a === undefined || b.get!.median > a.get!.median ? b : a), undefined);
    for (const r of bigResults) {
      if (r.error !== undefined) {
        rows.push({ what: `PUT+GET ${SIZE_MIB} MiB object (${r.how})`, value: 'error', reference: '', ratio: '', target: '', status: `error: ${r.error.slice(0, 200).replace(/\|/g, '/')}` });
        continue;
      }
      const putRatio = r.put!.median / diskFsync.median;
      const getRatio = r.get!.median / tcp.median;
      const putScored = r === bestPut;
      const getScored = r === bestGet;
      rows.push({
        what: `PUT ${SIZE_MIB} MiB object (${r.how})`,
        value: show(r.put!, 'MB/s'),
        reference: 'disk write + fsync',
        ratio: `${fmt(putRatio * 100)} %`,
        target: putScored ? '≥ 50 %' : '(info)',
        status: putScored ? (putRatio >= 0.5 ? 'pass' : 'miss') : '',
      });
      rows.push({
        what: `GET ${SIZE_MIB} MiB object (${r.how})`,
        value: show(r.get!, 'MB/s'),
        reference: 'loopback TCP',
        ratio: `${fmt(getRatio * 100)} %`,
        target: getScored ? '≥ 40 %' : '(info)',
        status: getScored ? (getRatio >= 0.4 ? 'pass' : 'miss') : '',
      });
    }
    if (ok.length === 0) {
      rows.push({ what: `PUT ${SIZE_MIB} MiB object`, value: 'error', reference: '', ratio: '', target: '≥ 50 %', status: 'miss' });
      rows.push({ what: `GET ${SIZE_MIB} MiB object`, value: 'error', reference: '', ratio: '', target: '≥ 40 %', status: 'miss' });
    }

    // (c) 4 KiB objects
    log(`4 KiB PUT, ${CLIENTS} clients, ${SECS} s...`);
    const written: number[] = new Array<number>(CLIENTS).fill(0);
    const put = await smallOps(SECS, async (w, n) => {
      const body = randomBytes(SMALL);
      await raw.put(`small/${w}/${n}`, body, SMALL, createHash('sha256').update(body).digest('hex'));
      written[w] = n + 1;
    });
    log(`4 KiB GET, ${CLIENTS} clients, ${SECS} s...`);
    const get = await smallOps(SECS, async (w) => {
      const count = written[w]!;
      if (count === 0) throw new Error('no 4 KiB object was written');
      const n = await raw.get(`small/${w}/${Math.floor(Math.random() * count)}`);
      if (n !== SMALL) throw new Error(`GET returned ${n} bytes`);
    });
    raw.agent.destroy();
    const smallRow = (what: string, r: { opsPerSec: number; errors: string[] }, target: number, ref?: number): Row => ({
      what,
      value: `${fmt(r.opsPerSec)} ops/s`,
      reference: ref !== undefined ? '4 KiB write + fdatasync' : '',
      ratio: ref !== undefined ? `${fmt((r.opsPerSec / ref) * 100)} %` : '',
      target: `≥ ${fmt(target)} ops/s`,
      status:
        r.errors.length > 0
          ? `miss (${r.errors.length} errors: ${r.errors[0]?.slice(0, 120).replace(/\|/g, '/')})`
          : r.opsPerSec >= target
            ? 'pass'
            : 'miss',
    });
    rows.push(smallRow(`PUT 4 KiB objects, ${CLIENTS} clients (raw http, signed payload)`, put, 1500, smallSync));
    rows.push(smallRow(`GET 4 KiB objects, ${CLIENTS} clients (raw http)`, get, 4000));
  } finally {
    await rm(src, { force: true });
    await server.stop();
    await stopAllServers();
  }

  process.stdout.write(`## S3 benchmark\n\n${info.join('\n')}\n\n${table(rows)}\n\nMB = 10^6 bytes. Ratios compare with references measured in the same run, on the same disk (the server's temp dir).\n`);
}

main().catch(async (err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await stopAllServers();
  process.exit(1);
});
