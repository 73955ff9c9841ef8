/**
 * One open mailbox: its uid index (a Bayou log) and its messages in storage. This is
 * what an IMAP session works on after SELECT; every command is one log entry, and
 * concurrent APPENDs (or COPYs) into the mailbox are grouped into one entry.
 */
import type { K2vWrite } from '../../core/client/index.js';
import type { Logger } from '../../core/util/log.js';
import { Bayou } from '../bayou/bayou.js';
import type { BayouOptions } from '../bayou/types.js';
import { newBodyKey } from '../crypto/segments.js';
import { changeFlags, DELETED, flagSet, hasFlag, sameFlags } from '../mailbox/flags.js';
import { newId } from '../mailbox/ids.js';
import { MAX_STORED_HEADER, type MessageMeta } from '../mailbox/message-meta.js';
import { sectionRange, type SectionText } from '../mailbox/summary/sections.js';
import { summarize } from '../mailbox/summary/summarize.js';
import { uidIndexSpec } from '../mailbox/uid-index-codec.js';
import { byId } from '../mailbox/uid-index-view.js';
import type { FlagMode, IndexOp, MessageEntry, NewMessage, UidIndex } from '../mailbox/uid-index.js';
import { mapLimit } from './limit.js';
import { MessageStore, type MessageContext } from './messages.js';
import { matches, needsBodies, splitByTier, type SearchKey } from './search.js';

export interface MailboxContext extends MessageContext {
  log?: Logger;
  bayou?: Partial<BayouOptions>;
  now: () => number;
}

/** A consistent picture of a mailbox: what a session shows its client. */
export interface MailboxView {
  readonly mailboxId: string;
  readonly uidvalidity: number;
  readonly index: UidIndex;
}

export interface MailboxStatus {
  messages: number;
  unseen: number;
  /** \Recent is not kept (IMAP4rev2 dropped it): always 0. */
  recent: number;
  uidnext: number;
  uidvalidity: number;
  highestModseq: bigint;
  /** Sum of RFC822.SIZE (STATUS SIZE). */
  size: number;
  /** Messages flagged \Deleted (STATUS DELETED). */
  deleted: number;
}

export interface AppendOptions {
  flags?: readonly string[];
  /** INTERNALDATE; now by default. */
  internalDate?: Date | number;
}

/** What APPENDUID / COPYUID report. */
export interface AppendResult {
  id: string;
  uidvalidity: number;
  uid: number;
  modseq: bigint;
}

export interface StoreOptions {
  /** CONDSTORE UNCHANGEDSINCE: messages changed after this MODSEQ are left alone. */
  unchangedSince?: bigint;
}

export interface StoreResult {
  view: MailboxView;
  /** The messages whose flags changed, as they are now (for untagged FETCH). */
  changed: MessageEntry[];
  /** Ids left alone because of UNCHANGEDSINCE (the MODIFIED response code). */
  modified: string[];
}

export interface ExpungeResult {
  view: MailboxView;
  /** The expunged messages as they were (their UIDs for EXPUNGE / VANISHED). */
  expunged: MessageEntry[];
}

export interface CopyResult {
  /** UIDVALIDITY of the destination. */
  uidvalidity: number;
  /** (source UID, destination UID) per copied message, in source UID order. */
  uids: [number, number][];
}

export interface MoveResult extends CopyResult {
  view: MailboxView;
  expunged: MessageEntry[];
}

interface Pending {
  items: { msg: NewMessage; write: K2vWrite }[];
  resolve: (results: AppendResult[]) => void;
  reject: (err: unknown) => void;
}

/** Bounds of one grouped add: messages, and bytes of their meta rows. */
const MAX_GROUP = 256;
const MAX_GROUP_BYTES = 8 * 1024 * 1024;
const BODY_READS = 4;

