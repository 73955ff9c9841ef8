/**
 * LMTP benchmark (plain Node, no vitest): Postfix's load generator
 *
 *   smtp-source -L -s 10 -m 2000 -l 10240 -f bench@sender.test -t <rcpt> 127.0.0.1:<port>
 *
 * (10 sessions in parallel, 2,000 messages of 10 KiB, a connection per message) against
 * our LMTP server and against Dovecot's (Debian's dovecot-lmtpd), alternately, in the
 * same run. Ours is `aerogramme server` as shipped (fsync on, info logs) with a real
 * account in its users file; Dovecot runs with its defaults and a Maildir. Every run
 * must end without a refusal (smtp-source stops at the first), and every message must
 * be stored: counted in Dovecot's Maildir after each run, in our INBOX over IMAP at the
 * end (not during the runs: a login moves the queue into INBOX, which would compete).
 * Prints messages/s of each (median of the runs, range in parentheses) and the ratio;
 * target: ours >= 0.5 x Dovecot.
 *
 *   npm run bench:lmtp            (= npm run build && node dist/test/bench/lmtp.js)
 *   LMTP_BENCH_MESSAGES=5000 LMTP_BENCH_SESSIONS=20 LMTP_BENCH_REPEAT=5 npm run bench:lmtp
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { createAccount } from '../../mail/user/accounts.js';
import { editUsersFile } from '../../mail/user/users-file.js';
import { startDovecotLmtp } from '../helpers/dovecot-lmtp.js';
import { startServer, type TestServer } from '../helpers/server.js';

const MESSAGES = Number(process.env['LMTP_BENCH_MESSAGES'] ?? 2000);
const SESSIONS = Number(process.env['LMTP_BENCH_SESSIONS'] ?? 10);
const BYTES = Number(process.env['LMTP_BENCH_BYTES'] ?? 10240);
const REPEAT = Number(process.env['LMTP_BENCH_REPEAT'] ?? 3);
const TARGET_RATIO = 0.5;
const SMTP_SOURCE = '/usr/sbin/smtp-source';
const USER = 'bench';
const ADDRESS = 'bench@example.org';
const PASSWORD = 'bench password for lmtp';

function portOf(server: TestServer, api: string): number {
  const addr = server.addresses[api];
  if (addr === undefined) throw new Error(`the server announced no ${api} listener`);
  return Number(addr.slice(addr.lastIndexOf(':') + 1));
}

/** Messages in the user's INBOX, over IMAP (the login moves the incoming queue in first). */
async function inboxCount(server: TestServer): Promise<number> {
  const client = new ImapFlow({ host: '127.0.0.1', port: portOf(server, 'imap'), secure: false, auth: { user: USER, pass: PASSWORD }, logger: false });
  await client.connect();
  try {
    const status = await client.status('INBOX', { messages: true });
    return status === false ? 0 : (status.messages ?? 0);
  } finally {
    await client.logout();
  }
}

/** Runs smtp-source to the end; its wall time in seconds. */
function smtpSource(port: number, rcpt: string): Promise<number> {
  const args = ['-L', '-s', String(SESSIONS), '-m', String(MESSAGES), '-l', String(BYTES), '-f', 'bench@sender.test', '-t', rcpt, `127.0.0.1:${port}`];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(SMTP_SOURCE, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => reject(new Error(`cannot run ${SMTP_SOURCE} (Debian package postfix): ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve((performance.now() - t0) / 1000) : reject(new Error(`smtp-source ${args.join(' ')} exited ${code}:\n${stderr}`))));
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const fmt = (rates: number[]): string => `${Math.round(median(rates))} (${Math.round(Math.min(...rates))}-${Math.round(Math.max(...rates))})`;

async function main(): Promise<void> {
  const ours = await startServer();
  await editUsersFile(join(ours.dir, 'users.toml'), (db) => createAccount(db, USER, { addresses: [ADDRESS], password: PASSWORD }), { create: true });
  const dovecot = await startDovecotLmtp();
  const rates = { ours: [] as number[], dovecot: [] as number[] };
  try {
    for (let run = 1; run <= REPEAT; run++) {
      const s = await smtpSource(portOf(ours, 'lmtp'), ADDRESS);
      rates.ours.push(MESSAGES / s);
      process.stderr.write(`run ${run}: aerogramme ${MESSAGES} messages in ${s.toFixed(2)} s\n`);

      const dBefore = dovecot.delivered();
      const d = await smtpSource(dovecot.port, dovecot.address);
      const dStored = dovecot.delivered() - dBefore;
      if (dStored !== MESSAGES) throw new Error(`run ${run}: ${dStored} of ${MESSAGES} messages stored by Dovecot`);
      rates.dovecot.push(MESSAGES / d);
      process.stderr.write(`run ${run}: dovecot    ${MESSAGES} messages in ${d.toFixed(2)} s\n`);
    }
    const stored = await inboxCount(ours);
    if (stored !== REPEAT * MESSAGES) throw new Error(`${stored} of ${REPEAT * MESSAGES} messages in aerogramme's INBOX`);
  } finally {
    await dovecot.stop();
    await ours.stop();
  }
  const ratio = median(rates.ours) / median(rates.dovecot);
  const lines = [
    `smtp-source -L -s ${SESSIONS} -m ${MESSAGES} -l ${BYTES}, ${REPEAT} runs each, alternating; median (range)`,
    '',
    '| server | messages/s |',
    '| --- | --- |',
    `| aerogramme server (fsync, embedded storage) | ${fmt(rates.ours)} |`,
    `| Dovecot LMTP (Maildir, defaults) | ${fmt(rates.dovecot)} |`,
    '',
    `ratio aerogramme / Dovecot: ${ratio.toFixed(2)} (target >= ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'})`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
