/**
 * The IMAP server on the real encrypted store (mail/store through the embedded
 * storage port): the adapter's mapping of mailboxes, UIDs, MODSEQs, flags, copies and
 * expunges, seen through imapflow and raw transcripts; IDLE woken by an LMTP-style
 * delivery into the incoming queue and by another session's change.
 */
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreBackend } from '../../../../mail/imap/store-adapter.js';
import { startImapServer, type ImapServer } from '../../../../mail/imap/server.js';
import { deliver } from '../../../../mail/store/index.js';
import { AuthenticationError } from '../../../../mail/user/errors.js';
import type { Credentials, LoginProvider } from '../../../../mail/user/provider.js';
import { testUser, type TestUser } from '../fixtures.js';
import { startMailNode, type MailNode } from '../harness.js';
import { RawClient } from './harness/raw-client.js';
import { message } from './harness/server.js';

let node: MailNode;
let server: ImapServer;
let port: number;
const users = new Map<string, TestUser>();

/** Logs in any known test user with the password "pw". */
const provider: LoginProvider = {
  async login(name, password) {
    const u = users.get(name);
    if (u === undefined || password !== 'pw') throw new AuthenticationError();
    const c: Credentials = { userId: u.userId, username: name, keys: u.keys.clone(), addresses: [], storage: { bucket: u.bucket } };
    return c;
  },
  async lookupAddress() {
    return undefined;
  },
};

function newUser(): string {
  const u = testUser();
  const name = `u${users.size}`;
  users.set(name, u);
  return name;
}

beforeAll(async () => {
  node = await startMailNode({ port: 'embedded' });
  server = await startImapServer({
    users: provider,
    backend: new StoreBackend({ storage: (s) => node.storage(s.bucket) }),
    listen: { host: '127.0.0.1', port: 0 },
  });
  port = server.address!.port;
});
afterAll(async () => {
  await server?.close();
  await node?.close();
});

async function login(name: string, select?: string): Promise<RawClient> {
  const c = await RawClient.connect(port);
  expect(await c.cmd(`l LOGIN ${name} pw`)).toMatch(/^l OK/);
  if (select !== undefined) expect(await c.cmd(`s ${select}`)).toMatch(/\r\ns OK/);
  return c;
}

