/**
 * Delivery through the incoming queue (embedded and HTTP ports): sealed to the user's
 * public key while they are away, moved into INBOX at login and, for live sessions,
 * within a second; bad entries quarantined without holding up the others; two
 * sessions moving at once add each message once.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealToPublicKey } from '../../../mail/crypto/sealed-box.js';
import { generateX25519 } from '../../../mail/crypto/x25519.js';
import { deliveryAd } from '../../../mail/mailbox/layout.js';
import { deliver, MailStore, type UserStorage } from '../../../mail/store/index.js';
import { message, testUser, type TestUser } from './fixtures.js';
import { startMailNode, type MailNode, type PortKind } from './harness.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function captureLog(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

for (const port of ['embedded', 'http'] as PortKind[]) {
  describe(`incoming mail (${port} port)`, () => {
    let node: MailNode;
    let user: TestUser;
    let storage: UserStorage;
    beforeAll(async () => {
      node = await startMailNode({ port });
    });
    afterAll(async () => node?.close());

    const fresh = async (): Promise<void> => {
      user = testUser();
      storage = await node.storage(user.bucket);
    };

    it('keeps mail for a user who is away and moves it into INBOX at login, dated at delivery', async () => {
      await fresh();
      let clock = Date.UTC(2024, 2, 3, 4, 5, 6);
      const d1 = await deliver(storage, user.recipient, message({ subject: 'while away 1' }), () => clock);
      clock += 60_000;
      await deliver(storage, user.recipient, (async function* () {
        yield message({ subject: 'while away 2' });
      })(), () => clock);
      const store = await MailStore.open(user, storage, { watchIncoming: false });
      const inbox = await store.mailbox('INBOX');
      const msgs = inbox.view().index.messages.toArray();
      expect(msgs.map((m) => m.date)).toEqual([d1.deliveredAt, d1.deliveredAt + 60_000]);
      const metas = await inbox.metas(msgs.map((m) => m.id));
      expect(msgs.map((m) => metas.get(m.id)!.summary.envelope.subject)).toEqual(['while away 1', 'while away 2']);
      expect(await storage.blobs.get(`incoming/${d1.id}`)).toBeNull();
      const [queue] = await storage.k2v.readBatch([{ pk: 'incoming', end: 'watch' }]);
      expect(queue!.items).toEqual([]);
      await store.close();
    });

    it('moves new mail into INBOX of a live session within a second', async () => {
      await fresh();
      const store = await MailStore.open(user, storage, { pollMs: 2_000 });
      const inbox = await store.mailbox('INBOX');
      const seen: number[] = [];
      const unsubscribe = inbox.subscribe((v) => seen.push(v.index.messages.size));
      await sleep(100);
      const t0 = Date.now();
      await deliver(storage, user.recipient, message({ subject: 'live' }));
      while (inbox.view().index.messages.size === 0 && Date.now() - t0 < 1000) await sleep(5);
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(inbox.view().index.messages.size).toBe(1);
      unsubscribe();
      await store.close();
    });

    it('quarantines what cannot be opened, with a log line, and moves the rest', async () => {
      await fresh();
      await deliver(storage, user.recipient, message({ subject: 'good 1' }));
      // Sealed to someone else's key, and plain garbage.
      const stranger = generateX25519();
      await storage.k2v.insert('incoming', '0'.repeat(32), sealToPublicKey(stranger.publicKey, Buffer.from('x'), deliveryAd(user.userId, '0'.repeat(32))));
      await storage.k2v.insert('incoming', '1'.repeat(32), Buffer.from('not even sealed'));
      await deliver(storage, user.recipient, message({ subject: 'good 2' }));
      const { log, lines } = captureLog();
      const store = await MailStore.open(user, storage, { watchIncoming: false, log });
      const inbox = await store.mailbox('INBOX');
      expect(inbox.view().index.messages.size).toBe(2);
      const quarantined = lines.filter((l) => String(l.msg).includes('quarantined'));
      expect(quarantined.map((l) => l.delivery).sort()).toEqual(['0'.repeat(32), '1'.repeat(32)]);
      const [queue, aside] = await storage.k2v.readBatch([{ pk: 'incoming', end: 'watch' }, { pk: 'quarantine' }]);
      expect(queue!.items).toEqual([]);
      expect(aside!.items.map((i) => i.sk)).toEqual(['0'.repeat(32), '1'.repeat(32)]);
      await store.close();
    });

    it('adds each message once when two sessions move the queue at the same time', async () => {
      await fresh();
      await Promise.all(Array.from({ length: 20 }, (_, i) => deliver(storage, user.recipient, message({ subject: `race ${i}` }))));
      const [a, b] = await Promise.all([
        MailStore.open(user, await node.storage(user.bucket), { watchIncoming: false }),
        MailStore.open(user, await node.storage(user.bucket), { watchIncoming: false }),
      ]);
      await Promise.all(Array.from({ length: 10 }, (_, i) => deliver(storage, user.recipient, message({ subject: `race more ${i}` }))));
      await Promise.all([a.drainIncoming(), b.drainIncoming(), a.drainIncoming(), b.drainIncoming()]);
      const [ia, ib] = [await a.mailbox('INBOX'), await b.mailbox('INBOX')];
      await Promise.all([ia.refresh(true), ib.refresh(true)]);
      expect(ia.view().index.messages.size).toBe(30);
      expect(ib.view().index).toEqual(ia.view().index);
      const metas = await ia.metas(ia.view().index.messages.toArray().map((m) => m.id));
      expect(new Set([...metas.values()].map((m) => m.summary.envelope.subject)).size).toBe(30);
      await Promise.all([a.close(), b.close()]);
    });

    it('moves a delivery whose summary was too large to travel in its record', async () => {
      await fresh();
      const huge = message({ subject: `big ${'x'.repeat(300_000)}` });
      await deliver(storage, user.recipient, huge);
      const store = await MailStore.open(user, storage, { watchIncoming: false });
      const inbox = await store.mailbox('INBOX');
      const [m] = inbox.view().index.messages.toArray();
      expect((await inbox.body(m!.id)).equals(huge)).toBe(true);
      expect((await inbox.metas([m!.id])).get(m!.id)!.summary.envelope.subject).toMatch(/^big x+$/);
      await store.close();
    });
  });
}
