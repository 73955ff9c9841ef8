/**
 * A user's mail, as the IMAP (and other) front-ends use it: the mailbox list, open
 * mailboxes, and the incoming queue moved into INBOX. One MailStore per logged-in user
 * per process is enough (several sessions may share it); it holds its own copy of the
 * user's keys and wipes it on close().
 */
import type { Logger } from '../../core/util/log.js';
import { checkpointPrefix, logPk, spillPrefix } from '../bayou/layout.js';
import type { BayouOptions } from '../bayou/types.js';
import type { UserKeys } from '../crypto/keys.js';
import { IncomingMover, type DeliveredMessage, type InboxSink } from '../incoming/mover.js';
import { MailboxError } from '../mailbox/errors.js';
import { NO_FLAGS } from '../mailbox/flags.js';
import { newId } from '../mailbox/ids.js';
import { bodyKey, metaPk } from '../mailbox/layout.js';
import { createMailbox, deleteMailbox, markPurged, renameMailbox, setSpecialUse, setSubscribed, unpurged } from '../mailbox/mailbox-list-ops.js';
import { findMailbox, liveMailboxes, subscribedNames, type MailboxInfo, type MailboxListState, type SpecialUse } from '../mailbox/mailbox-list.js';
import { INBOX, normalizeName } from '../mailbox/names.js';
import type { Credentials } from '../user/provider.js';
import { StoreClosedError } from './errors.js';
import { mapLimit } from './limit.js';
import { ListStore } from './list-store.js';
import { Mailbox, type AppendOptions, type AppendResult, type MailboxStatus } from './mailbox.js';
import type { UserStorage } from './storage.js';

export interface MailStoreOptions {
  log?: Logger;
  /** Tuning of the mailbox logs (checkpoint frequency, ...). */
  bayou?: Partial<BayouOptions>;
  /** Move deliveries into INBOX as they arrive (default true); at open they are moved regardless. */
  watchIncoming?: boolean;
  /** Long-poll duration of watch rows (default 10 s). */
  pollMs?: number;
  now?: () => number;
}

const PARALLEL = 16;

export class MailStore {
  readonly userId: string;
  private readonly keys: UserKeys;
  private readonly list: ListStore;
  private readonly mover: IncomingMover;
  private readonly mailboxes = new Map<string, Promise<Mailbox>>();
  private readonly background = new Set<Promise<unknown>>();
  private closed = false;

  private constructor(
    credentials: Pick<Credentials, 'userId' | 'keys'>,
    readonly storage: UserStorage,
    private readonly options: MailStoreOptions,
  ) {
    this.userId = credentials.userId;
    this.keys = credentials.keys.clone();
    const now = options.now ?? Date.now;
    this.list = new ListStore(storage, this.userId, this.keys.master, now, options.log);
    const pollMs = options.pollMs ?? 10_000;
    this.mover = new IncomingMover({ storage, userId: this.userId, keys: this.keys, pollMs, ...(options.log ? { log: options.log } : {}) }, () => this.inboxSink());
  }