export class Mailbox {
  private readonly log: Bayou<UidIndex, IndexOp>;
  readonly messages: MessageStore;
  private pending: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly ctx: MailboxContext,
    readonly id: string,
    private uidvalidityBase: number,
  ) {
    this.log = new Bayou({ k2v: ctx.storage.k2v, blobs: ctx.storage.blobs, userId: ctx.userId, key: ctx.key, ...(ctx.log ? { log: ctx.log } : {}) }, uidIndexSpec, id, ctx.bayou, ctx.now);
    this.messages = new MessageStore(ctx, id);
  }

  /** Loads the newest checkpoint and the ops after it. */
  async open(): Promise<this> {
    await this.log.open();
    return this;
  }

  /** The mailbox list's UIDVALIDITY for this mailbox changed (a RENAME onto a name used before). */
  rebase(uidvalidity: number): void {
    this.uidvalidityBase = uidvalidity;
  }

  private viewOf(index: UidIndex): MailboxView {
    return { mailboxId: this.id, uidvalidity: this.uidvalidityBase + index.uidvalidityBump, index };
  }

  /** The state as known here now (call refresh() first to include other writers' latest changes). */
  view(): MailboxView {
    return this.viewOf(this.log.state);
  }

  /** Reads what other writers pushed, if the watch row says there is something (force: read anyway). */
  async refresh(force = false): Promise<MailboxView> {
    await this.log.sync(force);
    return this.view();
  }

  /** Calls `listener` after every change to the mailbox, made here or elsewhere (IDLE); returns the unsubscribe. */
  subscribe(listener: (view: MailboxView) => void): () => void {
    return this.log.subscribe((index) => listener(this.viewOf(index)));
  }

  status(): MailboxStatus {
    const { index, uidvalidity } = this.view();
    return {
      messages: index.messages.size,
      unseen: index.unseen,
      recent: 0,
      uidnext: index.uidnext,
      uidvalidity,
      highestModseq: index.highestModseq,
      size: index.totalSize,
      deleted: index.deleted,
    };
  }

  /** APPEND: resolves once the message is durably stored, with its UID. */
  async append(raw: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    const [result] = await this.appendMany([{ raw, ...options }]);
    return result!;
  }

  /** MULTIAPPEND: all messages in one log entry. */
  async appendMany(messages: readonly ({ raw: Buffer } & AppendOptions)[]): Promise<AppendResult[]> {
    const items = await Promise.all(
      messages.map(async ({ raw, flags, internalDate }) => {
        const summary = summarize(raw);
        const id = newId();
        const bodyKey = newBodyKey();
        const bodyStart = summary.body.bodyStart;
        const header = bodyStart <= MAX_STORED_HEADER ? Buffer.from(raw.subarray(0, bodyStart)) : null;
        await this.messages.putBody(id, bodyKey, raw);
        const write = await this.messages.metaWrite(id, { bodyKey, bodyId: id, header, summary });
        const date = internalDate === undefined ? this.ctx.now() : typeof internalDate === 'number' ? internalDate : internalDate.getTime();
        return { msg: { id, flags: flagSet(flags ?? []), size: summary.size, date }, write };
      }),
    );
    return this.add(items);
  }

  /** Adds messages whose body and meta row are ready; concurrent calls share one log entry. */
  add(items: { msg: NewMessage; write: K2vWrite }[]): Promise<AppendResult[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.pending.push({ items, resolve, reject });
      void this.flush();
    });
  }

  private takeGroup(): Pending[] {
    const group: Pending[] = [];
    let count = 0;
    let bytes = 0;
    while (this.pending.length > 0) {
      const next = this.pending[0]!;
      const size = next.items.reduce((n, i) => n + (i.write.value?.length ?? 0), 0);
      if (group.length > 0 && (count + next.items.length > MAX_GROUP || bytes + size > MAX_GROUP_BYTES)) break;
      group.push(this.pending.shift()!);
      count += next.items.length;
      bytes += size;
    }
    return group;
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const group = this.takeGroup();
        const items = group.flatMap((p) => p.items);
        try {
          const { state } = await this.log.update((s) => ({
            op: { t: 'add', uid: s.uidnext, msgs: items.map((i) => i.msg) },
            writes: items.map((i) => i.write),
            result: undefined,
          }));
          const view = this.viewOf(state);
          for (const p of group) p.resolve(p.items.map((i) => appended(view, i.msg.id)));
        } catch (err) {
          for (const p of group) p.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** STORE / UID STORE on messages named by id (from the session's view); one log entry. */
  async store(ids: readonly string[], mode: FlagMode, flags: readonly string[], options: StoreOptions = {}): Promise<StoreResult> {
    const change = flagSet(flags);
    const { unchangedSince } = options;
    const { result, state } = await this.log.update((s) => {
      const present = ids.map((id) => byId(s, id)).filter((m): m is MessageEntry => m !== undefined);
      const modified = unchangedSince === undefined ? [] : present.filter((m) => m.modseq > unchangedSince);
      const touched = present.filter((m) => (unchangedSince === undefined || m.modseq <= unchangedSince) && !sameFlags(changeFlags(m.flags, mode, change), m.flags));
      const result = { modified: modified.map((m) => m.id), touched: touched.map((m) => m.id) };
      if (touched.length === 0) return { result };
      return { op: { t: 'flags', mode, ids: result.touched, flags: change, ...(unchangedSince !== undefined ? { unchangedSince } : {}) }, result };
    });
    const view = this.viewOf(state);
    return { view, changed: result.touched.map((id) => byId(state, id)).filter((m): m is MessageEntry => m !== undefined), modified: result.modified };
  }

  /** EXPUNGE (all \Deleted messages) or UID EXPUNGE (those among `ids`); removes their bodies and metas. */
  async expunge(ids?: readonly string[]): Promise<ExpungeResult> {
    const { result, state } = await this.log.update((s) => {
      const candidates = (ids === undefined ? s.messages.toArray() : ids.map((id) => byId(s, id))).filter((m): m is MessageEntry => m !== undefined && hasFlag(m.flags, DELETED));
      if (candidates.length === 0) return { result: [] };
      return { op: { t: 'expunge', ids: candidates.map((m) => m.id), deletedOnly: true }, result: candidates };
    });
    return this.removed(result, state);
  }

  /** The expunged messages of an op just pushed: their storage goes too. */
  private async removed(candidates: MessageEntry[], state: UidIndex): Promise<ExpungeResult> {
    const expunged = candidates.filter((m) => !state.uidById.has(m.id));
    await this.messages.remove(expunged.map((m) => m.id));
    return { view: this.viewOf(state), expunged };
  }

  /** COPY: bodies copied server-side (never re-encrypted), flags and INTERNALDATE kept; one log entry in `dest`. */
  async copyTo(ids: readonly string[], dest: Mailbox): Promise<CopyResult> {
    const index = this.log.state;
    const sources = ids
      .map((id) => byId(index, id))
      .filter((m): m is MessageEntry => m !== undefined)
      .sort((a, b) => a.uid - b.uid);
    const metas = await this.messages.metas(sources.map((m) => m.id));
    const copies = sources.filter((m) => metas.has(m.id)).map((m) => ({ source: m, meta: metas.get(m.id)!, id: newId() }));
    await this.messages.copyBodies(copies.map((c) => [c.source.id, c.id]));
    const items = await mapLimit(copies, 16, async (c) => ({
      msg: { id: c.id, flags: c.source.flags, size: c.source.size, date: c.source.date },
      write: await dest.messages.metaWrite(c.id, c.meta),
    }));
    const results = await dest.add(items);
    return { uidvalidity: results[0]?.uidvalidity ?? dest.view().uidvalidity, uids: copies.map((c, i) => [c.source.uid, results[i]!.uid]) };
  }

  /** MOVE: a copy, then the sources expunged (whatever their flags) and their storage removed. */
  async moveTo(ids: readonly string[], dest: Mailbox): Promise<MoveResult> {
    const copy = await this.copyTo(ids, dest);
    const moved = new Set(copy.uids.map(([uid]) => uid));
    const { result, state } = await this.log.update((s) => {
      const sources = ids.map((id) => byId(s, id)).filter((m): m is MessageEntry => m !== undefined && moved.has(m.uid));
      if (sources.length === 0) return { result: [] };
      return { op: { t: 'expunge', ids: sources.map((m) => m.id), deletedOnly: false }, result: sources };
    });
    const { view, expunged } = await this.removed(result, state);
    return { ...copy, view, expunged };
  }

  /** Metas (summary, header, body key) of the messages; ones expunged meanwhile are missing from the map. */
  metas(ids: readonly string[]): Promise<Map<string, MessageMeta>> {
    return this.messages.metas(ids);
  }

  /** The whole raw message (MessageGoneError if expunged meanwhile). */
  async body(id: string): Promise<Buffer> {
    return this.messages.body(id, await this.messages.meta(id));
  }

  /** Bytes [start, end) of the raw message; reads only the body segments they fall in (none for header bytes). */
  async range(id: string, start: number, end: number): Promise<Buffer> {
    return this.messages.range(id, await this.messages.meta(id), start, end);
  }

  /**
   * BODY[section] bytes: `path` the part numbers ([] the message), `text` HEADER, TEXT,
   * MIME or null (RFC 9051 §6.4.5); null when the message has no such part.
   */
  async section(id: string, path: readonly number[], text: SectionText | null): Promise<Buffer | null> {
    const meta = await this.messages.meta(id);
    const range = sectionRange(meta.summary.body, path, text);
    return range === null ? null : this.messages.range(id, meta, range.start, range.end);
  }

  /** SEARCH: the matching messages of the current view, in UID order. */
  async search(key: SearchKey): Promise<MessageEntry[]> {
    const { index, rest } = splitByTier(key);
    const candidates = this.log.state.messages.toArray().filter((entry) => index.every((k) => matches(k, { entry })));
    if (rest.length === 0) return candidates;
    const restKey: SearchKey = rest.length === 1 ? rest[0]! : { type: 'and', keys: rest };
    const metas = await this.messages.metas(candidates.map((m) => m.id));
    const withMeta = candidates.filter((m) => metas.has(m.id));
    if (!needsBodies(restKey)) return withMeta.filter((entry) => matches(restKey, { entry, meta: metas.get(entry.id)! }));
    const hits = await mapLimit(withMeta, BODY_READS, async (entry) => {
      const meta = metas.get(entry.id)!;
      const body = await this.messages.body(entry.id, meta);
      return matches(restKey, { entry, meta, body });
    });
    return withMeta.filter((_, i) => hits[i]);
  }

  /** Where the log stands: ops applied in all, and how many of them a cold open replays after the checkpoint. */
  logStats(): { ops: number; sinceCheckpoint: number } {
    return { ops: this.log.opCount, sinceCheckpoint: this.log.opsSinceCheckpoint };
  }

  /** Writes a checkpoint of the log now if ops follow the last one (shutdown of a busy mailbox, tools). */
  checkpoint(): Promise<void> {
    return this.log.checkpoint();
  }

  /** Waits for background work (checkpoints) and stops watching. */
  close(): Promise<void> {
    return this.log.close();
  }
}

function appended(view: MailboxView, id: string): AppendResult {
  const m = byId(view.index, id);
  // A fresh random id is never a duplicate; a missing one means the log did not apply the add.
  if (m === undefined) throw new Error(`message ${id} was not added`);
  return { id, uidvalidity: view.uidvalidity, uid: m.uid, modseq: m.modseq };
}
