/**
 * IMAP benchmark (not a test): `npm run bench:imap` (build, then node dist/test/bench/imap.js).
 *
 * The same load generator against our server (on the encrypted store, embedded
 * storage, fsync on, in a child process of its own) and against Dovecot (Debian's
 * dovecot-imapd, Maildir, started here), in the same run:
 *  (a) AERO_BENCH_CLIENTS (10) clients looping LOGIN, SELECT, FETCH 1:* (FLAGS
 *      ENVELOPE), STORE, APPEND, EXPUNGE, LOGOUT for AERO_BENCH_SECS (30) seconds:
 *      cycles/s and errors;
 *  (b) SELECT + UID FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (DATE
 *      FROM TO SUBJECT MESSAGE-ID)]) on a mailbox of AERO_BENCH_MESSAGES (10,000)
 *      messages: seconds, first (cold) and best of the next runs;
 *  (c) memory per connection with AERO_BENCH_IDLE (500) sessions in IDLE (PSS of the
 *      server processes, before and after);
 *  (d) IDLE wake-up: delivery of a message to the EXISTS seen by an idling client.
 * Prints a markdown table with ours/Dovecot ratios and the issue's targets. Without
 * Dovecot the table has our numbers only.
 *
 * `node dist/test/bench/imap.js --serve` is the server side (run by the benchmark).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startImapServer } from '../../mail/imap/server.js';
import { StoreBackend } from '../../mail/imap/store-adapter.js';
import { UserKeys } from '../../mail/crypto/keys.js';
import { deliver, MailStore } from '../../mail/store/index.js';
import { AuthenticationError } from '../../mail/user/errors.js';
import type { Credentials, LoginProvider, Recipient } from '../../mail/user/provider.js';
import { startMailNode } from '../integration/mail/harness.js';
import { RawClient } from '../integration/mail/imap/harness/raw-client.js';

const SECS = Number(process.env['AERO_BENCH_SECS'] ?? 30);
const CLIENTS = Number(process.env['AERO_BENCH_CLIENTS'] ?? 10);
const MESSAGES = Number(process.env['AERO_BENCH_MESSAGES'] ?? 10_000);
const IDLERS = Number(process.env['AERO_BENCH_IDLE'] ?? 500);
const LOOP_MESSAGES = 100;
const USER = 'bench';
const PASSWORD = 'bench-password';

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

/** A plausible message of a few KiB. */
function message(i: number): Buffer {
  const body = `Hello,\r\n\r\n${'This is line of text number N of a plausible message body.\r\n'.repeat(20 + (i % 40))}\r\nBye.\r\n`;
  return Buffer.from(
    `Date: Mon, 1 Jan 2024 ${String(i % 24).padStart(2, '0')}:00:00 +0000\r\nFrom: Sender ${i % 97} <sender${i % 97}@example.org>\r\nTo: ${USER}@example.org\r\n` +
      `Subject: Benchmark message ${i}\r\nMessage-ID: <bench.${i}@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}`,
  );
}

// ---------------------------------------------------------------------------
// Our server, in a child process (so its memory is its own)

type ServerRequest = { type: 'seed'; from: number; count: number } | { type: 'deliver'; i: number } | { type: 'gc' } | { type: 'stop' };

