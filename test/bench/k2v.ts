/**
 * K2V benchmark (not a test): `npm run bench:k2v` (= npm run build && node dist/test/bench/k2v.js).
 *
 * 16 concurrent clients, 1 KiB values: InsertItem, ReadItem and ReadBatch of 100 items,
 * over HTTP (a K2V server in a child process, metadata fsync on: every acknowledged
 * insert is durable) and through the embedded port (same process, fsync on too).
 * Reference measured in the same run: 4 KiB write + fdatasync per second on the same
 * disk. Prints a markdown table with the targets of issue 3.
 *
 * Environment: AERO_BENCH_SECS (per phase, default 5), AERO_BENCH_CLIENTS (default 16).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createK2vServer } from '../../core/api/k2v/server.js';
import { EmbeddedK2vStore, HttpK2vStore, type K2vStore } from '../../core/client/index.js';
import { Db } from '../../core/db/index.js';
import { K2vService } from '../../core/model/k2v/index.js';
import { configFromToml } from '../../core/util/config.js';

const SECS = Number(process.env['AERO_BENCH_SECS'] ?? 5);
const CLIENTS = Number(process.env['AERO_BENCH_CLIENTS'] ?? 16);
const VALUE = randomBytes(1024);
const BATCH = 100;
const KEY = { accessKeyId: `GK${'b'.repeat(24)}`, secretAccessKey: 'e'.repeat(64) };
const BUCKET = 'bench';
const BUCKET_ID = Buffer.alloc(32, 7);
const REGION = 'garage';

const log = (msg: string): void => void process.stderr.write(`${msg}\n`);
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function openService(dir: string): { db: Db; k2v: K2vService } {
  const db = Db.open({ path: join(dir, 'db'), fsync: true });
  return { db, k2v: new K2vService({ db, nodeId: randomBytes(32).toString('hex') }) };
}

/** Child mode: a K2V server over `dir` with one key and bucket; prints its port, runs until SIGTERM. */
async function serve(dir: string): Promise<void> {
  const { db, k2v } = openService(dir);
  const config = configFromToml({ metadata_dir: dir, rpc_secret: 'c'.repeat(64), admin: { admin_token: 'x' } }, dir);
  const server = createK2vServer({
    k2v,
    config,
    lookupSecret: async (id) => (id === KEY.accessKeyId ? KEY.secretAccessKey : undefined),
    resolveBucket: async () => BUCKET_ID,
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void db.close().then(() => process.exit(0));
  });
}

async function startChild(dir: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim())));
    child.once('exit', (code) => reject(new Error(`K2V server exited (${code})`)));
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    port,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** 4 KiB write + fdatasync per second: the floor under any durable small write. */
async function syncWrites(path: string, secs: number): Promise<number> {
  const buf = randomBytes(4096);
  const fh = await open(path, 'w');
  let n = 0;
  const t0 = performance.now();
  try {
    while (performance.now() - t0 < secs * 1000) {
      await fh.write(buf, 0, buf.length, (n++ % 256) * buf.length);
      await fh.datasync();
    }
  } finally {
    await fh.close();
  }
  return n / ((performance.now() - t0) / 1000);
}

/** Runs `op(client, i)` in CLIENTS concurrent loops for SECS seconds: operations per second. */
async function phase(name: string, op: (client: number, i: number) => Promise<void>): Promise<number> {
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = 0; performance.now() - t0 < SECS * 1000; i++) {
        await op(c, i);
        done++;
      }
    }),
  );
  const rate = done / ((performance.now() - t0) / 1000);
  log(`  ${name}: ${fmt(rate)}/s`);
  return rate;
}

interface Rates {
  insert: number;
  read: number;
  batch: number;
}

/** The three phases against one store; reads go to items the insert phase wrote. */
async function measure(label: string, store: K2vStore): Promise<Rates> {
  log(`${label}:`);
  const written = new Array<number>(CLIENTS).fill(0);
  const sk = (i: number): string => `item${String(i).padStart(9, '0')}`;
  const insert = await phase('InsertItem', async (c, i) => {
    await store.insert(`client${c}`, sk(i), VALUE);
    written[c] = i + 1;
  });
  const pick = (c: number): number => Math.floor(Math.random() * Math.max(1, written[c]! - BATCH));
  const read = await phase('ReadItem', async (c) => {
    if ((await store.read(`client${c}`, sk(pick(c)))) === null) throw new Error('missing item');
  });
  const batch = await phase(`ReadBatch of ${BATCH}`, async (c) => {
    const [page] = await store.readBatch([{ pk: `client${c}`, start: sk(pick(c)), limit: BATCH }]);
    if (page!.items.length === 0) throw new Error('empty batch');
  });
  return { insert, read, batch };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'aero-bench-k2v-'));
  try {
    log('reference: 4 KiB write + fdatasync');
    const fsyncRate = await syncWrites(join(dir, 'sync-ref'), Math.min(SECS, 3));
    log(`  ${fmt(fsyncRate)}/s`);

    const child = await startChild(join(dir, 'http'));
    const http = new HttpK2vStore({ endpoint: `http://127.0.0.1:${child.port}`, region: REGION, credentials: KEY, bucket: BUCKET });
    let httpRates: Rates;
    try {
      httpRates = await measure('HTTP (server in a child process)', http);
    } finally {
      http.close();
      await child.stop();
    }

    const local = openService(join(dir, 'embedded'));
    let embedded: Rates;
    try {
      embedded = await measure('embedded port', new EmbeddedK2vStore(local.k2v, BUCKET_ID));
    } finally {
      await local.db.close();
    }

    const line = (what: string, rate: number, target: string, ok: boolean | undefined): string =>
      `| ${what} | ${fmt(rate)}/s | ${target} | ${ok === undefined ? '' : ok ? 'met' : 'missed'} |`;
    const x = (a: number, b: number): string => `${(a / b).toFixed(1)}×`;
    const out = [
      `K2V benchmark: ${CLIENTS} clients, 1 KiB values, ${SECS} s per phase, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), Node ${process.version}`,
      '',
      '| operation | rate | target | |',
      '| --- | --- | --- | --- |',
      line('reference: 4 KiB write + fdatasync', fsyncRate, '', undefined),
      line('HTTP InsertItem (durable)', httpRates.insert, '≥ 3,000/s', httpRates.insert >= 3000),
      line('HTTP ReadItem', httpRates.read, '≥ 8,000/s', httpRates.read >= 8000),
      line(`HTTP ReadBatch of ${BATCH}`, httpRates.batch, '', undefined),
      line('embedded InsertItem (durable)', embedded.insert, `≥ 3× HTTP (${x(embedded.insert, httpRates.insert)})`, embedded.insert >= 3 * httpRates.insert),
      line('embedded ReadItem', embedded.read, `≥ 3× HTTP (${x(embedded.read, httpRates.read)})`, embedded.read >= 3 * httpRates.read),
      line(`embedded ReadBatch of ${BATCH}`, embedded.batch, `≥ 3× HTTP (${x(embedded.batch, httpRates.batch)})`, embedded.batch >= 3 * httpRates.batch),
      '',
      `Durable inserts per fdatasync of the reference: HTTP ${x(httpRates.insert, fsyncRate)}, embedded ${x(embedded.insert, fsyncRate)} (commits are batched).`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve') await serve(process.argv[3]!);
else await main();
