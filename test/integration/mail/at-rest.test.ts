/**
 * What storage holds (embedded and HTTP ports): nothing readable (no marker string,
 * mailbox name, subject or address in any byte under the data directories), nothing
 * movable (a value swapped with another does not open), and a password change that
 * re-wraps the keys keeps every message readable.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointPrefix } from '../../../mail/bayou/layout.js';
import { DecryptionError } from '../../../mail/crypto/errors.js';
import { metaPk } from '../../../mail/mailbox/layout.js';
import { deliver, MailStore } from '../../../mail/store/index.js';
import { changePassword, createAccount } from '../../../mail/user/accounts.js';
import { unlockWithPassword, unlockWithRecoveryKey } from '../../../mail/user/unlock.js';
import type { UsersDb } from '../../../mail/user/users-file.js';
import { message, testUser } from './fixtures.js';
import { startMailNode, type MailNode, type PortKind } from './harness.js';

const MARKER = 'ZQXJ-marker-7f3a9c';
const SECRETS = [MARKER, 'Confidential Zebrafinch Plans', 'Hushhush Projects', 'carol.secret@hidden-domain.example', 'dave.private@other-hidden.example'];

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

for (const port of ['embedded', 'http'] as PortKind[]) {
  describe(`mail at rest (${port} port)`, () => {
    let node: MailNode;
    beforeAll(async () => {
      node = await startMailNode({ port, fsync: true });
    });
    afterAll(async () => node?.close());

    it('leaves no marker, mailbox name, subject or address in any stored byte', async () => {
      const user = testUser('rest');
      const storage = await node.storage(user.bucket);
      const raw = message({ subject: SECRETS[1], from: `Carol <${SECRETS[3]}>`, to: `Dave <${SECRETS[4]}>`, body: `the code is ${MARKER}\r\n` });
      await deliver(storage, user.recipient, raw);
      const store = await MailStore.open(user, storage, { watchIncoming: false, bayou: { checkpointEvery: 2, settleMs: 0 } });
      await store.createMailbox(SECRETS[2]!);
      const box = await store.mailbox(SECRETS[2]!);
      for (let i = 0; i < 4; i++) await box.append(message({ subject: `${SECRETS[1]} ${i}`, body: `${MARKER} ${i}\r\n` }), { flags: ['$' + MARKER.replace(/-/g, '')] });
      const inbox = await store.mailbox('INBOX');
      expect((await inbox.body(inbox.view().index.messages.toArray()[0]!.id)).equals(raw)).toBe(true);
      await store.close();
      expect((await storage.blobs.list(checkpointPrefix(box.id))).items.length).toBeGreaterThan(0);

      let scanned = 0;
      for (const path of files(node.dir)) {
        const bytes = readFileSync(path);
        scanned += bytes.length;
        for (const secret of [...SECRETS, MARKER.replace(/-/g, '')]) {
          for (const encoding of ['utf8', 'utf16le'] as const) {
            expect(bytes.includes(Buffer.from(secret, encoding)), `${secret} found in ${path.slice(node.dir.length)}`).toBe(false);
          }
        }
      }
      expect(scanned).toBeGreaterThan(10_000);
    });

    it('refuses to open values swapped between places', async () => {
      const user = testUser('swap');
      const storage = await node.storage(user.bucket);
      const store = await MailStore.open(user, storage, { watchIncoming: false, bayou: { checkpointEvery: 1, settleMs: 0 } });
      const box = await store.mailbox('INBOX');
      const [a, b] = await box.appendMany([{ raw: message({ subject: 'A' }) }, { raw: message({ subject: 'B' }) }]);
      await box.checkpoint();
      await box.append(message({ subject: 'C' }));
      await box.checkpoint();
      await store.close();
      const { k2v, blobs } = storage;

      // Two meta rows swapped.
      const [rowA, rowB] = [(await k2v.read(metaPk(box.id), a!.id))!, (await k2v.read(metaPk(box.id), b!.id))!];
      await k2v.insert(metaPk(box.id), a!.id, rowB.values[0]!, rowA.token);
      // Two bodies swapped.
      const bodyB = (await blobs.get(`body/${b!.id}`))!;
      await blobs.put(`body/${b!.id}`, (await blobs.get(`body/${a!.id}`))!.body);
      await blobs.put(`body/${a!.id}`, bodyB.body);

      const again = await MailStore.open(user, storage, { watchIncoming: false });
      const inbox = await again.mailbox('INBOX');
      await expect(inbox.metas([a!.id])).rejects.toBeInstanceOf(DecryptionError);
      await expect(inbox.body(b!.id)).rejects.toBeInstanceOf(DecryptionError);
      await again.close();

      // Two checkpoints swapped: the mailbox no longer opens.
      const names = (await blobs.list(checkpointPrefix(box.id))).items.map((i) => i.key);
      expect(names.length).toBeGreaterThanOrEqual(2);
      const [first, last] = [(await blobs.get(names[0]!))!.body, (await blobs.get(names.at(-1)!))!.body];
      await blobs.put(names[0]!, last);
      await blobs.put(names.at(-1)!, first);
      const third = await MailStore.open(user, storage, { watchIncoming: false });
      await expect(third.mailbox('INBOX')).rejects.toBeInstanceOf(DecryptionError);
      await third.close();
    });

    it('keeps mail readable across a password change (keys re-wrapped, mail untouched)', async () => {
      const db: UsersDb = new Map();
      const cost = { memoryKiB: 19 * 1024, timeCost: 2, parallelism: 1 };
      const { user, recoveryKey } = await createAccount(db, 'erin', { addresses: ['erin@example.org'], password: 'first password', cost });
      const storage = await node.storage(user.storage.bucket);
      const keys = (await unlockWithPassword(user, 'first password'))!;
      const recipient = { userId: user.id, username: 'erin', publicKey: user.publicKey, storage: user.storage, address: 'erin@example.org', detail: undefined };
      await deliver(storage, recipient, message({ subject: 'delivered before' }));
      const store = await MailStore.open({ userId: user.id, keys }, storage, { watchIncoming: false });
      await store.append('Drafts', message({ subject: 'draft before' }));
      await store.close();
      keys.wipe();
      const stored = (await storage.blobs.list('body/')).items.map((i) => i.etag).sort();

      await changePassword(db, 'erin', 'first password', 'second password', cost);
      expect(await unlockWithPassword(db.get('erin')!, 'first password')).toBeUndefined();
      for (const unlock of [() => unlockWithPassword(db.get('erin')!, 'second password'), () => unlockWithRecoveryKey(db.get('erin')!, recoveryKey)]) {
        const k = (await unlock())!;
        const s = await MailStore.open({ userId: user.id, keys: k }, storage, { watchIncoming: false });
        const subjects: string[] = [];
        for (const name of ['INBOX', 'Drafts']) {
          const box = await s.mailbox(name);
          const ids = box.view().index.messages.toArray().map((m) => m.id);
          for (const id of ids) subjects.push((await box.metas([id])).get(id)!.summary.envelope.subject!);
          expect((await box.body(ids[0]!)).length).toBeGreaterThan(0);
        }
        expect(subjects).toEqual(['delivered before', 'draft before']);
        await s.close();
        k.wipe();
      }
      // Nothing was re-encrypted: the same sealed bodies.
      expect((await storage.blobs.list('body/')).items.map((i) => i.etag).sort()).toEqual(stored);
    });
  });
}