async function serve(): Promise<void> {
  const node = await startMailNode({ port: 'embedded', fsync: true });
  const keys = UserKeys.generate();
  const userId = randomBytes(16).toString('hex');
  const storage = { bucket: `mail-${USER}` };
  const users: LoginProvider = {
    async login(name, password): Promise<Credentials> {
      if (name !== USER || password !== PASSWORD) throw new AuthenticationError();
      return { userId, username: USER, keys: keys.clone(), addresses: [], storage };
    },
    async lookupAddress(): Promise<Recipient | undefined> {
      return undefined;
    },
  };
  const server = await startImapServer({
    users,
    backend: new StoreBackend({ storage: (s) => node.storage(s.bucket) }),
    listen: { host: '127.0.0.1', port: 0 },
    limits: { maxConnectionsPerIp: 10_000, maxConnectionsPerUser: 10_000 },
  });
  const reply = (m: object): void => void process.send!(m);
  process.on('message', (m: ServerRequest) => {
    void (async () => {
      if (m.type === 'seed') {
        const store = await MailStore.open({ userId, keys }, await node.storage(storage.bucket), { watchIncoming: false });
        const box = await store.mailbox('INBOX');
        for (let i = m.from; i < m.from + m.count; i += 500) {
          await box.appendMany(Array.from({ length: Math.min(500, m.from + m.count - i) }, (_, k) => ({ raw: message(i + k) })));
        }
        await store.close();
        reply({ type: 'seeded' });
      } else if (m.type === 'deliver') {
        const recipient: Recipient = { userId, username: USER, publicKey: keys.publicKey, storage, address: `${USER}@example.org`, detail: undefined };
        await deliver(await node.storage(storage.bucket), recipient, message(m.i));
        reply({ type: 'delivered' });
      } else if (m.type === 'gc') {
        // Memory is measured without the garbage of earlier phases (the server runs with --expose-gc).
        // Twice, a turn apart: buffers of collected objects are released by the second pass.
        const gc = (globalThis as { gc?: () => void }).gc;
        gc?.();
        await new Promise((r) => setImmediate(r));
        gc?.();
        const mem = process.memoryUsage();
        reply({ type: 'gc', heap: mem.heapUsed + mem.external });
      } else {
        await server.close();
        await node.close();
        process.exit(0);
      }
    })();
  });
  reply({ type: 'ready', port: server.address!.port });
}

interface Target {
  name: string;
  port: number;
  /** PIDs whose memory counts as the server's. */
  pids(): number[];
  /** Collects garbage where the server can be asked to (ours), and returns the live heap then (null for Dovecot). */
  gc(): Promise<number | null>;
  seed(from: number, count: number): Promise<void>;
  deliver(i: number): Promise<void>;
  stop(): Promise<void>;
}

function request(child: ChildProcess, m: ServerRequest, answer: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const on = (r: Record<string, unknown>): void => {
      if (r['type'] !== answer) return;
      child.off('message', on);
      resolve(r);
    };
    child.on('message', on);
    child.send(m);
  });
}

