/**
 * One MailStore per logged-in user per process, shared by all their sessions: the
 * sessions then see each other's changes at once and their APPENDs are grouped by one
 * writer, instead of racing like separate devices (which costs UIDVALIDITY changes).
 * The store closes when its last session releases it.
 */
import type { Credentials } from '../user/provider.js';
import { MailStore, type MailStoreOptions } from './mail-store.js';
import type { UserStorage } from './storage.js';

export interface StoreLease {
  store: MailStore;
  /** Ends this session's use; the last release closes the store. */
  release(): Promise<void>;
}

interface Entry {
  store: Promise<MailStore>;
  users: number;
}

export class MailStores {
  private readonly open = new Map<string, Entry>();

  constructor(private readonly options: MailStoreOptions = {}) {}

  /** The user's store, opened (with the incoming queue moved into INBOX) if no session has it. */
  async acquire(credentials: Pick<Credentials, 'userId' | 'keys'>, storage: UserStorage): Promise<StoreLease> {
    let entry = this.open.get(credentials.userId);
    if (entry === undefined) {
      entry = { store: MailStore.open(credentials, storage, this.options), users: 0 };
      this.open.set(credentials.userId, entry);
      const opening = entry;
      entry.store.catch(() => {
        if (this.open.get(credentials.userId) === opening) this.open.delete(credentials.userId);
      });
    }
    entry.users++;
    const current = entry;
    let released = false;
    try {
      const store = await current.store;
      return {
        store,
        release: async () => {
          if (released) return;
          released = true;
          if (--current.users > 0) return;
          if (this.open.get(credentials.userId) === current) this.open.delete(credentials.userId);
          await store.close();
        },
      };
    } catch (err) {
      current.users--;
      throw err;
    }
  }

  /** Closes every store (server shutdown). */
  async closeAll(): Promise<void> {
    const entries = [...this.open.values()];
    this.open.clear();
    await Promise.all(entries.map(async (e) => (await e.store.catch(() => undefined))?.close()));
  }
}
