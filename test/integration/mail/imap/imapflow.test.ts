/**
 * imapflow (the Node IMAP client) driving every flow a mail client needs, against
 * the in-process server: login through the real static login provider (Argon2, users
 * file), mailbox management, append, fetch of every kind, search, flags, copy, move,
 * delete, IDLE notifications, CONDSTORE and QRESYNC.
 */
import { ImapFlow, type FetchMessageObject } from 'imapflow';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../../../mail/user/accounts.js';
import { StaticLoginProvider } from '../../../../mail/user/static-provider.js';
import { editUsersFile } from '../../../../mail/user/users-file.js';
import { tempDir } from '../../../helpers/tools.js';
import { MemoryBackend } from './harness/memory-backend.js';
import { message, startTestImap, type TestImap } from './harness/server.js';

const tmp = tempDir('aero-imapflow-');
let imap: TestImap;
let provider: StaticLoginProvider;
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  const users = join(tmp.path, 'users.toml');
  await editUsersFile(users, (db) => createAccount(db, 'carol', { addresses: ['carol@example.org'], password: PASSWORD, cost: { memoryKiB: 19 * 1024, timeCost: 2, parallelism: 1 } }), { create: true });
  provider = new StaticLoginProvider({ path: users });
  const backend = new MemoryBackend();
  backend.addUser('carol', 'unused: the provider checks passwords');
  imap = await startTestImap({ users: provider, backend });
  imap.backend = backend;
});
afterAll(async () => {
  await imap.close();
  provider.close();
  tmp.remove();
});

function client(opts: Partial<ConstructorParameters<typeof ImapFlow>[0]> = {}): ImapFlow {
  return new ImapFlow({ host: '127.0.0.1', port: imap.port, secure: false, auth: { user: 'carol@example.org', pass: PASSWORD }, logger: false, ...opts });
}

