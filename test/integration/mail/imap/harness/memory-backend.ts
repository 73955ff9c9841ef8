/**
 * An in-memory ImapBackend for the IMAP tests and benchmark: the semantics the
 * server expects of the real store (UIDs never reused, modseqs per change, expunges
 * remembered for QRESYNC, change notifications to every open handle), none of the
 * storage. Also a LoginProvider with plain passwords.
 */
import { summarize } from '../../../../../mail/mailbox/summary/summarize.js';
import type { MessageSummary } from '../../../../../mail/mailbox/summary/types.js';
import { UserKeys } from '../../../../../mail/crypto/keys.js';
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
} from '../../../../../mail/imap/backend.js';
import { AuthenticationError } from '../../../../../mail/user/errors.js';
import type { Credentials, LoginProvider, Recipient } from '../../../../../mail/user/provider.js';

interface Message {
  meta: MessageMeta;
  raw: Buffer;
  summary: MessageSummary;
}

class Box {
  messages: Message[] = [];
  /** (uid, modseq of the expunge), oldest first. */
  expunged: Array<[number, number]> = [];
  uidNext = 1;
  highestModseq = 1;
  specialUse: SpecialUse | null = null;
  readonly watchers = new Set<() => void>();
  private snap: MailboxSnapshot | null = null;

  constructor(readonly uidValidity: number) {}

  snapshot(): MailboxSnapshot {
    this.snap ??= { uidValidity: this.uidValidity, uidNext: this.uidNext, highestModseq: this.highestModseq, messages: this.messages.map((m) => m.meta) };
    return this.snap;
  }

  changed(): void {
    this.snap = null;
    // Like the real store's watch: asynchronous.
    for (const w of this.watchers) setImmediate(w);
  }

  nextModseq(): number {
    return ++this.highestModseq;
  }

  add(raw: Buffer, flags: readonly string[], internalDate: number, summary?: MessageSummary): number {
    const uid = this.uidNext++;
    const s = summary ?? summarize(raw);
    this.messages.push({ meta: { uid, flags: [...flags], modseq: this.nextModseq(), internalDate, size: s.size }, raw, summary: s });
    return uid;
  }

  find(uid: number): Message | undefined {
    let lo = 0;
    let hi = this.messages.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.messages[mid]!.meta.uid < uid) lo = mid + 1;
      else hi = mid;
    }
    const m = this.messages[lo];
    return m !== undefined && m.meta.uid === uid ? m : undefined;
  }

  expunge(uids?: readonly number[]): number[] {
    const only = uids === undefined ? null : new Set(uids);
    const drop = (m: Message): boolean => m.meta.flags.includes('\\Deleted') && (only === null || only.has(m.meta.uid));
    const gone = this.messages.filter(drop).map((m) => m.meta.uid);
    // An expunge that removes nothing is no change: no new modseq.
    if (gone.length === 0) return gone;
    const modseq = this.nextModseq();
    for (const uid of gone) this.expunged.push([uid, modseq]);
    this.messages = this.messages.filter((m) => !drop(m));
    return gone;
  }
}

class UserData {
  readonly boxes = new Map<string, Box>();
  readonly subscriptions = new Set<string>();
  private validity = 1000;

  constructor() {
    this.boxes.set('INBOX', new Box(this.nextValidity()));
    this.subscriptions.add('INBOX');
  }

  nextValidity(): number {
    return ++this.validity;
  }

  box(name: string): Box {
    const b = this.boxes.get(name);
    if (b === undefined) throw new BackendError('NonExistent', `no mailbox ${name}`);
    return b;
  }
}

function applyFlags(current: readonly string[], mode: FlagMode, flags: readonly string[]): string[] {
  if (mode === 'replace') return [...new Set(flags)];
  if (mode === 'add') return [...new Set([...current, ...flags])];
  const drop = new Set(flags);
  return current.filter((f) => !drop.has(f));
}

function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((f) => b.includes(f));
}

class MemoryMailbox implements ImapMailbox {
  constructor(
    private readonly user: UserData,
    private readonly box: Box,
  ) {}

  snapshot(): MailboxSnapshot {
    return this.box.snapshot();
  }

  async refresh(): Promise<MailboxSnapshot> {
    return this.box.snapshot();
  }

  watch(onChange: () => void): () => void {
    this.box.watchers.add(onChange);
    return () => this.box.watchers.delete(onChange);
  }

  async summaries(uids: readonly number[]): Promise<(MessageSummary | undefined)[]> {
    return uids.map((u) => this.box.find(u)?.summary);
  }

  async read(uid: number, start: number, end: number): Promise<Buffer | undefined> {
    return this.box.find(uid)?.raw.subarray(start, end);
  }

  async store(uids: readonly number[], mode: FlagMode, flags: readonly string[], unchangedSince?: number): Promise<StoreResult> {
    const failed: number[] = [];
    let changed = false;
    for (const uid of uids) {
      const m = this.box.find(uid);
      if (m === undefined) continue;
      if (unchangedSince !== undefined && m.meta.modseq > unchangedSince) {
        failed.push(uid);
        continue;
      }
      const next = applyFlags(m.meta.flags, mode, flags);
      if (sameFlags(next, m.meta.flags)) continue;
      m.meta = { ...m.meta, flags: next, modseq: this.box.nextModseq() };
      changed = true;
    }
    if (changed) this.box.changed();
    return { failed };
  }

  async expunge(uids?: readonly number[]): Promise<number[]> {
    const gone = this.box.expunge(uids);
    if (gone.length > 0) this.box.changed();
    return gone;
  }

