/**
 * ImapBackend on mail/store: the encrypted store as the IMAP session sees it.
 *
 * One MailStore per user per process, shared by that user's sessions (it holds the
 * user's key copy, its open mailboxes and their watches) and closed with the last
 * of them. The store names messages by id and counts MODSEQs in bigints; the session
 * works with UIDs and numbers, so this maps between them, and turns the store's
 * errors into BackendError kinds.
 */
import { StoreError } from '../../core/client/index.js';
import type { Logger } from '../../core/util/log.js';
import type { MessageSummary } from '../mailbox/summary/types.js';
import type { MessageEntry, UidIndex } from '../mailbox/uid-index.js';
import type { MessageMeta as StoredMeta } from '../mailbox/message-meta.js';
import { MailboxError } from '../mailbox/errors.js';
import { byUid, vanishedSince } from '../mailbox/uid-index-view.js';
import { MailStore, MessageGoneError, StoreClosedError, type Mailbox, type MailStoreOptions, type StorageResolver } from '../store/index.js';
import type { Credentials } from '../user/provider.js';
import {
  BackendError,
  type AppendMessage,
  type AppendResult,
  type CopyResult,
  type FlagMode,
  type ImapAccount,
  type ImapBackend,
  type ImapMailbox,
  type MailboxInfo,
  type MailboxSnapshot,
  type MailboxStatus,
  type MessageMeta,
  type SpecialUse,
  type StoreResult,
} from './backend.js';

export interface StoreBackendOptions {
  /** Where each user's bucket is (embedded or HTTP storage port). */
  storage: StorageResolver;
  store?: MailStoreOptions;
  log?: Logger;
}

/** The store's errors as the kinds the session maps to response codes. */
function backendError(e: unknown): unknown {
  if (e instanceof MailboxError) {
    const kind = e.code === 'NoSuchMailbox' ? 'NonExistent' : e.code === 'MailboxExists' ? 'AlreadyExists' : 'Cannot';
    return new BackendError(kind, e.message, { cause: e });
  }
  if (e instanceof StoreClosedError || e instanceof StoreError) return new BackendError('Unavailable', 'mail storage is not available now, try again', { cause: e });
  return e;
}

async function mapped<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    throw backendError(e);
  }
}

/** The session's view of an entry; entries are immutable, so one conversion each, shared by every session. */
const converted = new WeakMap<MessageEntry, MessageMeta>();

function metaOf(e: MessageEntry): MessageMeta {
  let m = converted.get(e);
  if (m === undefined) converted.set(e, (m = { uid: e.uid, flags: e.flags, modseq: Number(e.modseq), internalDate: e.date, size: e.size }));
  return m;
}

/** One snapshot per uid index state, shared by every session on the mailbox. */
const snapshots = new WeakMap<UidIndex, MailboxSnapshot>();

function snapshotOf(index: UidIndex, uidValidity: number): MailboxSnapshot {
  let snap = snapshots.get(index);
  if (snap === undefined || snap.uidValidity !== uidValidity) {
    snap = { uidValidity, uidNext: index.uidnext, highestModseq: Number(index.highestModseq), messages: index.messages.toArray().map(metaOf) };
    snapshots.set(index, snap);
  }
  return snap;
}

/** Stored metas recently read by a session: FETCH reads the summary, then sections of the same messages. */
const META_CACHE = 256;

class StoreMailbox implements ImapMailbox {
  private readonly metas = new Map<string, StoredMeta>();

  constructor(
    private readonly mailStore: MailStore,
    private readonly mailbox: Mailbox,
  ) {}

  snapshot(): MailboxSnapshot {
    const view = this.mailbox.view();
    return snapshotOf(view.index, view.uidvalidity);
  }

  async refresh(): Promise<MailboxSnapshot> {
    await mapped(this.mailbox.refresh());
    return this.snapshot();
  }

  watch(onChange: () => void): () => void {
    return this.mailbox.subscribe(() => onChange());
  }

  private id(uid: number): string | undefined {
    return byUid(this.mailbox.view().index, uid)?.id;
  }

  private ids(uids: readonly number[]): string[] {
    const index = this.mailbox.view().index;
    return uids.map((u) => byUid(index, u)?.id).filter((id): id is string => id !== undefined);
  }

  private remember(id: string, meta: StoredMeta): void {
    this.metas.delete(id);
    this.metas.set(id, meta);
    if (this.metas.size > META_CACHE) this.metas.delete(this.metas.keys().next().value!);
  }

  async summaries(uids: readonly number[]): Promise<(MessageSummary | undefined)[]> {
    const ids = uids.map((u) => this.id(u));
    const found = await mapped(this.mailbox.metas(ids.filter((id): id is string => id !== undefined)));
    return ids.map((id) => {
      const meta = id === undefined ? undefined : found.get(id);
      if (meta === undefined) return undefined;
      this.remember(id!, meta);
      return meta.summary;
    });
  }

  async read(uid: number, start: number, end: number): Promise<Buffer | undefined> {
    const id = this.id(uid);
    if (id === undefined) return undefined;
    try {
      let meta = this.metas.get(id);
      if (meta === undefined) {
        meta = await this.mailbox.messages.meta(id);
        this.remember(id, meta);
      }
      // The header block is kept in the meta row: header sections never open the body.
      if (meta.header !== null && end <= meta.header.length) return meta.header.subarray(start, end);
      return await this.mailbox.messages.range(id, meta, start, end);
    } catch (e) {
      if (e instanceof MessageGoneError) return undefined;
      throw backendError(e);
    }
  }