describe('IMAP on the mail store', () => {
  it('shows the default mailboxes with their special use, and works them with imapflow', async () => {
    const name = newUser();
    const c = new ImapFlow({ host: '127.0.0.1', port, secure: false, auth: { user: name, pass: 'pw' }, logger: false, qresync: true });
    await c.connect();
    const list = await c.list();
    expect(list.map((l) => [l.path, l.specialUse ?? null]).sort()).toEqual([
      ['Archive', '\\Archive'],
      ['Drafts', '\\Drafts'],
      ['INBOX', '\\Inbox'],
      ['Junk', '\\Junk'],
      ['Sent', '\\Sent'],
      ['Trash', '\\Trash'],
    ]);
    for (let i = 1; i <= 5; i++) await c.append('INBOX', message(i), i === 1 ? ['\\Seen'] : []);
    const box = await c.mailboxOpen('INBOX');
    expect(box.exists).toBe(5);
    const subjects: string[] = [];
    for await (const m of c.fetch('1:*', { envelope: true, source: true, flags: true })) {
      subjects.push(m.envelope!.subject!);
      expect(m.source!.equals(message(m.seq))).toBe(true);
    }
    expect(subjects).toEqual(['Message 1', 'Message 2', 'Message 3', 'Message 4', 'Message 5']);
    expect(await c.search({ seen: false })).toEqual([2, 3, 4, 5]);
    const modseq = box.highestModseq!;
    await c.messageFlagsAdd('2', ['\\Flagged']);
    const changed: number[] = [];
    for await (const m of c.fetch('1:*', { uid: true }, { changedSince: modseq, uid: true })) changed.push(m.uid);
    expect(changed).toEqual([2]);
    expect(await c.messageCopy('1:2', 'Archive')).toMatchObject({ uidMap: new Map([[1, 1], [2, 2]]) });
    expect(await c.messageMove('3', 'Trash', { uid: true })).toMatchObject({ uidMap: new Map([[3, 1]]) });
    await c.messageDelete('4', { uid: true });
    expect(await c.search({ all: true }, { uid: true })).toEqual([1, 2, 5]);
    expect(await c.status('Archive', { messages: true, unseen: true })).toMatchObject({ messages: 2, unseen: 1 });
    await c.mailboxCreate('Projects/2024');
    await c.mailboxRename('Projects', 'Work');
    expect((await c.list()).map((l) => l.path)).toEqual(expect.arrayContaining(['Work', 'Work/2024']));
    await c.logout();
  });

  it('QRESYNC after changes made while away: exactly the changed and vanished UIDs', async () => {
    const name = newUser();
    const a = await login(name);
    for (let i = 1; i <= 6; i++) await a.cmd(`a${i} APPEND INBOX {${message(i).length}+}\r\n${message(i).toString('latin1')}`);
    await a.cmd('e ENABLE QRESYNC');
    const sel = await a.cmd('s SELECT INBOX');
    const validity = Number(/UIDVALIDITY (\d+)/.exec(sel)![1]);
    const modseq = Number(/HIGHESTMODSEQ (\d+)/.exec(sel)![1]);
    a.close();
    const b = await login(name, 'SELECT INBOX');
    await b.cmd('b1 STORE 2 +FLAGS.SILENT (\\Seen)');
    await b.cmd('b2 STORE 3,5 +FLAGS.SILENT (\\Deleted)');
    expect(await b.cmd('b3 EXPUNGE')).toBe('* 5 EXPUNGE\r\n* 3 EXPUNGE\r\nb3 OK EXPUNGE completed\r\n');
    b.close();
    const c = await login(name);
    await c.cmd('e ENABLE QRESYNC');
    const resync = await c.cmd(`s SELECT INBOX (QRESYNC (${validity} ${modseq}))`);
    expect(resync).toContain('* VANISHED (EARLIER) 3,5\r\n');
    expect(resync.match(/^\* \d+ FETCH .*$/gm)).toEqual([expect.stringMatching(/^\* 2 FETCH \(UID 2 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)\r?$/)]);
    c.close();
  });

  it('IDLE wakes within a second for a delivery into the incoming queue and for another session', async () => {
    const name = newUser();
    const a = await login(name, 'SELECT INBOX');
    a.send('i IDLE\r\n');
    expect(await a.line()).toBe('+ idling');
    const u = users.get(name)!;
    let t = Date.now();
    await deliver(await node.storage(u.bucket), u.recipient, message(1));
    expect(await a.line(5000)).toBe('* 1 EXISTS');
    const deliveryMs = Date.now() - t;
    const b = await login(name, 'SELECT INBOX');
    t = Date.now();
    await b.cmd('b STORE 1 +FLAGS.SILENT (\\Answered)');
    expect(await a.line(5000)).toMatch(/^\* 1 FETCH \(FLAGS \(\\Answered\)\)$/);
    const flagMs = Date.now() - t;
    expect(deliveryMs).toBeLessThan(1000);
    expect(flagMs).toBeLessThan(1000);
    a.send('DONE\r\n');
    expect(await a.until('i')).toBe('i OK IDLE terminated\r\n');
    a.close();
    b.close();
  });

  it('answers NO [TRYCREATE] and [NONEXISTENT] from the store errors', async () => {
    const name = newUser();
    const a = await login(name, 'SELECT INBOX');
    expect(await a.cmd('a1 APPEND Nope {1+}\r\nx')).toBe('a1 NO [TRYCREATE] No such mailbox\r\n');
    expect(await a.cmd('a2 STATUS Nope (MESSAGES)')).toMatch(/^a2 NO \[NONEXISTENT\]/);
    expect(await a.cmd('a3 CREATE Sent')).toMatch(/^a3 NO \[ALREADYEXISTS\]/);
    a.close();
  });
});
