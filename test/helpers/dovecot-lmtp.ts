/**
 * A throwaway Dovecot LMTP server (Debian's dovecot-lmtpd) as the reference for the
 * LMTP benchmark: its own config, state and Maildir under a temp dir, LMTP on
 * 127.0.0.1 at a free port, one user ("test", any domain: the domain is stripped).
 * test/helpers/dovecot.ts starts Dovecot for IMAP only; this is its LMTP sibling.
 *
 * Started in the foreground (-F) as our child, so stopping it is killing that PID; a
 * process 'exit' hook kills it (and removes its directory) if a run ends without stop().
 * As root, mail is written as the system user "mail" (Dovecot refuses uid 0).
 * No vitest here: the benchmark uses it from plain Node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const DOVECOT = '/usr/sbin/dovecot';
export const DOVECOT_LMTP_PACKAGE = 'dovecot-lmtpd';

const USER = 'test';

export interface DovecotLmtp {
  port: number;
  /** An address that delivers to the one user. */
  address: string;
  /** Messages delivered so far (files in the Maildir's new/). */
  delivered(): number;
  stop(): Promise<void>;
}

function account(): { uid: number; gid: number; name: string } {
  const me = userInfo();
  if (me.uid !== 0) return { uid: me.uid, gid: me.gid, name: me.username };
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === 'mail') return { uid: Number(uid), gid: Number(gid), name };
  }
  throw new Error('running as root, but there is no "mail" user for Dovecot to write mail as');
}

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

function config(dir: string, port: number, acct: { gid: number; name: string }, root: boolean): string {
  const lines = [
    `base_dir = ${dir}/run`,
    `state_dir = ${dir}/state`,
    `log_path = ${dir}/dovecot.log`,
    'listen = 127.0.0.1',
    'protocols = lmtp',
    'ssl = no',
    // user@any.domain delivers to "user".
    'auth_username_format = %Ln',
    `mail_location = maildir:${dir}/mail/%n`,
    `mail_uid = ${acct.name}`,
    `mail_gid = ${acct.gid}`,
    'first_valid_uid = 1',
    'first_valid_gid = 0',
    `passdb {\n  driver = passwd-file\n  args = scheme=PLAIN ${dir}/passwd\n}`,
    `userdb {\n  driver = static\n  args = home=${dir}/home/%n\n}`,
    `service lmtp {\n  inet_listener lmtp {\n    address = 127.0.0.1\n    port = ${port}\n  }\n}`,
  ];
  if (!root) lines.push(`default_internal_user = ${acct.name}`, `default_login_user = ${acct.name}`, 'service anvil {\n  chroot =\n}');
  return lines.join('\n') + '\n';
}

const live = new Map<ChildProcess, string>();
let exitHook = false;

async function waitForGreeting(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dovecot exited with ${child.exitCode}:\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      s.once('error', () => resolve(false));
      s.once('data', (d: Buffer) => {
        s.destroy();
        resolve(d.toString('latin1').startsWith('220 '));
      });
      s.connect(port, '127.0.0.1');
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`dovecot LMTP did not answer on port ${port}:\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startDovecotLmtp(): Promise<DovecotLmtp> {
  const root = userInfo().uid === 0;
  const acct = account();
  const dir = mkdtempSync(join(tmpdir(), 'aero-dovecot-lmtp-'));
  // Dovecot's processes running as the mail user must reach the Maildir.
  chmodSync(dir, 0o755);
  const maildir = join(dir, 'mail', USER);
  for (const d of ['run', 'state', 'home', 'mail', join('home', USER), join('mail', USER)]) mkdirSync(join(dir, d), { recursive: true });
  for (const d of ['home', 'mail', join('home', USER), join('mail', USER)]) chownSync(join(dir, d), acct.uid, acct.gid);
  writeFileSync(join(dir, 'passwd'), `${USER}:{PLAIN}unused\n`);
  const port = await freePort();
  const confPath = join(dir, 'dovecot.conf');
  writeFileSync(confPath, config(dir, port, acct, root));
  let output = '';
  const log = (): string => {
    try {
      return readFileSync(join(dir, 'dovecot.log'), 'utf8') + output;
    } catch {
      return output;
    }
  };
  const child = spawn(DOVECOT, ['-F', '-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  live.set(child, dir);
  child.once('exit', () => live.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const [c, d] of live) {
        c.kill('SIGKILL');
        rmSync(d, { recursive: true, force: true });
      }
    });
  }
  try {
    await waitForGreeting(port, child, log);
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    port,
    address: `${USER}@example.org`,
    delivered() {
      try {
        return readdirSync(join(maildir, 'new')).length;
      } catch {
        return 0;
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
