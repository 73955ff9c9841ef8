/**
 * Two devices: two independent MailStore stacks (own storage port objects, own
 * in-memory state) over one user's storage, appending and flagging in one mailbox at
 * the same time. They converge to the same state; a UID reported to a client is never
 * given to another message under the same UIDVALIDITY; UIDVALIDITY changes only when
 * a reported UID really had to change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIndex } from '../../../mail/mailbox/uid-index-codec.js';
import { MailStore, type AppendResult, type Mailbox, type MailboxView } from '../../../mail/store/index.js';
import { message, testUser } from './fixtures.js';
import { startMailNode, type MailNode, type PortKind } from './harness.js';

/** Records every (UIDVALIDITY, UID) → id a device showed; fails on a pair naming two messages. */
class Observer {
  private readonly pairs = new Map<string, string>();

  see(view: MailboxView): void {
    for (const m of view.index.messages) this.pair(view.uidvalidity, m.uid, m.id);
  }

  reported(r: AppendResult): void {
    this.pair(r.uidvalidity, r.uid, r.id);
  }

  private pair(uidvalidity: number, uid: number, id: string): void {
    const key = `${uidvalidity}/${uid}`;
    expect(this.pairs.get(key) ?? id, `UID ${uid} under UIDVALIDITY ${uidvalidity} named two messages`).toBe(id);
    this.pairs.set(key, id);
  }
}

for (const port of ['embedded', 'http'] as PortKind[]) {
  describe(`two devices on one mailbox (${port} port)`, () => {
    let node: MailNode;
    let a: MailStore;
    let b: MailStore;
    const user = testUser('devices');
    beforeAll(async () => {
      node = await startMailNode({ port });
      a = await MailStore.open(user, await node.storage(user.bucket), { watchIncoming: false, pollMs: 1000 });
      b = await MailStore.open(user, await node.storage(user.bucket), { watchIncoming: false, pollMs: 1000 });
      await a.createMailbox('Shared');
    });
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
      await node?.close();
    });

    async function converge(x: Mailbox, y: Mailbox): Promise<MailboxView> {
      const [vx, vy] = await Promise.all([x.refresh(true), y.refresh(true)]);
      expect(vy.uidvalidity).toBe(vx.uidvalidity);
      expect(encodeIndex(vy.index).equals(encodeIndex(vx.index))).toBe(true);
      return vx;
    }

    it('append and flag concurrently, converge, and never reuse a UID', async () => {
      const [ma, mb] = [await a.mailbox('Shared'), await b.mailbox('Shared')];
      const start = ma.view().uidvalidity;
      const observers = [new Observer(), new Observer()];
      const reports: AppendResult[] = [];
      const device = async (box: Mailbox, obs: Observer, tag: string): Promise<void> => {
        for (let round = 0; round < 8; round++) {
          const appended = await Promise.all(Array.from({ length: 3 }, (_, i) => box.append(message({ subject: `${tag} ${round}.${i}` }))));
          for (const r of appended) obs.reported(r);
          reports.push(...appended);
          const view = box.view();
          obs.see(view);
          const some = view.index.messages.toArray().filter((_, i) => i % 3 === round % 3).map((m) => m.id);
          const stored = await box.store(some, round % 2 ? 'add' : 'remove', ['\\Seen', `$${tag}`]);
          obs.see(stored.view);
        }
      };
      await Promise.all([device(ma, observers[0]!, 'A'), device(mb, observers[1]!, 'B')]);
      const final = await converge(ma, mb);
      for (const o of observers) o.see(final);
      expect(final.index.messages.size).toBe(48);
      expect(new Set(final.index.messages.toArray().map((m) => m.uid)).size).toBe(48);

      const changed = reports.filter((r) => final.index.uidById.get(r.id) !== r.uid);
      // UIDVALIDITY moved exactly when some reported UID had to move.
      expect(final.uidvalidity !== start).toBe(changed.length > 0);
      for (const r of changed) expect(r.uidvalidity).not.toBe(final.uidvalidity);
    });

    it('merge concurrent flag changes without a new UIDVALIDITY', async () => {
      const [ma, mb] = [await a.mailbox('Shared'), await b.mailbox('Shared')];
      const before = await converge(ma, mb);
      const ids = before.index.messages.toArray().map((m) => m.id);
      await Promise.all([
        ...ids.slice(0, 20).map((id, i) => ma.store([id], i % 2 ? 'add' : 'remove', ['\\Flagged'])),
        ...ids.slice(10, 30).map((id, i) => mb.store([id], i % 2 ? 'remove' : 'add', ['\\Flagged', '$Both'])),
        mb.store(ids, 'add', ['\\Answered']),
      ]);
      const after = await converge(ma, mb);
      expect(after.uidvalidity).toBe(before.uidvalidity);
      expect(after.index.messages.toArray().every((m) => m.flags.includes('\\Answered'))).toBe(true);
      expect(after.index.highestModseq > before.index.highestModseq).toBe(true);
      // Appends one after the other from both devices: no conflict, no new UIDVALIDITY.
      for (let i = 0; i < 6; i++) await (i % 2 ? mb : ma).append(message({ subject: `turn ${i}` }));
      expect((await converge(ma, mb)).uidvalidity).toBe(before.uidvalidity);
    });

    it('see each other’s expunges and keep them for VANISHED', async () => {
      const [ma, mb] = [await a.mailbox('Shared'), await b.mailbox('Shared')];
      const before = await converge(ma, mb);
      const victims = before.index.messages.toArray().slice(0, 5).map((m) => m.id);
      await ma.store(victims, 'add', ['\\Deleted']);
      await mb.refresh(true);
      const { expunged } = await mb.expunge();
      expect(expunged.map((m) => m.id).sort()).toEqual([...victims].sort());
      const after = await converge(ma, mb);
      expect(after.index.messages.size).toBe(before.index.messages.size - 5);
      expect(after.index.expunged.toArray().flatMap((r) => Array.from({ length: r.end - r.start + 1 }, (_, i) => r.start + i))).toEqual(
        expunged.map((m) => m.uid).sort((x, y) => x - y),
      );
    });
  });
}
