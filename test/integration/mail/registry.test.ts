import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailStores } from '../../../mail/store/index.js';
import { message, testUser } from './fixtures.js';
import { startMailNode, type MailNode } from './harness.js';

describe('mail stores shared by the sessions of a user', () => {
  let node: MailNode;
  beforeAll(async () => {
    node = await startMailNode({ port: 'embedded' });
  });
  afterAll(async () => node?.close());

  it('share one store per user until the last session releases it', async () => {
    const stores = new MailStores({ watchIncoming: false });
    const user = testUser();
    const storage = await node.storage(user.bucket);
    const [a, b] = await Promise.all([stores.acquire(user, storage), stores.acquire(user, storage)]);
    expect(a.store).toBe(b.store);
    const inbox = await a.store.mailbox('INBOX');
    // Concurrent appends of two sessions: one writer, no UID conflict.
    const before = inbox.view().uidvalidity;
    await Promise.all(Array.from({ length: 10 }, () => inbox.append(message())));
    expect((await b.store.mailbox('INBOX')).view().uidvalidity).toBe(before);
    await a.release();
    await expect(b.store.listMailboxes()).resolves.toHaveLength(6);
    await b.release();
    await expect(b.store.listMailboxes()).rejects.toMatchObject({ code: 'StoreClosed' });
    const c = await stores.acquire(user, storage);
    expect(c.store).not.toBe(a.store);
    expect((await c.store.mailbox('INBOX')).view().index.messages.size).toBe(10);
    await stores.closeAll();
  });
});