describe('imapflow', () => {
  it('logs in through the users file, by address, and refuses a wrong password', async () => {
    const c = client();
    await c.connect();
    expect(c.authenticated).toBeTruthy();
    expect(c.capabilities.has('UIDPLUS')).toBe(true);
    await c.logout();
    const bad = client({ auth: { user: 'carol', pass: 'nope' } });
    await expect(bad.connect()).rejects.toThrow();
  });

  it('manages mailboxes: create, rename, subscribe, list with special use and status, delete', async () => {
    const c = client();
    await c.connect();
    await c.mailboxCreate(['Work', 'Reports']);
    await c.mailboxCreate('Sent');
    await c.mailboxRename('Work/Reports', 'Work/Archive');
    await c.mailboxSubscribe('Work/Archive');
    const list = await c.list({ statusQuery: { messages: true, unseen: true } });
    const paths = list.map((l) => l.path);
    expect(paths).toEqual(expect.arrayContaining(['INBOX', 'Work', 'Work/Archive', 'Sent']));
    expect(list.find((l) => l.path === 'Work/Archive')!.subscribed).toBe(true);
    expect(list.find((l) => l.path === 'INBOX')!.status?.messages).toBe(0);
    // (imapflow sorts names that look special-use first, so a child named "Archive" would precede its parent.)
    await c.mailboxCreate('Work/Old');
    const tree = await c.listTree();
    expect(tree.folders?.find((f) => f.path === 'Work')?.folders?.map((f) => f.path)).toEqual(['Work/Old']);
    await c.mailboxDelete('Work/Old');
    await c.mailboxDelete('Work/Archive');
    await c.mailboxUnsubscribe('Work/Archive');
    expect((await c.list()).map((l) => l.path)).not.toContain('Work/Archive');
    await c.logout();
  });

  it('appends and fetches every way: envelope, structure, source, parts, headers, partial', async () => {
    const c = client();
    await c.connect();
    const appended = await c.append('INBOX', message(1, 'X-Tag: first\r\n'), ['\\Seen'], new Date('2024-03-01T10:00:00Z'));
    expect(appended).toMatchObject({ uid: 1 });
    await c.append('INBOX', message(2));
    const lock = await c.getMailboxLock('INBOX');
    try {
      const msgs: FetchMessageObject[] = [];
      for await (const m of c.fetch('1:*', { uid: true, flags: true, envelope: true, bodyStructure: true, internalDate: true, size: true, source: true, headers: ['x-tag'] })) msgs.push(m);
      expect(msgs.map((m) => m.envelope?.subject)).toEqual(['Message 1', 'Message 2']);
      expect([...msgs[0]!.flags!]).toEqual(['\\Seen']);
      expect(msgs[0]!.internalDate).toEqual(new Date('2024-03-01T10:00:00Z'));
      expect(msgs[0]!.source!.equals(message(1, 'X-Tag: first\r\n'))).toBe(true);
      expect(msgs[0]!.headers!.toString()).toBe('X-Tag: first\r\n\r\n');
      expect(msgs[1]!.bodyStructure).toMatchObject({ type: 'text/plain' });
      const one = await c.fetchOne('2', { bodyParts: ['1', 'TEXT'] }, { uid: true });
      expect(one && one.bodyParts!.get('text')!.toString()).toBe('Body of message 2.\r\n');
      const { content } = await c.download('2', '1', { uid: true });
      const chunks: Buffer[] = [];
      for await (const chunk of content!) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe('Body of message 2.\r\n');
    } finally {
      lock.release();
    }
    await c.logout();
  });

  it('searches, changes flags, copies, moves and deletes', async () => {
    const c = client();
    await c.connect();
    await c.mailboxCreate('Flow');
    for (let i = 1; i <= 4; i++) await c.append('Flow', message(i));
    const lock = await c.getMailboxLock('Flow');
    try {
      expect(await c.search({ subject: 'message 3' })).toEqual([3]);
      expect(await c.search({ seen: false }, { uid: true })).toEqual([1, 2, 3, 4]);
      await c.messageFlagsAdd('1:2', ['\\Seen', '$Important']);
      await c.messageFlagsRemove('2', ['$Important']);
      await c.messageFlagsSet('4', ['\\Flagged']);
      expect(await c.search({ keyword: '$Important' })).toEqual([1]);
      expect(await c.search({ or: [{ flagged: true }, { seen: true }] })).toEqual([1, 2, 4]);
      await c.mailboxCreate('Flow/Kept');
      expect(await c.messageCopy('1:2', 'Flow/Kept')).toMatchObject({ uidMap: new Map([[1, 1], [2, 2]]) });
      expect(await c.messageMove('3', 'Flow/Kept', { uid: true })).toMatchObject({ uidMap: new Map([[3, 3]]) });
      expect(await c.messageDelete('1', { uid: true })).toBe(true);
      expect(await c.search({ all: true }, { uid: true })).toEqual([2, 4]);
    } finally {
      lock.release();
    }
    expect(await c.status('Flow/Kept', { messages: true, uidNext: true })).toMatchObject({ messages: 3, uidNext: 4 });
    await c.logout();
  });

  it('IDLE: sees deliveries and flag changes made elsewhere', async () => {
    const c = client();
    await c.connect();
    await c.mailboxCreate('Live');
    await c.mailboxOpen('Live');
    const exists = new Promise<number>((resolve) => c.on('exists', (d: { count: number }) => resolve(d.count)));
    const idling = c.idle();
    await new Promise((r) => setTimeout(r, 50));
    const other = client();
    await other.connect();
    await other.append('Live', message(9));
    expect(await exists).toBe(1);
    const flags = new Promise<string[]>((resolve) => c.on('flags', (d: { flags: Set<string> }) => resolve([...d.flags])));
    const lock = await other.getMailboxLock('Live');
    await other.messageFlagsAdd('1', ['\\Answered']);
    lock.release();
    expect(await flags).toEqual(['\\Answered']);
    await other.logout();
    await c.logout();
    await idling.catch(() => undefined);
  });

  it('CONDSTORE and QRESYNC: changes since a modseq, vanished UIDs', async () => {
    const c = client({ qresync: true });
    await c.connect();
    await c.mailboxCreate('Sync');
    for (let i = 1; i <= 3; i++) await c.append('Sync', message(i));
    const box = await c.mailboxOpen('Sync');
    const modseq = box.highestModseq!;
    await c.messageFlagsAdd('2', ['\\Seen']);
    const changed: number[] = [];
    for await (const m of c.fetch('1:*', { uid: true, flags: true }, { changedSince: modseq, uid: true })) changed.push(m.uid);
    expect(changed).toEqual([2]);
    const vanished = new Promise<number[]>((resolve) => c.on('expunge', (d: { uid?: number; vanished?: boolean }) => d.vanished && resolve([d.uid!])));
    await c.messageDelete('3', { uid: true });
    expect(await vanished).toEqual([3]);
    await c.logout();
  });
});
