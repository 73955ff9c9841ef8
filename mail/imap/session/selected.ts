/**
 * A session's view of its selected mailbox. IMAP message sequence numbers are per
 * session: they change only when this session tells its client (EXPUNGE, EXISTS), so
 * the view keeps the UIDs it has announced and the metadata it last reported, and
 * compares them with the store's newest snapshot to produce the unsolicited
 * responses, at the points where the RFCs allow them:
 *  - EXISTS and flag FETCHes after any command (and during IDLE);
 *  - EXPUNGE / VANISHED not while a FETCH, STORE or SEARCH by sequence number runs
 *    (RFC 3501 §7.4.1): such expunged messages stay in the view until allowed.
 */
import type { ImapMailbox, MailboxSnapshot, MessageMeta } from '../backend.js';
import { flagList } from '../format/response.js';
import { compactSet, lowerBound, seqIndices, seqOutOfRange, uidIndices, type SequenceSet, type SortedNumbers } from '../sequence.js';
import { ParseError } from '../errors.js';

export interface UpdateOptions {
  /** EXPUNGE/VANISHED may be sent now. */
  expunge: boolean;
  /** The client enabled QRESYNC: VANISHED instead of EXPUNGE, UID in every FETCH. */
  qresync: boolean;
  /** CONDSTORE is on: MODSEQ in flag FETCHes. */
  condstore: boolean;
}

/** Where unsolicited responses go. */
export interface UpdateSink {
  write(octets: string): void;
}

/** The flags a client may set (PERMANENTFLAGS lists them plus \*). */
const PERMANENT_SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

export class SelectedMailbox {
  /**
   * Announced messages, by sequence number - 1. Usually the snapshot's own array,
   * shared with every session on the mailbox (an idling session costs no copy of it);
   * copied only when this view must differ (expunges held back, absorbed changes).
   */
  private metas: readonly MessageMeta[];
  private shared = true;
  /** The same, seen as sorted UIDs. */
  private readonly uidList: SortedNumbers;
  private last: MailboxSnapshot;
  private keywords: Set<string>;
  private dirty = false;
  private readonly unwatch: () => void;
  /** UIDs saved by SEARCH ... RETURN (SAVE), for "$". */
  saved: number[] = [];

  constructor(
    readonly name: string,
    readonly mailbox: ImapMailbox,
    readonly readOnly: boolean,
    snapshot: MailboxSnapshot,
    onChange: () => void,
  ) {
    this.last = snapshot;
    this.metas = snapshot.messages;
    const metas = (): readonly MessageMeta[] => this.metas;
    this.uidList = {
      get length() {
        return metas().length;
      },
      at: (i) => metas()[i]!.uid,
    };
    this.keywords = keywordsOf(snapshot.messages);
    this.unwatch = mailbox.watch(() => {
      this.dirty = true;
      onChange();
    });
  }

  get count(): number {
    return this.metas.length;
  }

  get snapshot(): MailboxSnapshot {
    return this.last;
  }

  meta(index: number): MessageMeta {
    return this.metas[index]!;
  }

  /** Sequence number of a UID in the view, or 0. */
  seqOf(uid: number): number {
    const i = lowerBound(this.uidList, uid);
    return i < this.metas.length && this.metas[i]!.uid === uid ? i + 1 : 0;
  }

  /** Indices designated by a set of sequence numbers (uid: false) or UIDs. */
  resolve(set: SequenceSet, uid: boolean): number[] {
    if (set.kind === 'saved') {
      const out: number[] = [];
      for (const u of this.saved) {
        const seq = this.seqOf(u);
        if (seq > 0) out.push(seq - 1);
      }
      return out;
    }
    if (uid) return uidIndices(set.ranges, this.uidList);
    if (seqOutOfRange(set.ranges, this.metas.length)) throw new ParseError('invalid message sequence number');
    return seqIndices(set.ranges, this.metas.length);
  }

  /** Keywords in use (for FLAGS). */
  flagsLine(): string {
    return `* FLAGS ${flagList([...PERMANENT_SYSTEM_FLAGS, ...this.keywords])}\r\n`;
  }

  permanentFlagsLine(): string {
    const flags = this.readOnly ? [] : [...PERMANENT_SYSTEM_FLAGS, ...this.keywords, '\\*'];
    return `* OK [PERMANENTFLAGS ${flagList(flags)}] ${this.readOnly ? 'No permanent flags permitted' : 'Flags permitted'}\r\n`;
  }

