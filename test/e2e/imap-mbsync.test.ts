/**
 * mbsync (isync) against our IMAP server: a Maildir of 500 messages in 5 folders
 * pushed up, then changes on both sides (new messages, flags, deletions) synced both
 * ways; every second run in a row must find nothing to do. Checked on the server's
 * store and on the Maildir files.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, requireTool, run, tempDir, type RunResult } from '../helpers/tools.js';
import { RawClient } from '../integration/mail/imap/harness/raw-client.js';
import { startTestImap, USER, PASSWORD, type TestImap } from '../integration/mail/imap/harness/server.js';

const hasMbsync = requireTool('mbsync', 'isync');
const FOLDERS = ['INBOX', 'Archive', 'Lists', 'Lists/ietf', 'Sent'];
const PER_FOLDER = 100;

const tmp = tempDir('aero-mbsync-');
const maildir = join(tmp.path, 'mail');
const config = join(tmp.path, 'mbsyncrc');
let imap: TestImap;

function folderDir(folder: string): string {
  return folder === 'INBOX' ? join(maildir, 'INBOX') : join(maildir, ...folder.split('/'));
}

function raw(folder: string, i: number): string {
  return `From: sender${i}@example.org\r\nTo: ${USER}@example.org\r\nSubject: ${folder} message ${i}\r\nMessage-ID: <${folder.replace('/', '.')}.${i}@example.org>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nThis is message ${i} of ${folder}.\r\n`;
}

/** Maildir files of a folder: name → flags (the letters after ":2,"). */
function files(folder: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const sub of ['cur', 'new']) {
    for (const f of readdirSync(join(folderDir(folder), sub))) out.set(join(sub, f), f.includes(':2,') ? f.slice(f.indexOf(':2,') + 3) : '');
  }
  return out;
}

async function mbsync(): Promise<RunResult> {
  const r = await run('mbsync', ['-c', config, '-a'], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(describeRun('mbsync', ['-a'], r));
  return r;
}

/** Everything a sync could change: per folder the server's UIDNEXT and HIGHESTMODSEQ, and the Maildir's files with their flags. */
function state(): string {
  return JSON.stringify(
    FOLDERS.map((f) => {
      const snap = imap.backend.snapshot(USER, f);
      return [f, snap.uidNext, snap.highestModseq, [...files(f)].sort()];
    }),
  );
}

beforeAll(async () => {
  if (!hasMbsync) return;
  imap = await startTestImap();
  for (const folder of FOLDERS) {
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(folderDir(folder), sub), { recursive: true });
    for (let i = 1; i <= PER_FOLDER; i++) {
      // A third seen, a tenth flagged, some answered.
      const flags = `${i % 10 === 0 ? 'F' : ''}${i % 7 === 0 ? 'R' : ''}${i % 3 === 0 ? 'S' : ''}`;
      writeFileSync(join(folderDir(folder), 'cur', `${1700000000 + i}.${i}_${folder.replace('/', '_')}.host:2,${flags}`), raw(folder, i));
    }
  }
  writeFileSync(
    config,
    [
      'IMAPAccount aero',
      'Host 127.0.0.1',
      `Port ${imap.port}`,
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
  await imap?.close();
  tmp.remove();
});

describe.skipIf(!hasMbsync)('mbsync', () => {
  it('pushes 500 messages in 5 folders with their flags; a second run changes nothing', async () => {
    await mbsync();
    expect(imap.backend.mailboxNames(USER)).toEqual(['Archive', 'INBOX', 'Lists', 'Lists/ietf', 'Sent']);
    for (const folder of FOLDERS) {
      const snap = imap.backend.snapshot(USER, folder);
      expect(snap.messages, folder).toHaveLength(PER_FOLDER);
      expect(snap.messages.filter((m) => m.flags.includes('\\Seen'))).toHaveLength(33);
      expect(snap.messages.filter((m) => m.flags.includes('\\Flagged'))).toHaveLength(10);
      expect(snap.messages.filter((m) => m.flags.includes('\\Answered'))).toHaveLength(14);
    }
    const before = state();
    const second = await mbsync();
    expect(state(), second.stdout + second.stderr).toBe(before);
  });

  it('propagates new messages, flags and deletions both ways, then settles', async () => {
    // Server side: a delivery, a flag, a deletion.
    const c = await RawClient.connect(imap.port);
    await c.cmd(`l LOGIN ${USER} "${PASSWORD}"`);
    await c.cmd('s SELECT Archive');
    await c.cmd('a1 UID STORE 1 +FLAGS.SILENT (\\Flagged)');
    await c.cmd('a2 UID STORE 2 +FLAGS.SILENT (\\Deleted)');
    await c.cmd('a3 EXPUNGE');
    c.close();
    imap.backend.deliver(USER, 'Archive', Buffer.from(raw('Archive', 1000)));
    // Local side: a new file, a flag change (rename), a deletion, in Sent.
    writeFileSync(join(folderDir('Sent'), 'new', '1800000000.new_sent.host'), raw('Sent', 2000));
    const sent = [...files('Sent').keys()].filter((f) => f.startsWith('cur/')).sort();
    const toFlag = sent.find((f) => f.endsWith(':2,'))!;
    renameSync(join(folderDir('Sent'), toFlag), join(folderDir('Sent'), `${toFlag}S`));
    const toDelete = sent.find((f) => f !== toFlag)!;
    unlinkSync(join(folderDir('Sent'), toDelete));

    const seenBefore = imap.backend.snapshot(USER, 'Sent').messages.filter((m) => m.flags.includes('\\Seen')).length;
    const deletedWasSeen = /S/.test(toDelete.slice(toDelete.indexOf(':2,')));
    await mbsync();
    // The server got the local changes: one message more, one less, one more \Seen.
    const sentBox = imap.backend.snapshot(USER, 'Sent');
    expect(sentBox.messages).toHaveLength(PER_FOLDER);
    expect(sentBox.messages.filter((m) => m.flags.includes('\\Seen'))).toHaveLength(seenBefore + 1 - (deletedWasSeen ? 1 : 0));
    // The Maildir got the server's: one file more, one less, one more flagged.
    const check = await RawClient.connect(imap.port);
    await check.cmd(`l LOGIN ${USER} "${PASSWORD}"`);
    await check.cmd('s EXAMINE Sent');
    expect(await check.cmd('q SEARCH SUBJECT "Sent message 2000"')).toMatch(/^\* SEARCH \d+\r\n/);
    check.close();
    const archive = files('Archive');
    expect(archive.size).toBe(PER_FOLDER);
    const texts = [...archive.keys()].map((f) => readFileSync(join(folderDir('Archive'), f), 'latin1'));
    expect(texts.filter((t) => t.includes('Subject: Archive message 1000'))).toHaveLength(1);
    expect(texts.filter((t) => t.includes('Subject: Archive message 2\r\n'))).toHaveLength(0);
    expect([...archive.values()].filter((f) => f.includes('F'))).toHaveLength(11);
    const before = state();
    const again = await mbsync();
    expect(state(), again.stdout + again.stderr).toBe(before);
  });
});
