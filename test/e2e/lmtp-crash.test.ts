/**
 * Durability and encryption at rest of LMTP delivery, on the real `aerogramme server`
 * (fsync on, as shipped) with an account in its users file:
 *
 *  - kill -9 during a 1,000-message `smtp-source -L` run; a tap between smtp-source
 *    and the server records which messages (by Message-Id) got a 250 after DATA. After
 *    a restart on the same directory, imapflow finds every one of them in INBOX exactly
 *    once, and no message there twice;
 *  - a message with a marker string delivered after the restart: the marker is in no
 *    file under the server's directory, and is in the message imapflow reads back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../mail/user/accounts.js';
import { editUsersFile } from '../../mail/user/users-file.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { requireTool } from '../helpers/tools.js';
import '../helpers/vitest.js';
import { dataOf, lines, RawLmtp } from '../integration/mail/lmtp/raw-client.js';

const SMTP_SOURCE = '/usr/sbin/smtp-source';
const hasSmtpSource = requireTool(SMTP_SOURCE, 'postfix');
const MESSAGES = 1000;
const KILL_AFTER = 300;
const USER = 'crash';
const ADDRESS = 'crash@example.org';
const PASSWORD = 'crash test password';

function portOf(server: TestServer, api: string): number {
  const addr = server.addresses[api];
  if (addr === undefined) throw new Error(`the server announced no ${api} listener: ${JSON.stringify(server.addresses)}`);
  return Number(addr.slice(addr.lastIndexOf(':') + 1));
}

/**
 * A TCP relay between an LMTP client and server that follows each connection's
 * commands and replies (a client that waits for each reply, one recipient per
 * message), and records the Message-Id of each message answered 250 after DATA.
 */
class LmtpTap {
  readonly acked: string[] = [];
  private readonly server: Server;

  private constructor(target: number) {
    this.server = createServer((client) => this.relay(client, target));
  }

  static async start(target: number): Promise<{ tap: LmtpTap; port: number }> {
    const tap = new LmtpTap(target);
    await new Promise<void>((r) => tap.server.listen(0, '127.0.0.1', r));
    return { tap, port: (tap.server.address() as AddressInfo).port };
  }