  /** Pulls from storage if someone changed the mailbox since the last look (or always, with `force`). */
  async refresh(force: boolean): Promise<void> {
    if (!force && !this.dirty) return;
    this.dirty = false;
    await this.mailbox.refresh();
  }

  /**
   * Takes the store's state for these UIDs as reported (this session answered with
   * their new flags itself, or was told not to: STORE .SILENT).
   */
  absorb(uids: readonly number[]): void {
    const snap = this.mailbox.snapshot();
    const wanted = new Set(uids);
    const metas = this.shared ? [...this.metas] : (this.metas as MessageMeta[]);
    let j = 0;
    for (let i = 0; i < metas.length; i++) {
      const uid = metas[i]!.uid;
      if (!wanted.has(uid)) continue;
      while (j < snap.messages.length && snap.messages[j]!.uid < uid) j++;
      const fresh = snap.messages[j];
      if (fresh !== undefined && fresh.uid === uid) metas[i] = fresh;
    }
    this.metas = metas;
    this.shared = false;
  }

  /** Sends what changed since the last report (see the module comment). */
  update(sink: UpdateSink, opts: UpdateOptions): void {
    const snap = this.mailbox.snapshot();
    if (snap === this.last) return;
    const fresh = snap.messages;
    const kept: MessageMeta[] = [];
    const expunged: MessageMeta[] = [];
    /** Indices in `kept` whose flags changed, with their new metadata. */
    const changed: number[] = [];
    let held = false;
    let j = 0;
    for (const old of this.metas) {
      while (j < fresh.length && fresh[j]!.uid < old.uid) j++;
      const now = fresh[j];
      if (now !== undefined && now.uid === old.uid) {
        if (now !== old && (now.modseq !== old.modseq || !sameFlags(now.flags, old.flags))) changed.push(kept.length);
        kept.push(now);
      } else if (opts.expunge) {
        expunged.push(old);
      } else {
        held = true;
        kept.push(old);
      }
    }
    const lastUid = this.metas.length > 0 ? this.metas[this.metas.length - 1]!.uid : 0;
    let first = fresh.length;
    while (first > 0 && fresh[first - 1]!.uid > lastUid) first--;
    const added = fresh.slice(first);

    if (expunged.length > 0) {
      if (opts.qresync) {
        sink.write(`* VANISHED ${compactSet(expunged.map((m) => m.uid))}\r\n`);
      } else {
        // Each EXPUNGE renumbers what follows: report from the end so numbers stay valid.
        const gone = new Set(expunged.map((m) => m.uid));
        for (let i = this.metas.length - 1; i >= 0; i--) if (gone.has(this.metas[i]!.uid)) sink.write(`* ${i + 1} EXPUNGE\r\n`);
      }
    }
    // In step with the snapshot again: share its array rather than keep a copy.
    if (!held && kept.length + added.length === fresh.length) {
      this.metas = fresh;
      this.shared = true;
    } else {
      this.metas = kept.concat(added);
      this.shared = false;
    }
    const keywords = keywordsOf(this.metas);
    if ([...keywords].some((k) => !this.keywords.has(k))) {
      this.keywords = new Set([...this.keywords, ...keywords]);
      sink.write(this.flagsLine());
      sink.write(this.permanentFlagsLine());
    }
    if (added.length > 0) sink.write(`* ${this.metas.length} EXISTS\r\n`);
    for (const i of changed) sink.write(this.flagsFetch(i, opts));
    // With expunges held back, the next update must look again.
    if (!held) this.last = snap;
  }

  /** "* n FETCH (FLAGS (...) [UID u] [MODSEQ (m)])" for the message at index i. */
  flagsFetch(i: number, opts: { qresync: boolean; condstore: boolean }, uid = false): string {
    const m = this.metas[i]!;
    let items = `FLAGS ${flagList(m.flags)}`;
    if (uid || opts.qresync) items = `UID ${m.uid} ${items}`;
    if (opts.condstore) items += ` MODSEQ (${m.modseq})`;
    return `* ${i + 1} FETCH (${items})\r\n`;
  }

  async close(): Promise<void> {
    this.unwatch();
    await this.mailbox.close();
  }
}

function keywordsOf(messages: readonly MessageMeta[]): Set<string> {
  const out = new Set<string>();
  for (const m of messages) for (const f of m.flags) if (!f.startsWith('\\')) out.add(f);
  return out;
}

function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((f) => set.has(f));
}