  async copy(uids: readonly number[], destination: string): Promise<CopyResult> {
    const dest = this.user.box(destination);
    const r: CopyResult = { uidValidity: dest.uidValidity, sourceUids: [], destUids: [] };
    for (const uid of uids) {
      const m = this.box.find(uid);
      if (m === undefined) continue;
      r.sourceUids.push(uid);
      r.destUids.push(dest.add(m.raw, m.meta.flags, m.meta.internalDate, m.summary));
    }
    if (r.sourceUids.length > 0) dest.changed();
    return r;
  }

  async move(uids: readonly number[], destination: string): Promise<CopyResult> {
    const r = await this.copy(uids, destination);
    const moved = new Set(r.sourceUids);
    const modseq = this.box.nextModseq();
    this.box.messages = this.box.messages.filter((m) => {
      if (!moved.has(m.meta.uid)) return true;
      this.box.expunged.push([m.meta.uid, modseq]);
      return false;
    });
    if (moved.size > 0) this.box.changed();
    return r;
  }

  async expungedSince(modseq: number): Promise<Array<[number, number]> | null> {
    return this.box.expunged.filter(([, m]) => m > modseq).map(([u]): [number, number] => [u, u]);
  }

  async close(): Promise<void> {}
}

class MemoryAccount implements ImapAccount {
  constructor(
    readonly username: string,
    private readonly user: UserData,
    private readonly credentials: Credentials,
  ) {}

  async mailboxes(): Promise<MailboxInfo[]> {
    return [...this.user.boxes].map(([name, b]) => ({ name, specialUse: b.specialUse, subscribed: this.user.subscriptions.has(name) }));
  }

  async subscriptions(): Promise<string[]> {
    return [...this.user.subscriptions];
  }

  async create(name: string, specialUse?: SpecialUse): Promise<void> {
    if (this.user.boxes.has(name)) throw new BackendError('AlreadyExists', `${name} exists`);
    const b = new Box(this.user.nextValidity());
    b.specialUse = specialUse ?? null;
    this.user.boxes.set(name, b);
  }

  async delete(name: string): Promise<void> {
    const b = this.user.box(name);
    this.user.boxes.delete(name);
    b.messages = [];
    b.changed();
  }

  async rename(from: string, to: string): Promise<void> {
    const b = this.user.box(from);
    if (this.user.boxes.has(to)) throw new BackendError('AlreadyExists', `${to} exists`);
    if (from === 'INBOX') {
      const moved = new Box(this.user.nextValidity());
      for (const m of b.messages) moved.add(m.raw, m.meta.flags, m.meta.internalDate, m.summary);
      b.messages = [];
      b.changed();
      this.user.boxes.set(to, moved);
      return;
    }
    for (const [name, box] of [...this.user.boxes]) {
      if (name !== from && !name.startsWith(`${from}/`)) continue;
      this.user.boxes.delete(name);
      this.user.boxes.set(to + name.slice(from.length), box);
    }
  }

  async setSubscribed(name: string, subscribed: boolean): Promise<void> {
    if (subscribed) this.user.subscriptions.add(name);
    else this.user.subscriptions.delete(name);
  }

  async status(name: string): Promise<MailboxStatus> {
    const b = this.user.box(name);
    let unseen = 0;
    let deleted = 0;
    let size = 0;
    for (const m of b.messages) {
      if (!m.meta.flags.includes('\\Seen')) unseen++;
      if (m.meta.flags.includes('\\Deleted')) deleted++;
      size += m.meta.size;
    }
    return { messages: b.messages.length, unseen, deleted, size, uidNext: b.uidNext, uidValidity: b.uidValidity, highestModseq: b.highestModseq };
  }

  async open(name: string): Promise<ImapMailbox> {
    return new MemoryMailbox(this.user, this.user.box(name));
  }

  async append(name: string, messages: readonly AppendMessage[]): Promise<AppendResult> {
    const b = this.user.box(name);
    const uids = messages.map((m) => b.add(m.data, m.flags, m.internalDate ?? Date.now()));
    b.changed();
    return { uidValidity: b.uidValidity, uids };
  }

  async close(): Promise<void> {
    this.credentials.keys.wipe();
  }
}

/** Users with plain passwords and their mail, all in memory. */
export class MemoryBackend implements ImapBackend, LoginProvider {
  private readonly passwords = new Map<string, string>();
  /** One key set per user, cloned per login (generating X25519 keys per login would dominate the fuzz test). */
  private readonly keys = new Map<string, UserKeys>();
  private readonly data = new Map<string, UserData>();

  addUser(name: string, password: string): void {
    this.passwords.set(name, password);
    this.keys.set(name, UserKeys.generate());
    this.data.set(name, new UserData());
  }

  /** Delivers a message straight into a mailbox (as LMTP would). */
  deliver(user: string, mailbox: string, raw: Buffer, flags: string[] = [], internalDate = Date.now()): number {
    const b = this.data.get(user)!.box(mailbox);
    const uid = b.add(raw, flags, internalDate);
    b.changed();
    return uid;
  }

  /** The mailbox's state, for assertions. */
  snapshot(user: string, mailbox: string): MailboxSnapshot {
    return this.data.get(user)!.box(mailbox).snapshot();
  }

  mailboxNames(user: string): string[] {
    return [...this.data.get(user)!.boxes.keys()].sort();
  }

  async login(username: string, password: string): Promise<Credentials> {
    if (this.passwords.get(username) !== password) throw new AuthenticationError();
    return { userId: username, username, keys: this.keys.get(username)!.clone(), addresses: [], storage: { bucket: username } };
  }

  async lookupAddress(): Promise<Recipient | undefined> {
    return undefined;
  }

  async open(credentials: Credentials): Promise<ImapAccount> {
    const user = this.data.get(credentials.username);
    if (user === undefined) throw new BackendError('Unavailable', 'no such user data');
    return new MemoryAccount(credentials.username, user, credentials);
  }
}
