/**
 * mbsync (isync) against our IMAP server, on the in-memory backend and on the real
 * encrypted store: a Maildir of 500 messages in 5 folders pushed up, then changes on
 * both sides (new messages, flags, deletions) synced both ways; every second run in a
 * row must change nothing. The server side is checked over IMAP, the Maildir on disk.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startImapServer, type ImapServer } from '../../mail/imap/server.js';
import { StoreBackend } from '../../mail/imap/store-adapter.js';
import { AuthenticationError } from '../../mail/user/errors.js';
import type { LoginProvider } from '../../mail/user/provider.js';
import { describeRun, requireTool, run, tempDir, type RunResult } from '../helpers/tools.js';
import { testUser } from '../integration/mail/fixtures.js';
import { startMailNode, type MailNode } from '../integration/mail/harness.js';
import { RawClient } from '../integration/mail/imap/harness/raw-client.js';
import { startTestImap, USER, PASSWORD } from '../integration/mail/imap/harness/server.js';

const hasMbsync = requireTool('mbsync', 'isync');
const FOLDERS = ['INBOX', 'Archive', 'Lists', 'Lists/ietf', 'Sent'];
const PER_FOLDER = 100;

function raw(folder: string, i: number): string {
  return `From: sender${i}@example.org\r\nTo: ${USER}@example.org\r\nSubject: ${folder} message ${i}\r\nMessage-ID: <${folder.replace('/', '.')}.${i}@example.org>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nThis is message ${i} of ${folder}.\r\n`;
}

/** The real store behind the server, with one user logging in as USER / PASSWORD. */
async function storeServer(): Promise<{ server: ImapServer; node: MailNode }> {
  const node = await startMailNode({ port: 'embedded' });
  const user = testUser(USER);
  const users: LoginProvider = {
    async login(name, password) {
      if (name !== USER || password !== PASSWORD) throw new AuthenticationError();
      return { userId: user.userId, username: USER, keys: user.keys.clone(), addresses: [], storage: { bucket: user.bucket } };
    },
    async lookupAddress() {
      return undefined;
    },
  };
  const server = await startImapServer({ users, backend: new StoreBackend({ storage: (s) => node.storage(s.bucket) }), listen: { host: '127.0.0.1', port: 0 } });
  return { server, node };
}