  /**
   * Opens a user's mail at login: creates the default mailboxes on first use, moves the
   * incoming queue into INBOX, and (unless told otherwise) keeps moving new deliveries.
   */
  static async open(credentials: Pick<Credentials, 'userId' | 'keys'>, storage: UserStorage, options: MailStoreOptions = {}): Promise<MailStore> {
    const store = new MailStore(credentials, storage, options);
    try {
      const { state } = await store.list.provision();
      await store.mover.drain();
      if (options.watchIncoming !== false) store.mover.start();
      for (const id of unpurged(state)) store.track(store.purge(id));
      return store;
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  private live(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private track(work: Promise<unknown>): void {
    const p = work.catch((err: unknown) => this.options.log?.warn({ err }, 'background mail work failed'));
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  // -- mailbox list ---------------------------------------------------------

  /** Every mailbox (LIST), sorted by name. */
  async listMailboxes(): Promise<MailboxInfo[]> {
    this.live();
    return liveMailboxes((await this.list.read()).state);
  }

  /** Subscribed names (LSUB, LIST (SUBSCRIBED)), existing or not. */
  async subscriptions(): Promise<string[]> {
    this.live();
    return subscribedNames((await this.list.read()).state);
  }

  async createMailbox(name: string, specialUse: SpecialUse | null = null): Promise<MailboxInfo> {
    this.live();
    const state = await this.list.update((s, c) => createMailbox(s, name, c, newId, specialUse));
    return findMailbox(state, normalizeName(name))!;
  }

  /** RENAME (with the mailboxes below it; INBOX's content moves and a new INBOX is created). */
  async renameMailbox(from: string, to: string): Promise<void> {
    this.live();
    const current = (await this.list.read()).state;
    const uidvalidity = await this.uidvalidities(current);
    const state = await this.list.update((s, c) => renameMailbox(s, from, to, c, newId, (m) => uidvalidity.get(m.id) ?? m.uidvalidity));
    await this.rebind(state);
  }

  /** DELETE: the name goes at once, the content is removed from storage in the background. */
  async deleteMailbox(name: string): Promise<void> {
    this.live();
    const current = (await this.list.read()).state;
    const uidvalidity = await this.uidvalidities(current);
    const target = findMailbox(current, normalizeName(name));
    await this.list.update((s, c) => deleteMailbox(s, name, c, (m) => uidvalidity.get(m.id) ?? m.uidvalidity));
    if (target !== undefined) this.track(this.purge(target.id));
  }

  async setSubscribed(name: string, subscribed: boolean): Promise<void> {
    this.live();
    await this.list.update((s, c) => setSubscribed(s, name, subscribed, c));
  }

  async setSpecialUse(name: string, use: SpecialUse | null): Promise<void> {
    this.live();
    await this.list.update((s, c) => setSpecialUse(s, name, use, c));
  }

  /** UIDVALIDITY (with conflicts) of the mailboxes open here: the floors a rename or delete records. */
  private async uidvalidities(state: MailboxListState): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const m of liveMailboxes(state)) {
      const open = this.mailboxes.get(m.id);
      if (open !== undefined) out.set(m.id, (await open).view().uidvalidity);
    }
    return out;
  }

  /** Open mailboxes follow the list's UIDVALIDITY of their (possibly new) name. */
  private async rebind(state: MailboxListState): Promise<void> {
    for (const m of liveMailboxes(state)) {
      const open = this.mailboxes.get(m.id);
      if (open !== undefined) (await open).rebase(m.uidvalidity);
    }
  }

  // -- mailboxes ------------------------------------------------------------

  /** The mailbox named `name` (SELECT, EXAMINE, APPEND, ...), open and up to date; NoSuchMailbox if none. */
  async mailbox(name: string): Promise<Mailbox> {
    this.live();
    return this.resolve(name);
  }

  private async resolve(name: string): Promise<Mailbox> {
    const info = findMailbox((await this.list.read()).state, normalizeName(name));
    if (info === undefined) throw new MailboxError('NoSuchMailbox', `no mailbox named "${name}"`);
    return this.openMailbox(info);
  }

  private async openMailbox(info: MailboxInfo): Promise<Mailbox> {
    let opening = this.mailboxes.get(info.id);
    if (opening === undefined) {
      const mailbox = new Mailbox(
        {
          storage: this.storage,
          userId: this.userId,
          key: this.keys.master,
          now: this.options.now ?? Date.now,
          bayou: { ...(this.options.pollMs !== undefined ? { watchPollMs: this.options.pollMs } : {}), ...this.options.bayou },
          ...(this.options.log ? { log: this.options.log } : {}),
        },
        info.id,
        info.uidvalidity,
      );
      opening = mailbox.open();
      this.mailboxes.set(info.id, opening);
      opening.catch(() => this.mailboxes.delete(info.id));
      return opening;
    }
    const mailbox = await opening;
    mailbox.rebase(info.uidvalidity);
    await mailbox.refresh();
    return mailbox;
  }

  /** STATUS. */
  async status(name: string): Promise<MailboxStatus> {
    return (await this.mailbox(name)).status();
  }

  /** APPEND to a mailbox by name (NoSuchMailbox → the IMAP layer answers [TRYCREATE]). */
  async append(name: string, raw: Buffer, options?: AppendOptions): Promise<AppendResult> {
    return (await this.mailbox(name)).append(raw, options);
  }

  // -- incoming -------------------------------------------------------------

  /** Moves queued deliveries into INBOX now; returns how many moved. */
  drainIncoming(): Promise<number> {
    this.live();
    return this.mover.drain();
  }

  private async inboxSink(): Promise<InboxSink> {
    // Not this.mailbox(): a move under way finishes even while close() waits for it.
    const inbox = await this.resolve(INBOX);
    return {
      addDelivered: async (messages: DeliveredMessage[]) => {
        const items = await mapLimit(messages, PARALLEL, async (m) => ({
          msg: { id: m.id, flags: NO_FLAGS, size: m.size, date: m.date },
          write: await inbox.messages.metaWrite(m.id, m.meta),
        }));
        await inbox.add(items);
      },
    };
  }

  // -- deletion of content --------------------------------------------------

  /** Removes everything a deleted mailbox left in storage, then marks it purged in the list. */
  private async purge(id: string): Promise<void> {
    const opening = this.mailboxes.get(id);
    this.mailboxes.delete(id);
    await (await opening?.catch(() => undefined))?.close();
    const { k2v, blobs } = this.storage;
    let start: string | undefined;
    do {
      const [page] = await k2v.readBatch([{ pk: metaPk(id), ...(start !== undefined ? { start } : {}), limit: 1000 }]);
      await mapLimit(page!.items, PARALLEL, (item) => blobs.delete(bodyKey(item.sk)));
      start = page!.more && page!.nextStart !== null ? page!.nextStart : undefined;
    } while (start !== undefined);
    for (const prefix of [`meta/${id}/`, checkpointPrefix(id), spillPrefix(id)]) {
      let continuationToken: string | undefined;
      do {
        const page = await blobs.list(prefix, continuationToken !== undefined ? { continuationToken } : {});
        await mapLimit(page.items, PARALLEL, (item) => blobs.delete(item.key));
        continuationToken = page.continuationToken;
      } while (continuationToken !== undefined);
    }
    await k2v.deleteRange([{ pk: metaPk(id) }, { pk: logPk(id) }]);
    await this.list.update((s) => markPurged(s, id));
  }

  /** Stops watching, waits for background work, closes the mailboxes and wipes the keys. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.mover.stop();
    while (this.background.size > 0) await Promise.all([...this.background]);
    const open = await Promise.all([...this.mailboxes.values()].map((p) => p.catch(() => undefined)));
    await Promise.all(open.map((m) => m?.close()));
    this.mailboxes.clear();
    this.keys.wipe();
  }
}

/** Creates the default mailboxes of a new account (MailStore.open also does it at first login). */
export async function provisionUser(credentials: Pick<Credentials, 'userId' | 'keys'>, storage: UserStorage, now: () => number = Date.now): Promise<void> {
  await new ListStore(storage, credentials.userId, credentials.keys.master, now).provision();
}
