/**
 * The library API over real storage (embedded and HTTP ports): mailbox management,
 * APPEND / FETCH / STORE / EXPUNGE / COPY / MOVE / SEARCH / STATUS, and what a front-end
 * relies on (UIDs, MODSEQs, UIDVALIDITY, VANISHED).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sectionRange } from '../../../mail/mailbox/summary/sections.js';
import { MailboxError, MailStore, vanishedSince, type UserStorage } from '../../../mail/store/index.js';
import { message, testUser } from './fixtures.js';
import { startMailNode, type MailNode, type PortKind } from './harness.js';

for (const port of ['embedded', 'http'] as PortKind[]) {
  describe(`mail store API (${port} port)`, () => {
    let node: MailNode;
    let storage: UserStorage;
    let store: MailStore;
    const user = testUser('api');
    beforeAll(async () => {
      node = await startMailNode({ port });
      storage = await node.storage(user.bucket);
      store = await MailStore.open(user, storage, { pollMs: 1000 });
    });
    afterAll(async () => {
      await store?.close();
      await node?.close();
    });

    it('starts with the default mailboxes and their roles', async () => {
      const list = await store.listMailboxes();
      expect(list.map((m) => [m.name, m.specialUse])).toEqual([
        ['Archive', '\\Archive'],
        ['Drafts', '\\Drafts'],
        ['INBOX', null],
        ['Junk', '\\Junk'],
        ['Sent', '\\Sent'],
        ['Trash', '\\Trash'],
      ]);
      expect(await store.subscriptions()).toEqual(['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
    });

    it('appends, fetches summaries, headers, bodies and part ranges', async () => {
      const box = await store.mailbox('INBOX');
      const raw = message({ subject: 'First one', body: 'line one\r\nline two\r\n' });
      const date = Date.UTC(2023, 4, 6, 7, 8, 9);
      const r = await box.append(raw, { flags: ['\\Seen', '$Label1'], internalDate: date });
      expect(r.uid).toBe(1);
      const view = box.view();
      expect(r.uidvalidity).toBe(view.uidvalidity);
      const entry = view.index.messages.get(1)!;
      expect(entry).toMatchObject({ id: r.id, flags: ['$Label1', '\\Seen'], date, size: raw.length, modseq: r.modseq });
      const meta = (await box.metas([r.id])).get(r.id)!;
      expect(meta.summary.envelope.subject).toBe('First one');
      expect(meta.header!.toString()).toBe(raw.subarray(0, meta.summary.body.bodyStart).toString());
      expect((await box.body(r.id)).equals(raw)).toBe(true);
      const text = sectionRange(meta.summary.body, [], 'TEXT')!;
      expect((await box.range(r.id, text.start, text.end)).toString()).toBe('line one\r\nline two\r\n');
      expect((await box.range(r.id, 0, 5)).toString()).toBe('From:');
      expect((await box.section(r.id, [1], null))!.toString()).toBe('line one\r\nline two\r\n');
      expect(await box.section(r.id, [2], null)).toBeNull();
    });

    it('stores flags on a set in one MODSEQ, honouring UNCHANGEDSINCE', async () => {
      const box = await store.createMailbox('Work').then(() => store.mailbox('Work'));
      const added = await box.appendMany([{ raw: message() }, { raw: message() }, { raw: message() }]);
      expect(added.map((a) => a.uid)).toEqual([1, 2, 3]);
      expect(new Set(added.map((a) => a.modseq)).size).toBe(1);
      const ids = added.map((a) => a.id);
      const s1 = await box.store(ids, 'add', ['\\Flagged']);
      expect(s1.changed.map((m) => m.uid)).toEqual([1, 2, 3]);
      const modseq = s1.view.index.highestModseq;
      expect(s1.changed.every((m) => m.modseq === modseq)).toBe(true);
      const s2 = await box.store([ids[0]!], 'add', ['\\Seen']);
      const s3 = await box.store(ids, 'remove', ['\\Flagged'], { unchangedSince: modseq });
      expect(s3.modified).toEqual([ids[0]]);
      expect(s3.changed.map((m) => m.uid)).toEqual([2, 3]);
      expect(s2.view.index.messages.get(1)!.flags).toEqual(['\\Flagged', '\\Seen']);
      const noop = await box.store(ids.slice(1), 'remove', ['\\Flagged']);
      expect(noop.changed).toEqual([]);
      expect(noop.view.index.highestModseq).toBe(s3.view.index.highestModseq);
    });

    it('expunges only \\Deleted messages, removes their storage, and remembers them for VANISHED', async () => {
      const box = await store.mailbox('Work');
      const before = box.view().index;
      const [a, b] = before.messages.toArray();
      await box.store([a!.id, b!.id], 'add', ['\\Deleted']);
      const marker = box.view().index.highestModseq;
      const r = await box.expunge();
      expect(r.expunged.map((m) => m.uid)).toEqual([1, 2]);
      expect(r.view.index.messages.toArray().map((m) => m.uid)).toEqual([3]);
      expect(vanishedSince(r.view.index, marker)).toEqual([[1, 2]]);
      expect(vanishedSince(r.view.index, r.view.index.highestModseq)).toEqual([]);
      expect((await box.metas([a!.id])).size).toBe(0);
      await expect(box.body(a!.id)).rejects.toMatchObject({ code: 'MessageGone' });
      expect(r.view.index.uidnext).toBe(4);
    });

    it('copies and moves without re-encrypting, with COPYUID pairs', async () => {
      const inbox = await store.mailbox('INBOX');
      const archive = await store.mailbox('Archive');
      const src = await inbox.append(message({ subject: 'to be copied' }), { flags: ['\\Answered'] });
      const copy = await inbox.copyTo([src.id], archive);
      expect(copy.uids).toEqual([[src.uid, 1]]);
      expect(copy.uidvalidity).toBe(archive.view().uidvalidity);
      const copied = archive.view().index.messages.get(1)!;
      expect(copied.flags).toEqual(['\\Answered']);
      expect((await archive.body(copied.id)).equals(await inbox.body(src.id))).toBe(true);

      const moved = await inbox.moveTo([src.id], archive);
      expect(moved.uids).toEqual([[src.uid, 2]]);
      expect(moved.expunged.map((m) => m.uid)).toEqual([src.uid]);
      expect(inbox.view().index.uidById.has(src.id)).toBe(false);
      expect((await archive.metas([archive.view().index.messages.get(2)!.id])).get(archive.view().index.messages.get(2)!.id)!.summary.envelope.subject).toBe('to be copied');
    });

    it('searches the index, the summaries and, when asked, the bodies', async () => {
      await store.createMailbox('Search');
      const box = await store.mailbox('Search');
      await box.appendMany([
        { raw: message({ subject: 'Quarterly report', from: 'Carol <carol@corp.example>', body: 'numbers inside\r\n' }), flags: ['\\Seen'], internalDate: Date.UTC(2024, 0, 10) },
        { raw: message({ subject: '=?utf-8?q?Caf=C3=A9_menu?=', body: 'coffee\r\n' }), internalDate: Date.UTC(2024, 1, 1) },
        { raw: message({ subject: 'Other', body: 'the secret word is PINEAPPLE\r\n', date: 'Mon, 01 Jan 2018 00:00:00 +0000' }) },
      ]);
      const uids = async (key: Parameters<typeof box.search>[0]) => (await box.search(key)).map((m) => m.uid);
      expect(await uids({ type: 'flag', flag: '\\seen', present: false })).toEqual([2, 3]);
      expect(await uids({ type: 'header', field: 'subject', text: 'café' })).toEqual([2]);
      expect(await uids({ type: 'header', field: 'from', text: 'CAROL@corp' })).toEqual([1]);
      expect(await uids({ type: 'text', body: true, text: 'pineapple' })).toEqual([3]);
      expect(await uids({ type: 'text', body: false, text: 'quarterly' })).toEqual([1]);
      expect(await uids({ type: 'headerField', name: 'message-id', text: '' })).toEqual([1, 2, 3]);
      expect(await uids({ type: 'headerField', name: 'Content-Type', text: 'UTF-8' })).toEqual([1, 2, 3]);
      expect(await uids({ type: 'date', sent: false, cmp: 'since', day: '2024-01-11' })).toEqual([2, 3]);
      expect(await uids({ type: 'date', sent: true, cmp: 'before', day: '2020-01-01' })).toEqual([3]);
      expect(await uids({ type: 'or', keys: [{ type: 'uid', ranges: [[1, 1]] }, { type: 'not', key: { type: 'header', field: 'subject', text: 'other' } }] })).toEqual([1, 2]);
    });

    it('reads no body for headers, ENVELOPE or BODYSTRUCTURE, and batches storage calls', async () => {
      const calls = { get: 0, readBatch: 0, insertBatch: 0, read: 0 };
      const counted: UserStorage = {
        blobs: Object.assign(Object.create(storage.blobs) as UserStorage['blobs'], { get: (...a: Parameters<UserStorage['blobs']['get']>) => (calls.get++, storage.blobs.get(...a)) }),
        k2v: Object.assign(Object.create(storage.k2v) as UserStorage['k2v'], {
          readBatch: (...a: Parameters<UserStorage['k2v']['readBatch']>) => (calls.readBatch++, storage.k2v.readBatch(...a)),
          insertBatch: (...a: Parameters<UserStorage['k2v']['insertBatch']>) => (calls.insertBatch++, storage.k2v.insertBatch(...a)),
          read: (...a: Parameters<UserStorage['k2v']['read']>) => (calls.read++, storage.k2v.read(...a)),
        }),
      };
      const other = await MailStore.open(user, counted, { watchIncoming: false });
      await other.createMailbox('Batch');
      const box = await other.mailbox('Batch');
      Object.assign(calls, { get: 0, readBatch: 0, insertBatch: 0, read: 0 });
      const added = await box.appendMany(Array.from({ length: 50 }, (_, i) => ({ raw: message({ subject: `batch ${i}` }) })));
      expect(calls.insertBatch).toBe(1);
      await box.store(added.map((a) => a.id), 'add', ['\Seen']);
      expect(calls.insertBatch).toBe(2);
      Object.assign(calls, { get: 0, readBatch: 0, insertBatch: 0, read: 0 });
      const metas = await box.metas(added.map((a) => a.id));
      expect(metas.size).toBe(50);
      for (const a of added) {
        const meta = metas.get(a.id)!;
        expect(meta.summary.envelope.subject).toMatch(/^batch/);
        expect(meta.summary.body.type).toBe('text');
        const header = sectionRange(meta.summary.body, [], 'HEADER')!;
        expect((await box.range(a.id, header.start, header.end)).toString()).toContain('Subject: batch');
      }
      expect(calls.readBatch).toBe(1);
      expect(calls.get).toBe(0);
      await other.close();
    });

    it('answers STATUS from the index alone', async () => {
      const status = await store.status('Search');
      expect(status).toMatchObject({ messages: 3, unseen: 2, uidnext: 4, deleted: 0, recent: 0 });
      expect(status.size).toBeGreaterThan(0);
      expect(typeof status.highestModseq).toBe('bigint');
    });

    it('creates, renames (with children and subscriptions) and deletes mailboxes; UIDVALIDITY grows for a reused name', async () => {
      await store.createMailbox('Projects/Alpha/Docs');
      await store.setSubscribed('Projects/Alpha', true);
      const names = (await store.listMailboxes()).map((m) => m.name);
      expect(names).toEqual(expect.arrayContaining(['Projects', 'Projects/Alpha', 'Projects/Alpha/Docs']));
      await expect(store.createMailbox('projects')).resolves.toBeDefined();
      await expect(store.createMailbox('Projects')).rejects.toBeInstanceOf(MailboxError);
      await expect(store.createMailbox('inbox')).rejects.toMatchObject({ code: 'MailboxExists' });

      const alpha = await store.mailbox('Projects/Alpha');
      await alpha.append(message({ subject: 'alpha' }));
      const before = alpha.view().uidvalidity;
      await store.renameMailbox('Projects/Alpha', 'Archive/Alpha');
      const after = (await store.listMailboxes()).map((m) => m.name);
      expect(after).toEqual(expect.arrayContaining(['Archive/Alpha', 'Archive/Alpha/Docs']));
      expect(after).not.toContain('Projects/Alpha');
      expect(await store.subscriptions()).toContain('Archive/Alpha');
      expect(await store.subscriptions()).not.toContain('Projects/Alpha');
      expect((await store.mailbox('Archive/Alpha')).view().index.messages.size).toBe(1);

      await store.createMailbox('Projects/Alpha');
      expect((await store.mailbox('Projects/Alpha')).view().uidvalidity).toBeGreaterThan(before);
      await store.deleteMailbox('Projects/Alpha');
      await expect(store.mailbox('Projects/Alpha')).rejects.toMatchObject({ code: 'NoSuchMailbox' });
      await expect(store.deleteMailbox('INBOX')).rejects.toMatchObject({ code: 'InboxProtected' });
    });

    it('removes the content of a deleted mailbox from storage', async () => {
      await store.createMailbox('Doomed');
      const doomed = await store.mailbox('Doomed');
      const { id } = await doomed.append(message({ subject: 'doomed' }));
      await store.deleteMailbox('Doomed');
      const other = await MailStore.open(user, storage, { watchIncoming: false });
      await other.close();
      await store.close();
      store = await MailStore.open(user, storage, { pollMs: 1000 });
      expect(await storage.blobs.get(`body/${id}`)).toBeNull();
      const [page] = await storage.k2v.readBatch([{ pk: `meta/${doomed.id}` }, { pk: `log/${doomed.id}` }]);
      expect(page!.items).toEqual([]);
    });

    it('renaming INBOX moves its content and leaves an empty INBOX', async () => {
      const inbox = await store.mailbox('INBOX');
      const count = inbox.view().index.messages.size;
      expect(count).toBeGreaterThan(0);
      await store.renameMailbox('INBOX', 'Old INBOX');
      expect((await store.mailbox('Old INBOX')).view().index.messages.size).toBe(count);
      expect((await store.mailbox('INBOX')).view().index.messages.size).toBe(0);
    });
  });
}