for (const backend of ['memory', 'store'] as const) {
  describe.skipIf(!hasMbsync)(`mbsync (${backend} backend)`, () => {
    const tmp = tempDir('aero-mbsync-');
    const maildir = join(tmp.path, 'mail');
    const config = join(tmp.path, 'mbsyncrc');
    let port: number;
    let stop: () => Promise<void>;

    const folderDir = (folder: string): string => join(maildir, ...folder.split('/'));

    /** Maildir files of a folder: name → flags (the letters after ":2,"). */
    function files(folder: string): Map<string, string> {
      const out = new Map<string, string>();
      for (const sub of ['cur', 'new']) {
        for (const f of readdirSync(join(folderDir(folder), sub))) out.set(join(sub, f), f.includes(':2,') ? f.slice(f.indexOf(':2,') + 3) : '');
      }
      return out;
    }

    async function imap<T>(use: (c: RawClient) => Promise<T>): Promise<T> {
      const c = await RawClient.connect(port);
      try {
        await c.cmd(`l LOGIN ${USER} "${PASSWORD}"`);
        return await use(c);
      } finally {
        c.close();
      }
    }

    /** Per folder on the server: messages, UIDNEXT, HIGHESTMODSEQ, and how many are seen / flagged / answered. */
    async function serverState(): Promise<Record<string, number[]>> {
      return imap(async (c) => {
        const out: Record<string, number[]> = {};
        for (const f of FOLDERS) {
          const st = /MESSAGES (\d+) UIDNEXT (\d+) HIGHESTMODSEQ (\d+)/.exec(await c.cmd(`s STATUS ${f} (MESSAGES UIDNEXT HIGHESTMODSEQ)`))!;
          await c.cmd(`e EXAMINE ${f}`);
          const counts: number[] = [];
          for (const key of ['SEEN', 'FLAGGED', 'ANSWERED']) counts.push(Number(/COUNT (\d+)/.exec(await c.cmd(`q SEARCH RETURN (COUNT) ${key}`))![1]));
          out[f] = [Number(st[1]), Number(st[2]), Number(st[3]), ...counts];
        }
        return out;
      });
    }

    /** Everything a sync could change, both sides. */
    async function state(): Promise<string> {
      return JSON.stringify([await serverState(), FOLDERS.map((f) => [...files(f)].sort())]);
    }

    async function mbsync(): Promise<RunResult> {
      const r = await run('mbsync', ['-c', config, '-a'], { timeoutMs: 120_000 });
      if (r.code !== 0) throw new Error(describeRun('mbsync', ['-a'], r));
      return r;
    }

    beforeAll(async () => {
      if (!hasMbsync) return;
      if (backend === 'memory') {
        const s = await startTestImap();
        port = s.port;
        stop = () => s.close();
      } else {
        const s = await storeServer();
        port = s.server.address!.port;
        stop = async () => {
          await s.server.close();
          await s.node.close();
        };
      }
      for (const folder of FOLDERS) {
        for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(folderDir(folder), sub), { recursive: true });
        for (let i = 1; i <= PER_FOLDER; i++) {
          // A third seen, a tenth flagged, a seventh answered.
          const flags = `${i % 10 === 0 ? 'F' : ''}${i % 7 === 0 ? 'R' : ''}${i % 3 === 0 ? 'S' : ''}`;
          writeFileSync(join(folderDir(folder), 'cur', `${1700000000 + i}.${i}_${folder.replace('/', '_')}.host:2,${flags}`), raw(folder, i));
        }
      }
      writeFileSync(
        config,
        [
          'IMAPAccount aero',
          'Host 127.0.0.1',
          `Port ${port}`,
          `User ${USER}`,
          `Pass "${PASSWORD}"`,
          'SSLType None',
          'AuthMechs LOGIN',
          '',
          'IMAPStore remote',
          'Account aero',
          '',
          'MaildirStore local',
          `Path ${maildir}/`,
          `Inbox ${maildir}/INBOX`,
          'SubFolders Verbatim',
          '',
          'Channel sync',
          'Far :remote:',
          'Near :local:',
          'Patterns *',
          'Create Both',
          'Expunge Both',
          'SyncState *',
          '',
        ].join('\n'),
      );
    });

    afterAll(async () => {
      await stop?.();
      tmp.remove();
    });

    it('pushes 500 messages in 5 folders with their flags; a second run changes nothing', async () => {
      await mbsync();
      const server = await serverState();
      for (const folder of FOLDERS) expect([server[folder]![0], ...server[folder]!.slice(3)], folder).toEqual([PER_FOLDER, 33, 10, 14]);
      const before = await state();
      const second = await mbsync();
      expect(await state(), second.stdout + second.stderr).toBe(before);
    });

    it('propagates new messages, flags and deletions both ways, then settles', async () => {
      // Server side: a new message, a flag, a deletion, in Archive.
      await imap(async (c) => {
        const m = raw('Archive', 1000);
        await c.cmd(`a0 APPEND Archive {${m.length}+}\r\n${m}`);
        await c.cmd('s SELECT Archive');
        await c.cmd('a1 UID STORE 1 +FLAGS.SILENT (\\Flagged)');
        await c.cmd('a2 UID STORE 2 +FLAGS.SILENT (\\Deleted)');
        await c.cmd('a3 EXPUNGE');
      });
      // Local side: a new file, a flag change (rename), a deletion, in Sent.
      writeFileSync(join(folderDir('Sent'), 'new', '1800000000.new_sent.host'), raw('Sent', 2000));
      const sent = [...files('Sent').keys()].filter((f) => f.startsWith('cur/')).sort();
      const toFlag = sent.find((f) => f.endsWith(':2,'))!;
      renameSync(join(folderDir('Sent'), toFlag), join(folderDir('Sent'), `${toFlag}S`));
      const toDelete = sent.find((f) => f !== toFlag)!;
      unlinkSync(join(folderDir('Sent'), toDelete));
      const seenBefore = (await serverState())['Sent']![3]!;
      const deletedWasSeen = /S/.test(toDelete.slice(toDelete.indexOf(':2,')));

      await mbsync();
      // The server got the local changes: one message more, one less, one more \Seen.
      const sent2 = (await serverState())['Sent']!;
      expect(sent2[0]).toBe(PER_FOLDER);
      expect(sent2[3]).toBe(seenBefore + 1 - (deletedWasSeen ? 1 : 0));
      expect(await imap(async (c) => (await c.cmd('e EXAMINE Sent'), await c.cmd('q SEARCH SUBJECT "Sent message 2000"')))).toMatch(/^\* SEARCH \d+\r\n/);
      // The Maildir got the server's: one file more, one less, one more flagged.
      const archive = files('Archive');
      expect(archive.size).toBe(PER_FOLDER);
      const texts = [...archive.keys()].map((f) => readFileSync(join(folderDir('Archive'), f), 'latin1'));
      expect(texts.filter((t) => t.includes('Subject: Archive message 1000'))).toHaveLength(1);
      expect(texts.filter((t) => t.includes('Subject: Archive message 2\r\n'))).toHaveLength(0);
      expect([...archive.values()].filter((f) => f.includes('F'))).toHaveLength(11);
      const before = await state();
      const again = await mbsync();
      expect(await state(), again.stdout + again.stderr).toBe(before);
    });
  });
}
