/**
 * Postfix (Debian's, a throwaway instance on loopback with its own configuration
 * directory) delivering to our LMTP server: a message submitted with that instance's
 * sendmail is read back byte for byte — what was sent, plus Postfix's Received line
 * and our trace; several recipients in one transaction; an unknown recipient bounced
 * at RCPT (550 5.1.1), as the MTA's log shows.
 *
 * Our side is the real `aerogramme server` (fsync on) with accounts in its users file;
 * messages are read back over IMAP with imapflow (BODY[] bytes).
 */
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../mail/user/accounts.js';
import { editUsersFile } from '../../mail/user/users-file.js';
import { POSTFIX, POSTFIX_PACKAGE, startPostfix, type Postfix } from '../helpers/postfix.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { describeRun, requireTool } from '../helpers/tools.js';
import '../helpers/vitest.js';
import { expectedDelivery, HOSTNAME } from '../integration/mail/lmtp/harness.js';

const hasPostfix = requireTool(POSTFIX, POSTFIX_PACKAGE);
const MTA = 'mta.test';

const passwordOf = (user: string): string => `${user} password for postfix tests`;

function portOf(server: TestServer, api: string): number {
  const addr = server.addresses[api]!;
  return Number(addr.slice(addr.lastIndexOf(':') + 1));
}

describe.skipIf(!hasPostfix)('Postfix delivering over LMTP', () => {
  let server: TestServer;
  let postfix: Postfix;
  beforeAll(async () => {
    server = await startServer({ toml: `[lmtp]\nhostname = "${HOSTNAME}"\n` });
    const users = join(server.dir, 'users.toml');
    await editUsersFile(users, (db) => createAccount(db, 'alice', { addresses: ['alice@example.org'], password: passwordOf('alice') }), { create: true });
    await editUsersFile(users, (db) => createAccount(db, 'carol', { addresses: ['carol@example.net'], password: passwordOf('carol') }));
    postfix = await startPostfix({ lmtpPort: portOf(server, 'lmtp'), domains: ['example.org', 'example.net'], hostname: MTA });
  }, 120_000);
  afterAll(async () => {
    await postfix?.stop();
    await server?.stop();
  });

  /** BODY[] of every message in the user's INBOX, over IMAP. */
  async function inbox(user: string): Promise<Buffer[]> {
    const client = new ImapFlow({ host: '127.0.0.1', port: portOf(server, 'imap'), secure: false, auth: { user, pass: passwordOf(user) }, logger: false });
    await client.connect();
    try {
      const lock = await client.getMailboxLock('INBOX');
      try {
        const out: Buffer[] = [];
        for await (const m of client.fetch('1:*', { source: true })) out.push(m.source!);
        return out;
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  }

  it('stores what sendmail was given, plus the Received line of Postfix and our trace', async () => {
    // As piped to sendmail: Unix line endings. Postfix sends it with CRLF.
    const sent = [
      'From: Sender <sender@x.test>',
      'To: Alice <alice@example.org>',
      'Subject: through Postfix',
      'Date: Tue, 02 Jan 2024 10:00:00 +0000',
      'Message-ID: <postfix-1@x.test>',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Grüße.',
      '.',
      '..leading dots',
      'end',
      '',
    ].join('\n');
    const r = await postfix.sendmail('sender@x.test', ['alice@example.org'], Buffer.from(sent));
    expect(r.code, describeRun('sendmail', [], r)).toBe(0);
    await postfix.waitForLog(/to=<alice@example\.org>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=sent \(250 2\.6\.0 <alice@example\.org> saved\)/);
    const messages = await inbox('alice');
    expect(messages).toHaveLength(1);
    const stored = messages[0]!;
    const text = stored.toString('utf8');
    // Postfix's own trace: "Received: by <host> (Postfix, from userid 0)\r\n\tid <queue id>; <date>".
    const theirs = /\r\n(Received: by mta\.test \(Postfix, from userid \d+\)\r\n\tid \w+; [^\r]+\r\n)/.exec(text);
    expect(theirs, text).not.toBeNull();
    const crlf = Buffer.from(sent.replace(/\n/g, '\r\n'), 'utf8');
    const expected = expectedDelivery(stored, { sender: 'sender@x.test', recipient: 'alice@example.org', helo: MTA }, Buffer.concat([Buffer.from(theirs![1]!, 'utf8'), crlf]));
    expect(text).toBe(expected.toString('utf8'));
    expect(stored.equals(expected)).toBe(true);
  });

  it('delivers to several recipients in one transaction, and bounces an unknown one at RCPT', async () => {
    const before = { alice: (await inbox('alice')).length, carol: (await inbox('carol')).length };
    const r = await postfix.sendmail('sender@x.test', ['alice@example.org', 'carol@example.net', 'nobody@example.org'], Buffer.from('Subject: to three\n\nhi\n'));
    expect(r.code, describeRun('sendmail', [], r)).toBe(0);
    await postfix.waitForLog(/to=<nobody@example\.org>, .*status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 550 5\.1\.1 <nobody@example\.org> no such user here/);
    await postfix.waitForLog(/to=<carol@example\.net>, .*status=sent/);
    expect((await inbox('alice')).length).toBe(before.alice + 1);
    expect((await inbox('carol')).length).toBe(before.carol + 1);
    // One LMTP transaction for the message: the other recipient's reply came before carol's.
    const queueId = /(\w+): to=<carol@example\.net>/.exec(postfix.log())![1]!;
    expect(postfix.log()).toMatch(new RegExp(`${queueId}: to=<alice@example\\.org>, .*status=sent`));
  });
});
