/**
 * LMTP benchmark (plain Node, no vitest): Postfix's load generator
 *
 *   smtp-source -L -s 10 -m 2000 -l 10240 -f bench@sender.test -t <rcpt> 127.0.0.1:<port>
 *
 * (10 sessions in parallel, 2,000 messages of 10 KiB, a connection per message) against
 * our LMTP server and against Dovecot's (Debian's dovecot-lmtpd), alternately, in the
 * same run. Ours runs as shipped: one in-process node with durable writes (fsync),
 * the embedded storage port, a real account from a static users file. Each run is
 * checked: every message stored (our incoming queue, Dovecot's Maildir). Prints
 * messages/s of each (median of the runs, range in parentheses) and the ratio;
 * target: ours >= 0.5 x Dovecot.
 *
 *   npm run bench:lmtp            (= npm run build && node dist/test/bench/lmtp.js)
 *   LMTP_BENCH_MESSAGES=5000 LMTP_BENCH_SESSIONS=20 LMTP_BENCH_REPEAT=5 npm run bench:lmtp
 */
import { spawn } from 'node:child_process';
import { startDovecotLmtp } from '../helpers/dovecot-lmtp.js';
import { startLmtpTestbed } from '../integration/mail/lmtp/harness.js';

const MESSAGES = Number(process.env['LMTP_BENCH_MESSAGES'] ?? 2000);
const SESSIONS = Number(process.env['LMTP_BENCH_SESSIONS'] ?? 10);
const BYTES = Number(process.env['LMTP_BENCH_BYTES'] ?? 10240);
const REPEAT = Number(process.env['LMTP_BENCH_REPEAT'] ?? 3);
const TARGET_RATIO = 0.5;
const SMTP_SOURCE = '/usr/sbin/smtp-source';

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
  const ours = await startLmtpTestbed({ fsync: true, accounts: [{ name: 'bench', addresses: ['bench@example.org'] }] });
  const dovecot = await startDovecotLmtp();
  const rates = { ours: [] as number[], dovecot: [] as number[] };
  try {
    for (let run = 1; run <= REPEAT; run++) {
      const before = await ours.queued('bench');
      const s = await smtpSource(ours.port, 'bench@example.org');
      const stored = (await ours.queued('bench')) - before;
      if (stored !== MESSAGES) throw new Error(`run ${run}: ${stored} of ${MESSAGES} messages stored by aerogramme`);
      rates.ours.push(MESSAGES / s);
      process.stderr.write(`run ${run}: aerogramme ${MESSAGES} messages in ${s.toFixed(2)} s\n`);

      const dBefore = dovecot.delivered();
      const d = await smtpSource(dovecot.port, dovecot.address);
      const dStored = dovecot.delivered() - dBefore;
      if (dStored !== MESSAGES) throw new Error(`run ${run}: ${dStored} of ${MESSAGES} messages stored by Dovecot`);
      rates.dovecot.push(MESSAGES / d);
      process.stderr.write(`run ${run}: dovecot    ${MESSAGES} messages in ${d.toFixed(2)} s\n`);
    }
  } finally {
    await dovecot.stop();
    await ours.close();
  }
  const ratio = median(rates.ours) / median(rates.dovecot);
  const lines = [
    `smtp-source -L -s ${SESSIONS} -m ${MESSAGES} -l ${BYTES}, ${REPEAT} runs each, alternating; median (range)`,
    '',
    '| server | messages/s |',
    '| --- | --- |',
    `| aerogramme (fsync, embedded storage) | ${fmt(rates.ours)} |`,
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
