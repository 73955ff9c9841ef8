/**
 * A throwaway Dovecot (Debian's dovecot-imapd) as the reference IMAP server for
 * differential tests: its own config, state and Maildir under a temp dir, IMAP on
 * 127.0.0.1 at a free port, one user with a plain password. Messages are delivered
 * by writing them into the Maildir's new/ directory.
 *
 * Started in the foreground (-F) as our child, so stopping it is killing that PID;
 * a process 'exit' hook kills it (and removes its directory) if a test run ends
 * without stop().
 *
 * As root, mail is accessed as the system user "mail" (Dovecot refuses uid 0); as
 * any other user, everything runs as that user.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const DOVECOT = '/usr/sbin/dovecot';
export const DOVECOT_PACKAGE = 'dovecot-imapd';

const USER = 'test';
const PASSWORD = 'test-password';

export interface Dovecot {
  port: number;
  user: string;
  password: string;
  /** Writes a message into INBOX (Maildir new/); UIDs follow the order of deliveries. */
  deliver(raw: Buffer): string;
  /** Maildir file name (as returned by deliver) → UID; valid after a SELECT saw the messages. */
  uids(): Map<string, number>;
  stop(): Promise<void>;
}

interface Account {
  uid: number;
  gid: number;
  name: string;
  group: string;
}

function groupName(gid: number): string {
  for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
    const [name, , id] = line.split(':');
    if (Number(id) === gid && name !== undefined) return name;
  }
  return String(gid);
}

function mailAccount(): Account {
  const me = userInfo();
  if (me.uid !== 0) return { uid: me.uid, gid: me.gid, name: me.username, group: groupName(me.gid) };
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === 'mail') return { uid: Number(uid), gid: Number(gid), name, group: groupName(Number(gid)) };
  }
  throw new Error('running as root, but there is no "mail" user for Dovecot to access mail as');
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

function config(dir: string, port: number, account: Account, root: boolean): string {
  const lines = [
    `base_dir = ${dir}/run`,
    `state_dir = ${dir}/state`,
    `log_path = ${dir}/dovecot.log`,
    'listen = 127.0.0.1',
    'protocols = imap',
    'ssl = no',
    'disable_plaintext_auth = no',
    'auth_mechanisms = plain',
    `mail_location = maildir:${dir}/mail/%u`,
    `mail_uid = ${account.name}`,
    `mail_gid = ${account.gid}`,
    'first_valid_uid = 1',
    'first_valid_gid = 0',
    `passdb {\n  driver = passwd-file\n  args = scheme=PLAIN ${dir}/passwd\n}`,
    `userdb {\n  driver = static\n  args = home=${dir}/home/%u\n}`,
    `service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n    port = ${port}\n  }${root ? '' : '\n  chroot =\n  user = ' + account.name}\n}`,
  ];
  if (!root) {
    lines.push(
      `default_internal_user = ${account.name}`,
      `default_internal_group = ${account.group}`,
      `default_login_user = ${account.name}`,
      'service anvil {\n  chroot =\n}',
    );
  }
  return lines.join('\n') + '\n';
}

/** Running Dovecots and their directories, killed and removed at exit if a test did not stop them. */
const live = new Map<ChildProcess, string>();
let exitHook = false;