async function startOurs(): Promise<Target> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--expose-gc'] });
  const ready = await new Promise<Record<string, unknown>>((resolve) => child.once('message', resolve));
  return {
    name: 'aerogramme',
    port: ready['port'] as number,
    pids: () => [child.pid!],
    gc: async () => (await request(child, { type: 'gc' }, 'gc'))['heap'] as number,
    seed: async (from, count) => void (await request(child, { type: 'seed', from, count }, 'seeded')),
    deliver: async (i) => void (await request(child, { type: 'deliver', i }, 'delivered')),
    stop: async () => {
      child.send({ type: 'stop' });
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

// ---------------------------------------------------------------------------
// Dovecot, configured for the load (many connections of one user)

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function startDovecot(): Promise<Target | null> {
  if (!existsSync('/usr/sbin/dovecot')) return null;
  const root = userInfo().uid === 0;
  const account = root ? readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('mail:'))!.split(':') : null;
  const uid = account === null ? userInfo().uid : Number(account[2]);
  const gid = account === null ? userInfo().gid : Number(account[3]);
  const name = account === null ? userInfo().username : 'mail';
  const dir = mkdtempSync(join(tmpdir(), 'aero-bench-dovecot-'));
  chmodSync(dir, 0o755);
  const inbox = join(dir, 'mail', USER);
  for (const d of ['run', 'state', 'home', 'mail', join('mail', USER), ...['cur', 'new', 'tmp'].map((s) => join('mail', USER, s))]) mkdirSync(join(dir, d), { recursive: true });
  for (const d of ['home', 'mail', join('mail', USER), ...['cur', 'new', 'tmp'].map((s) => join('mail', USER, s))]) chownSync(join(dir, d), uid, gid);
  writeFileSync(join(dir, 'passwd'), `${USER}:{PLAIN}${PASSWORD}\n`);
  const port = await freePort();
  const conf = [
    `base_dir = ${dir}/run`,
    `state_dir = ${dir}/state`,
    `log_path = ${dir}/dovecot.log`,
    'listen = 127.0.0.1',
    'protocols = imap',
    'ssl = no',
    'disable_plaintext_auth = no',
    'auth_mechanisms = plain',
    `mail_location = maildir:${dir}/mail/%u`,
    `mail_uid = ${name}`,
    `mail_gid = ${gid}`,
    'first_valid_uid = 1',
    'first_valid_gid = 0',
    'default_process_limit = 2000',
    'default_client_limit = 4000',
    `protocol imap {\n  mail_max_userip_connections = 10000\n}`,
    `passdb {\n  driver = passwd-file\n  args = scheme=PLAIN ${dir}/passwd\n}`,
    `userdb {\n  driver = static\n  args = home=${dir}/home/%u\n}`,
    `service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n    port = ${port}\n  }${root ? '' : `\n  chroot =\n  user = ${name}`}\n}`,
    ...(root ? [] : [`default_internal_user = ${name}`, `default_login_user = ${name}`, 'service anvil {\n  chroot =\n}']),
  ].join('\n');
  writeFileSync(join(dir, 'dovecot.conf'), `${conf}\n`);
  const child = spawn('/usr/sbin/dovecot', ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    try {
      const c = await RawClient.connect(port);
      c.close();
      break;
    } catch {
      if (i > 100) throw new Error(`dovecot did not start: ${readFileSync(join(dir, 'dovecot.log'), 'utf8')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  let n = 0;
  const put = (i: number): void => {
    const file = `${String(++n).padStart(7, '0')}.bench`;
    writeFileSync(join(inbox, 'tmp', file), message(i));
    chownSync(join(inbox, 'tmp', file), uid, gid);
    renameSync(join(inbox, 'tmp', file), join(inbox, 'new', file));
  };
  return {
    name: 'dovecot',
    port,
    pids: () =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'latin1').startsWith('dovecot') || readFileSync(`/proc/${p}/cmdline`, 'latin1').includes(`${dir}/dovecot.conf`);
          } catch {
            return false;
          }
        })
        .map(Number),
    gc: async () => null,
    seed: async (from, count) => {
      for (let i = from; i < from + count; i++) put(i);
    },
    deliver: async (i) => put(i),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------
// Load

async function login(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  const r = await c.cmd(`l LOGIN ${USER} ${PASSWORD}`, 60_000);
  if (!/^l OK/m.test(r)) throw new Error(`login failed: ${r}`);
  return c;
}

const ok = (r: string, tag: string): boolean => new RegExp(`(^|\\r\\n)${tag} OK`).test(r);

/** Why cycles failed (the first few), printed with the results. */
const failures: string[] = [];

function failed(why: string): void {
  if (failures.length < 5) failures.push(why.slice(0, 300));
}

/**
 * (a) one client's loop until the deadline; counts whole cycles, failed ones, and
 * FETCHes answered NO [EXPUNGEISSUED] (another client expunged a message this one
 * had not been told about: RFC 9051's answer, not a failure; the cycle goes on).
 */
async function cycleLoop(port: number, deadline: number, id: number): Promise<{ cycles: number; errors: number; raced: number }> {
  let cycles = 0;
  let errors = 0;
  let raced = 0;
  const msg = message(100_000 + id).toString('latin1');
  while (Date.now() < deadline) {
    try {
      const c = await login(port);
      let uid = 0;
      let good = true;
      for (const s of ['b SELECT INBOX', 'c FETCH 1:* (FLAGS ENVELOPE)', 'd STORE 1 FLAGS (\\Seen)', `e APPEND INBOX {${msg.length}+}\r\n${msg}`, 'f UID STORE # +FLAGS.SILENT (\\Deleted)', 'g EXPUNGE', 'h LOGOUT']) {
        const r = await c.cmd(s.replace('#', String(uid)), 60_000);
        const m = /APPENDUID \d+ (\d+)/.exec(r);
        if (m !== null) uid = Number(m[1]);
        if (s[0] === 'c' && /(^|\r\n)c NO \[EXPUNGEISSUED\]/.test(r)) {
          raced++;
          continue;
        }
        if (!ok(r, s[0]!)) {
          good = false;
          failed(`${s.slice(0, 40)} -> ${r.split('\r\n').slice(-2).join(' ')}`);
          break;
        }
      }
      c.close();
      if (good) cycles++;
      else errors++;
    } catch (e) {
      failed(String(e));
      errors++;
    }
  }
  return { cycles, errors, raced };
}

async function phaseA(t: Target): Promise<{ rate: number; errors: number; raced: number }> {
  const deadline = Date.now() + SECS * 1000;
  const t0 = Date.now();
  const results = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => cycleLoop(t.port, deadline, i)));
  const secs = (Date.now() - t0) / 1000;
  const cycles = results.reduce((n, r) => n + r.cycles, 0);
  return { rate: cycles / secs, errors: results.reduce((n, r) => n + r.errors, 0), raced: results.reduce((n, r) => n + r.raced, 0) };
}

async function phaseB(t: Target): Promise<{ cold: number; warm: number; count: number }> {
  const times: number[] = [];
  let count = 0;
  for (let run = 0; run < 4; run++) {
    const c = await login(t.port);
    const t0 = performance.now();
    await c.cmd('s SELECT INBOX', 120_000);
    const r = await c.cmd('f UID FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (DATE FROM TO SUBJECT MESSAGE-ID)])', 300_000);
    times.push((performance.now() - t0) / 1000);
    count = (r.match(/^\* \d+ FETCH /gm) ?? []).length;
    await c.cmd('z LOGOUT');
    c.close();
  }
  return { cold: times[0]!, warm: Math.min(...times.slice(1)), count };
}

/** Proportional set size of the processes, bytes (shared pages split between their users). */
function pss(pids: number[]): number {
  let kib = 0;
  for (const pid of pids) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'));
      if (m !== null) kib += Number(m[1]);
    } catch {
      // gone meanwhile
    }
  }
  return kib * 1024;
}

/** Opens `n` sessions, each in IDLE on INBOX. */
async function idlers(port: number, n: number): Promise<RawClient[]> {
  const clients: RawClient[] = [];
  for (let i = 0; i < n; i += 25) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(25, n - i) }, async () => {
        const c = await login(port);
        await c.cmd('s SELECT INBOX', 120_000);
        c.send('i IDLE\r\n');
        await c.line(60_000);
        return c;
      }),
    );
    clients.push(...batch);
  }
  return clients;
}

/**
 * (c) Memory of IDLERS more sessions in IDLE, per session: measured between a first
 * group of sessions (which opens what all of them share: the user's store, the
 * mailbox) and IDLERS more, so that only what each session costs is counted.
 */
async function phaseC(t: Target): Promise<{ perSession: number; heapPerSession: number | null; sessions: number }> {
  const first = await idlers(t.port, 50);
  // A user store closed by the last phase may still be winding down (its long polls last up to 10 s).
  await new Promise((r) => setTimeout(r, 12_000));
  const heapBefore = await t.gc();
  const before = pss(t.pids());
  const more = await idlers(t.port, IDLERS);
  await new Promise((r) => setTimeout(r, 2000));
  const heapAfter = await t.gc();
  const after = pss(t.pids());
  for (const c of [...first, ...more]) c.close();
  return { perSession: (after - before) / IDLERS, heapPerSession: heapBefore === null || heapAfter === null ? null : (heapAfter - heapBefore) / IDLERS, sessions: more.length };
}

/** (d) Median time from a delivery to the EXISTS an idling client sees, over 5 deliveries a second apart; and how many never showed. */
async function phaseD(t: Target, i: number): Promise<{ ms: number; missed: number }> {
  const c = await login(t.port);
  await c.cmd('s SELECT INBOX', 120_000);
  c.send('i IDLE\r\n');
  await c.line();
  const samples: number[] = [];
  let missed = 0;
  for (let k = 0; k < 5; k++) {
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = performance.now();
    await t.deliver(i + k);
    try {
      for (;;) if (/ EXISTS$/.test(await c.line(15_000))) break;
      samples.push(performance.now() - t0);
    } catch {
      missed++;
    }
  }
  c.close();
  samples.sort((a, b) => a - b);
  return { ms: samples[Math.floor(samples.length / 2)] ?? NaN, missed };
}

interface Result {
  a: { rate: number; errors: number; raced: number };
  b: { cold: number; warm: number; count: number };
  c: { perSession: number; heapPerSession: number | null; sessions: number };
  d: { ms: number; missed: number };
}

async function measure(t: Target): Promise<Result> {
  log(`${t.name}: seeding ${LOOP_MESSAGES} messages`);
  await t.seed(0, LOOP_MESSAGES);
  log(`${t.name}: (a) ${CLIENTS} clients for ${SECS} s`);
  const a = await phaseA(t);
  log(`${t.name}: seeding up to ${MESSAGES} messages`);
  await t.seed(LOOP_MESSAGES, MESSAGES - LOOP_MESSAGES);
  log(`${t.name}: (b) header fetch of ${MESSAGES} messages`);
  const b = await phaseB(t);
  log(`${t.name}: (c) ${IDLERS} sessions in IDLE`);
  const c = await phaseC(t);
  log(`${t.name}: (d) IDLE wake-up`);
  const d = await phaseD(t, 200_000);
  return { a, b, c, d };
}

function fmt(n: number, digits = 2): string {
  return n.toFixed(digits);
}

async function main(): Promise<void> {
  log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}`);
  const ours = await startOurs();
  let mine: Result;
  try {
    mine = await measure(ours);
  } finally {
    await ours.stop();
  }
  const dovecot = await startDovecot();
  let theirs: Result | null = null;
  if (dovecot === null) log('dovecot is not installed (apt-get install -y dovecot-imapd): our numbers only');
  else {
    try {
      theirs = await measure(dovecot);
    } finally {
      await dovecot.stop();
    }
  }
  const ratio = (x: number, y: number | undefined): string => (y === undefined ? '' : fmt(x / y));
  const rows = [
    ['(a) cycles/s, 10 clients', fmt(mine.a.rate), theirs ? fmt(theirs.a.rate) : '–', ratio(mine.a.rate, theirs?.a.rate), '≥ 0.5'],
    ['(a) errors', String(mine.a.errors), theirs ? String(theirs.a.errors) : '–', '', '0'],
    ['(a) FETCH answered NO [EXPUNGEISSUED] (expunge races)', String(mine.a.raced), theirs ? String(theirs.a.raced) : '–', '', ''],
    [`(b) header FETCH of ${mine.b.count} msgs, cold, s`, fmt(mine.b.cold), theirs ? fmt(theirs.b.cold) : '–', ratio(mine.b.cold, theirs?.b.cold), ''],
    [`(b) header FETCH, warm, s`, fmt(mine.b.warm), theirs ? fmt(theirs.b.warm) : '–', ratio(mine.b.warm, theirs?.b.warm), '≤ 2'],
    [`(c) memory (PSS) per IDLE session, KiB (${mine.c.sessions})`, fmt(mine.c.perSession / 1024, 0), theirs ? fmt(theirs.c.perSession / 1024, 0) : '–', ratio(mine.c.perSession, theirs?.c.perSession), '≤ 200 KiB'],
    ['(c) live JS heap per IDLE session, KiB', fmt((mine.c.heapPerSession ?? NaN) / 1024, 0), '–', '', ''],
    ['(d) IDLE wake-up after a delivery, ms (median of 5)', fmt(mine.d.ms, 0), theirs ? fmt(theirs.d.ms, 0) : '–', ratio(mine.d.ms, theirs?.d.ms), '≤ 1000 ms'],
    ['(d) deliveries never seen in IDLE (15 s)', String(mine.d.missed), theirs ? String(theirs.d.missed) : '–', '', '0'],
  ];
  if (failures.length > 0) log(`failed cycles (first ${failures.length}):\n  ${failures.join('\n  ')}`);
  process.stdout.write(`| measure | aerogramme | dovecot | ratio | target |\n|---|---|---|---|---|\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}\n`);
}

if (process.argv[2] === '--serve') void serve();
else
  main().catch((e: unknown) => {
    log((e as Error).stack ?? String(e));
    process.exit(1);
  });