  private relay(client: Socket, target: number): void {
    const upstream = connect(target, '127.0.0.1');
    // What each reply answers, in order: the greeting, each command, each message.
    const expecting: ({ kind: 'other' } | { kind: 'message'; id: string })[] = [{ kind: 'other' }];
    let fromClient = '';
    let message: string[] | undefined;
    let fromServer = '';
    client.on('data', (d: Buffer) => {
      fromClient += d.toString('latin1');
      let nl: number;
      while ((nl = fromClient.indexOf('\r\n')) !== -1) {
        const line = fromClient.slice(0, nl);
        fromClient = fromClient.slice(nl + 2);
        if (message !== undefined) {
          if (line === '.') {
            expecting.push({ kind: 'message', id: /^Message-Id: (.*)$/im.exec(message.join('\n'))?.[1] ?? '(none)' });
            message = undefined;
          } else message.push(line);
        } else {
          expecting.push({ kind: 'other' });
          if (/^DATA$/i.test(line)) message = [];
        }
      }
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      fromServer += d.toString('latin1');
      let nl: number;
      while ((nl = fromServer.indexOf('\r\n')) !== -1) {
        const line = fromServer.slice(0, nl);
        fromServer = fromServer.slice(nl + 2);
        if (line[3] === '-') continue;
        const what = expecting.shift();
        if (what?.kind === 'message' && line.startsWith('250 ')) this.acked.push(what.id);
      }
      client.write(d);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

/** INBOX over IMAP (the login moves the incoming queue in first): each message's Message-Id and source. */
async function inbox(server: TestServer): Promise<{ messageId: string; source: string }[]> {
  const client = new ImapFlow({ host: '127.0.0.1', port: portOf(server, 'imap'), secure: false, auth: { user: USER, pass: PASSWORD }, logger: false });
  await client.connect();
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      const out: { messageId: string; source: string }[] = [];
      for await (const m of client.fetch('1:*', { source: true })) {
        const source = m.source!.toString('utf8');
        out.push({ messageId: /^Message-Id: (.*)$/im.exec(source)?.[1]?.trim() ?? '(none)', source });
      }
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

describe.skipIf(!hasSmtpSource)('LMTP: kill -9 during delivery, encryption at rest', () => {
  const children = new Set<ChildProcess>();
  let server: TestServer | undefined;
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await server?.stop();
  });

  it('keeps every message that got a 250, exactly once, and nothing readable on disk', async () => {
    server = await startServer();
    await editUsersFile(join(server.dir, 'users.toml'), (db) => createAccount(db, USER, { addresses: [ADDRESS], password: PASSWORD }), { create: true });
    const { tap, port } = await LmtpTap.start(portOf(server, 'lmtp'));
    const source = spawn(SMTP_SOURCE, ['-L', '-s', '10', '-m', String(MESSAGES), '-l', '2048', '-f', 'sender@x.test', '-t', ADDRESS, `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(source);
    let sourceErr = '';
    source.stderr!.on('data', (d: Buffer) => (sourceErr += d.toString()));
    const sourceDone = new Promise<void>((r) => source.once('exit', () => r()));
    while (tap.acked.length < KILL_AFTER) {
      if (source.exitCode !== null) throw new Error(`smtp-source ended after ${tap.acked.length} acknowledged messages, before the kill:\n${sourceErr}\n${server.output()}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    await server.kill9();
    const acked = [...tap.acked];
    // smtp-source gives up once the server is gone.
    const giveUp = setTimeout(() => source.kill('SIGKILL'), 15_000);
    await sourceDone;
    clearTimeout(giveUp);
    await tap.close();
    expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(acked.length).toBeLessThan(MESSAGES);
    expect(new Set(acked).size, 'smtp-source gives each message its own Message-Id').toBe(acked.length);

    // Restart on the same directory; it delivers again, here a message with a marker.
    server = await server.restart();
    const marker = `MARKER-${randomBytes(12).toString('hex')}`;
    const c = await RawLmtp.greeted(portOf(server, 'lmtp'));
    await c.command('LHLO client.test');
    await c.command('MAIL FROM:<sender@x.test>');
    expect(await c.command(`RCPT TO:<${ADDRESS}>`)).toBe('250 2.1.5 Accepted');
    await c.command('DATA');
    c.write(dataOf(lines(`Subject: ${marker}`, 'Message-Id: <marker@x.test>', '', `The secret is ${marker}.`)));
    expect((await c.reply()).lines).toEqual([`250 2.6.0 <${ADDRESS}> saved`]);
    c.close();

    // After login: every acknowledged message once; nothing twice; the marker message readable.
    const after = await inbox(server);
    const counts = new Map<string, number>();
    for (const m of after) counts.set(m.messageId, (counts.get(m.messageId) ?? 0) + 1);
    const notOnce = acked.filter((id) => counts.get(id) !== 1);
    expect(notOnce, `acknowledged but not in INBOX exactly once (of ${acked.length})`).toEqual([]);
    expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    // Besides the acknowledged ones, at most those in flight at the kill (10 sessions), and the marker.
    expect(after.length).toBeLessThanOrEqual(acked.length + 10 + 1);
    const withMarker = after.filter((m) => m.source.includes(marker));
    expect(withMarker).toHaveLength(1);
    expect(withMarker[0]!.source).toContain(`The secret is ${marker}.`);

    // At rest: the marker is in no stored file (database, blocks, logs aside), not even a piece of it.
    const files = filesUnder(server.dir).filter((f) => statSync(f).size > 0);
    expect(files.some((f) => f.startsWith(join(server!.dir, 'data')))).toBe(true);
    for (const f of files) {
      const bytes = readFileSync(f);
      expect(bytes.includes(marker), f).toBe(false);
      expect(bytes.includes(marker.slice(7, 24)), f).toBe(false);
    }
  }, 180_000);
});