  async store(uids: readonly number[], mode: FlagMode, flags: readonly string[], unchangedSince?: number): Promise<StoreResult> {
    const r = await mapped(this.mailbox.store(this.ids(uids), mode === 'replace' ? 'set' : mode, flags, unchangedSince === undefined ? {} : { unchangedSince: BigInt(unchangedSince) }));
    const index = this.mailbox.view().index;
    return { failed: r.modified.map((id) => index.uidById.get(id)).filter((u): u is number => u !== undefined) };
  }

  async expunge(uids?: readonly number[]): Promise<number[]> {
    const r = await mapped(this.mailbox.expunge(uids === undefined ? undefined : this.ids(uids)));
    return r.expunged.map((m) => m.uid);
  }

  private async target(destination: string): Promise<Mailbox> {
    return mapped(this.mailStore.mailbox(destination));
  }

  async copy(uids: readonly number[], destination: string): Promise<CopyResult> {
    const r = await mapped(this.mailbox.copyTo(this.ids(uids), await this.target(destination)));
    return { uidValidity: r.uidvalidity, sourceUids: r.uids.map(([s]) => s), destUids: r.uids.map(([, d]) => d) };
  }

  async move(uids: readonly number[], destination: string): Promise<CopyResult> {
    const r = await mapped(this.mailbox.moveTo(this.ids(uids), await this.target(destination)));
    return { uidValidity: r.uidvalidity, sourceUids: r.uids.map(([s]) => s), destUids: r.uids.map(([, d]) => d) };
  }

  async expungedSince(modseq: number): Promise<Array<[number, number]> | null> {
    return vanishedSince(this.mailbox.view().index, BigInt(modseq));
  }

  /** The Mailbox belongs to the shared MailStore, which closes it. */
  async close(): Promise<void> {
    this.metas.clear();
  }
}

class StoreAccount implements ImapAccount {
  private closed = false;

  constructor(
    readonly username: string,
    private readonly store: MailStore,
    private readonly release: () => Promise<void>,
  ) {}

  async mailboxes(): Promise<MailboxInfo[]> {
    return (await mapped(this.store.listMailboxes())).map((m) => ({ name: m.name, specialUse: m.specialUse, subscribed: m.subscribed }));
  }

  subscriptions(): Promise<string[]> {
    return mapped(this.store.subscriptions());
  }

  async create(name: string, specialUse?: SpecialUse): Promise<void> {
    await mapped(this.store.createMailbox(name, specialUse ?? null));
  }

  delete(name: string): Promise<void> {
    return mapped(this.store.deleteMailbox(name));
  }

  rename(from: string, to: string): Promise<void> {
    return mapped(this.store.renameMailbox(from, to));
  }

  setSubscribed(name: string, subscribed: boolean): Promise<void> {
    return mapped(this.store.setSubscribed(name, subscribed));
  }

  async status(name: string): Promise<MailboxStatus> {
    const s = await mapped(this.store.status(name));
    return { messages: s.messages, unseen: s.unseen, deleted: s.deleted, uidNext: s.uidnext, uidValidity: s.uidvalidity, highestModseq: Number(s.highestModseq), size: s.size };
  }

  async open(name: string): Promise<ImapMailbox> {
    return new StoreMailbox(this.store, await mapped(this.store.mailbox(name)));
  }

  async append(name: string, messages: readonly AppendMessage[]): Promise<AppendResult> {
    const mailbox = await mapped(this.store.mailbox(name));
    const results = await mapped(
      mailbox.appendMany(messages.map((m) => ({ raw: m.data, flags: m.flags, ...(m.internalDate !== undefined ? { internalDate: m.internalDate } : {}) }))),
    );
    return { uidValidity: results[0]?.uidvalidity ?? mailbox.view().uidvalidity, uids: results.map((r) => r.uid) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.release();
  }
}

export class StoreBackend implements ImapBackend {
  private readonly users = new Map<string, { store: Promise<MailStore>; refs: number }>();

  constructor(private readonly opts: StoreBackendOptions) {}

  async open(credentials: Credentials): Promise<ImapAccount> {
    const { userId } = credentials;
    let entry = this.users.get(userId);
    if (entry === undefined) {
      const opening = (async () => MailStore.open(credentials, await this.opts.storage(credentials.storage), this.opts.store ?? {}))();
      entry = { store: opening, refs: 0 };
      this.users.set(userId, entry);
      opening.catch(() => this.users.delete(userId));
    }
    entry.refs++;
    let store: MailStore;
    try {
      store = await entry.store;
    } catch (e) {
      entry.refs--;
      throw backendError(e);
    } finally {
      // The MailStore keeps its own copy of the keys (taken when it was opened).
      credentials.keys.wipe();
    }
    return new StoreAccount(credentials.username, store, () => this.release(userId, entry));
  }

  private async release(userId: string, entry: { store: Promise<MailStore>; refs: number }): Promise<void> {
    if (--entry.refs > 0) return;
    if (this.users.get(userId) === entry) this.users.delete(userId);
    const store = await entry.store;
    await store.close().catch((e: unknown) => this.opts.log?.warn({ err: (e as Error).message }, 'closing a mail store failed'));
  }
}
