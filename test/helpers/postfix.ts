/**
 * A throwaway Postfix (Debian's postfix) as a real MTA in front of our LMTP server:
 * its own configuration, queue and log under a temp dir (`postfix -c DIR`), no SMTP
 * listener at all (mail comes in through its sendmail), mail for `domains` handed to
 * lmtp:inet:127.0.0.1:<port>. Needs root (as CI runs) for the queue's ownership.
 *
 * Postfix runs with `start-fg`, so the master's parent is our child process; stop()
 * sends SIGTERM to the master (by the PID in its pid file) and waits for the child.
 * A process 'exit' hook kills what is left if a test run ends without stop().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type RunResult } from './tools.js';

export const POSTFIX = '/usr/sbin/postfix';
export const POSTFIX_PACKAGE = 'postfix';
export const SENDMAIL = '/usr/sbin/sendmail';

export interface PostfixOptions {
  /** Our LMTP server's port on 127.0.0.1. */
  lmtpPort: number;
  /** Domains whose mail goes to LMTP. */
  domains: string[];
  /** This MTA's own name (its Received line, its Message-IDs). */
  hostname?: string;
}

export interface Postfix {
  configDir: string;
  /** Submits a message with this instance's sendmail (`sendmail -C DIR -i -f sender rcpt...`: a "." line is content). */
  sendmail(sender: string, recipients: string[], message: Buffer): Promise<RunResult>;
  /** The instance's mail log so far. */
  log(): string;
  /** Waits until the log matches `pattern`; throws with the log after `timeoutMs`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

/** Only the services a queue-and-deliver MTA needs: no smtpd, no local delivery. */
const MASTER_CF = `
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
proxymap  unix  -       -       n       -       -       proxymap
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;

function mainCf(dir: string, opts: PostfixOptions): string {
  return [
    'compatibility_level = 3.6',
    `queue_directory = ${dir}/queue`,
    `data_directory = ${dir}/data`,
    'mail_owner = postfix',
    'setgid_group = postdrop',
    `myhostname = ${opts.hostname ?? 'mta.test'}`,
    'mydestination =',
    'inet_interfaces = loopback-only',
    'inet_protocols = ipv4',
    'alias_maps =',
    'alias_database =',
    'local_recipient_maps =',
    `virtual_mailbox_domains = ${opts.domains.join(', ')}`,
    `virtual_transport = lmtp:inet:127.0.0.1:${opts.lmtpPort}`,
    'smtputf8_enable = yes',
    // Retry soon after a temporary failure (tests wait for it).
    'minimal_backoff_time = 1s',
    'maximal_backoff_time = 2s',
    'queue_run_delay = 1s',
    `maillog_file = ${dir}/maillog`,
    `maillog_file_prefixes = ${dir}`,
    '',
  ].join('\n');
}

const live = new Map<ChildProcess, { dir: string; masterPid: () => number | undefined }>();
let exitHook = false;

function masterPidOf(dir: string): number | undefined {
  const file = join(dir, 'queue', 'pid', 'master.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export async function startPostfix(opts: PostfixOptions): Promise<Postfix> {
  const dir = mkdtempSync(join(tmpdir(), 'aero-postfix-'));
  // Postfix's daemons run as "postfix": they must reach the queue and data dirs.
  chmodSync(dir, 0o755);
  const configDir = join(dir, 'conf');
  for (const d of ['conf', 'queue', 'data']) mkdirSync(join(dir, d));
  const pw = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postfix:'));
  if (pw === undefined) throw new Error('there is no "postfix" user: install the Debian package postfix');
  chownSync(join(dir, 'data'), Number(pw.split(':')[2]), Number(pw.split(':')[3]));
  writeFileSync(join(configDir, 'main.cf'), mainCf(dir, opts));
  writeFileSync(join(configDir, 'master.cf'), MASTER_CF);

  let output = '';
  const child = spawn(POSTFIX, ['-c', configDir, 'start-fg'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  live.set(child, { dir, masterPid: () => masterPidOf(dir) });
  void exited.then(() => live.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const [c, { dir: d, masterPid }] of live) {
        const pid = masterPid();
        if (pid !== undefined) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        c.kill('SIGKILL');
        rmSync(d, { recursive: true, force: true });
      }
    });
  }

  const log = (): string => {
    try {
      return readFileSync(join(dir, 'maillog'), 'utf8');
    } catch {
      return '';
    }
  };
  const waitForLog = async (pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = log().match(pattern);
      if (m !== null) return m;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`postfix log never matched ${pattern}:\n${log()}\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stop = async (): Promise<void> => {
    const pid = masterPidOf(dir);
    if (child.exitCode === null && child.signalCode === null) {
      if (pid !== undefined) process.kill(pid, 'SIGTERM');
      else child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
        child.kill('SIGKILL');
      }, 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitForLog(/postfix\/master\[\d+\]: daemon started/, 30_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    configDir,
    sendmail: (sender, recipients, message) => run(SENDMAIL, ['-C', configDir, '-i', '-f', sender, ...recipients], { input: message, timeoutMs: 30_000 }),
    log,
    waitForLog,
    stop,
  };
}