async function waitForGreeting(port: number, child: ChildProcess, logFile: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dovecot exited with ${child.exitCode}:\n${logFile()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      s.once('error', () => resolve(false));
      s.once('data', (d: Buffer) => {
        s.destroy();
        resolve(d.toString('latin1').startsWith('* OK'));
      });
      s.connect(port, '127.0.0.1');
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`dovecot did not answer on port ${port}:\n${logFile()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a Dovecot; retried on another port if the one picked was taken meanwhile. */
export async function startDovecot(): Promise<Dovecot> {
  const root = userInfo().uid === 0;
  const account = mailAccount();
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(root, account);
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
}

async function startOnce(root: boolean, account: Account): Promise<Dovecot> {
  const dir = mkdtempSync(join(tmpdir(), 'aero-dovecot-'));
  // Dovecot's processes running as the mail user must reach the Maildir.
  chmodSync(dir, 0o755);
  const inbox = join(dir, 'mail', USER);
  for (const d of ['run', 'state', 'home', 'mail', join('mail', USER), ...['cur', 'new', 'tmp'].map((s) => join('mail', USER, s))]) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  for (const d of ['home', 'mail', join('mail', USER), ...['cur', 'new', 'tmp'].map((s) => join('mail', USER, s))]) {
    chownSync(join(dir, d), account.uid, account.gid);
  }
  writeFileSync(join(dir, 'passwd'), `${USER}:{PLAIN}${PASSWORD}\n`);
  const port = await freePort();
  const confPath = join(dir, 'dovecot.conf');
  writeFileSync(confPath, config(dir, port, account, root));
  const logFile = (): string => {
    try {
      return readFileSync(join(dir, 'dovecot.log'), 'utf8');
    } catch {
      return '(no log)';
    }
  };

  const child = spawn(DOVECOT, ['-F', '-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
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
    await waitForGreeting(port, child, () => logFile() + output);
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  let seq = 0;
  return {
    port,
    user: USER,
    password: PASSWORD,
    deliver(raw: Buffer): string {
      // Zero-padded so that Dovecot, which sorts new mail by name, keeps the delivery order.
      const name = `${String(++seq).padStart(6, '0')}.aero`;
      const tmp = join(inbox, 'tmp', name);
      writeFileSync(tmp, raw);
      chownSync(tmp, account.uid, account.gid);
      renameSync(tmp, join(inbox, 'new', name));
      return name;
    },
    uids(): Map<string, number> {
      const map = new Map<string, number>();
      // dovecot-uidlist: a header line, then "<uid> [<extensions>] :<file name>[:2,flags]".
      for (const line of readFileSync(join(inbox, 'dovecot-uidlist'), 'latin1').split('\n').slice(1)) {
        const sep = line.indexOf(' :');
        if (sep === -1) continue;
        map.set(line.slice(sep + 2).split(':')[0]!, Number(line.slice(0, line.indexOf(' '))));
      }
      return map;
    },
    async stop(): Promise<void> {
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

/** A raw IMAP connection: commands go out as written, responses come back as bytes. */
export class ImapConnection {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private closed = false;
  private tagSeq = 0;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  static async open(port: number): Promise<ImapConnection> {
    const socket = new Socket();
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, '127.0.0.1', resolve);
    });
    const conn = new ImapConnection(socket);
    await conn.readResponse(null);
    return conn;
  }

  /** Reads whole response lines (literals included) until the tagged one, or one line when tag is null. */
  private async readResponse(tag: string | null): Promise<Buffer> {
    let lineStart = 0;
    let pos = 0;
    for (;;) {
      const crlf = this.buf.indexOf('\r\n', pos);
      if (crlf === -1) {
        await this.more();
        continue;
      }
      const literal = /\{(\d+)\}$/.exec(this.buf.toString('latin1', Math.max(pos, crlf - 24), crlf));
      if (literal !== null) {
        // The line goes on after the literal's data.
        const need = crlf + 2 + Number(literal[1]);
        while (this.buf.length < need) await this.more();
        pos = need;
        continue;
      }
      pos = crlf + 2;
      if (tag === null || this.buf.toString('latin1', lineStart, lineStart + tag.length + 1) === `${tag} `) {
        const out = this.buf.subarray(0, pos);
        this.buf = this.buf.subarray(pos);
        return out;
      }
      lineStart = pos;
    }
  }

  private more(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('IMAP connection closed'));
    return new Promise((resolve) => {
      this.waiter = () => {
        this.waiter = null;
        resolve();
      };
    });
  }

  /** Sends "<tag> <command>" and returns every response byte up to and including the tagged line. */
  async command(command: string): Promise<Buffer> {
    const tag = `a${++this.tagSeq}`;
    this.socket.write(`${tag} ${command}\r\n`);
    const out = await this.readResponse(tag);
    const prev = out.lastIndexOf('\r\n', out.length - 3);
    if (!out.toString('latin1', prev === -1 ? 0 : prev + 2).startsWith(`${tag} OK`)) {
      throw new Error(`IMAP ${command} failed:\n${out.toString('latin1')}`);
    }
    return out;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Length of the IMAP value (atom, quoted string, literal or parenthesised list) at `pos`. */
function valueLength(b: Buffer, pos: number): number {
  let i = pos;
  let depth = 0;
  const malformed = (): Error => new Error(`malformed FETCH value at byte ${pos}: ${b.toString('latin1', pos, pos + 80)}`);
  do {
    if (i >= b.length) throw malformed();
    const c = b[i]!;
    if (c === 0x28) {
      depth++;
      i++;
    } else if (c === 0x29) {
      depth--;
      i++;
    } else if (c === 0x20) {
      i++;
    } else if (c === 0x22) {
      i++;
      while (i < b.length && b[i] !== 0x22) i += b[i] === 0x5c ? 2 : 1;
      i++;
    } else if (c === 0x7b || (c === 0x7e && b[i + 1] === 0x7b)) {
      // A literal, {n} or the binary ~{n}: skip the "{n}\r\n" and its n octets.
      const open = c === 0x7e ? i + 1 : i;
      const close = b.indexOf('}', open);
      if (close === -1) throw malformed();
      i = close + 3 + Number(b.toString('latin1', open + 1, close));
    } else {
      const from = i;
      while (i < b.length && !' ()\r'.includes(String.fromCharCode(b[i]!))) {
        // BODY[...] names hold spaces and parentheses inside their brackets.
        if (b[i] === 0x5b) i = b.indexOf(']', i);
        if (i === -1) throw malformed();
        i++;
      }
      if (i === from) throw malformed();
    }
  } while (depth > 0);
  return i - pos;
}

/**
 * The data items of the first "* n FETCH (...)" response: item name (as Dovecot
 * wrote it, e.g. "BODY[1.MIME]") → the exact bytes of its value.
 */
export function fetchItems(response: Buffer): Map<string, Buffer> {
  const start = response.indexOf(' FETCH (');
  if (start === -1) throw new Error(`no FETCH response in:\n${response.toString('latin1')}`);
  const items = new Map<string, Buffer>();
  let pos = start + ' FETCH ('.length;
  while (response[pos] !== 0x29) {
    const nameLen = valueLength(response, pos);
    const name = response.toString('latin1', pos, pos + nameLen);
    pos += nameLen + 1;
    const len = valueLength(response, pos);
    items.set(name, response.subarray(pos, pos + len));
    pos += len;
    if (response[pos] === 0x20) pos++;
  }
  return items;
}

/** The octets an IMAP string value stands for (a literal's data, a quoted string unescaped); null for NIL. */
export function stringValue(value: Buffer): Buffer | null {
  const s = value.toString('latin1');
  if (s === 'NIL') return null;
  if (s.startsWith('{')) return value.subarray(s.indexOf('\r\n') + 2);
  if (s.startsWith('"')) return Buffer.from(s.slice(1, -1).replace(/\\(.)/g, '$1'), 'latin1');
  throw new Error(`not an IMAP string: ${s}`);
}
