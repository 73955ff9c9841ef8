/**
 * The state of one mailbox, as replayed from its log: UIDs, flags, MODSEQs and the
 * expunged UIDs (with the MODSEQ of their expunge, for QRESYNC's VANISHED).
 *
 * UIDs without consensus (DESIGN.md §4): a writer proposes the UIDs that follow its
 * view (`uid` of an add = the UIDNEXT it saw); the log's total order decides. The
 * messages an add really gets start at the UIDNEXT of the state it is applied to; if
 * that is past the proposal, messages it did not see were ordered before it, the UIDs
 * it may have reported are now someone else's, and UIDVALIDITY goes up by the
 * difference. Summed over all adds, that bump only grows when ops are added to the
 * log (an op can only put more messages before an add), and it grows whenever some
 * message's UID changes, so a (UIDVALIDITY, UID) pair never names two messages.
 * Flag changes and expunges never conflict: they name messages by id, MODSEQ is given
 * at apply time, and concurrent edits merge in log order without touching UIDVALIDITY.
 *
 * UIDs, UIDNEXT and UIDVALIDITY are numbers: IMAP bounds them to 32 bits. MODSEQs are
 * bigints (63 bits in RFC 7162).
 */
import { changeFlags, DELETED, flagSet, hasFlag, sameFlags, SEEN, type FlagMode, type FlagSet } from './flags.js';
import { PMap } from './pmap.js';
import { SortedList } from './sorted-list.js';

export interface MessageEntry {
  /** The message's storage id (32 hex digits): its meta row and body object. */
  readonly id: string;
  readonly uid: number;
  readonly modseq: bigint;
  readonly flags: FlagSet;
  /** RFC822.SIZE. */
  readonly size: number;
  /** INTERNALDATE, ms since the epoch. */
  readonly date: number;
}

/** UIDs start..end (inclusive) expunged by one op, at `modseq`. */
export interface ExpungedRange {
  readonly seq: number;
  readonly start: number;
  readonly end: number;
  readonly modseq: bigint;
}

interface Removed {
  readonly seq: number;
  readonly id: string;
}

export interface UidIndex {
  /** Added to the UIDVALIDITY the mailbox list gives the mailbox: the sum of UID conflicts. */
  readonly uidvalidityBump: number;
  readonly uidnext: number;
  readonly highestModseq: bigint;
  readonly messages: SortedList<MessageEntry>;
  readonly uidById: PMap<number>;
  readonly expunged: SortedList<ExpungedRange>;
  /** Ids removed lately: an add of one of them (a move racing with its expunge) is ignored. */
  readonly removed: SortedList<Removed>;
  readonly removedIds: PMap<true>;
  readonly unseen: number;
  readonly deleted: number;
  /** Sum of RFC822.SIZE (STATUS SIZE). */
  readonly totalSize: number;
}

/** How many removed ids are remembered to make adds idempotent. */
export const REMEMBERED_REMOVALS = 4096;
export const MESSAGE_ID = /^[0-9a-f]{32}$/;

export interface NewMessage {
  id: string;
  flags: FlagSet;
  size: number;
  date: number;
}

export type { FlagMode };

export type IndexOp =
  /** Messages appended, copied or moved in; `uid` is the UIDNEXT the writer saw. */
  | { t: 'add'; uid: number; msgs: NewMessage[] }
  /** STORE: messages whose MODSEQ is above unchangedSince (when given) are left alone. */
  | { t: 'flags'; mode: FlagMode; ids: string[]; flags: FlagSet; unchangedSince?: bigint }
  /** EXPUNGE (deletedOnly: only messages flagged \Deleted when it applies) or the source side of a MOVE. */
  | { t: 'expunge'; ids: string[]; deletedOnly: boolean };

const byUid = (m: MessageEntry): number => m.uid;
const bySeq = (r: { seq: number }): number => r.seq;

const EMPTY_INDEX: UidIndex = Object.freeze({
  uidvalidityBump: 0,
  uidnext: 1,
  highestModseq: 1n,
  messages: SortedList.empty(byUid),
  uidById: PMap.empty<number>(),
  expunged: SortedList.empty<ExpungedRange>(bySeq),
  removed: SortedList.empty<Removed>(bySeq),
  removedIds: PMap.empty<true>(),
  unseen: 0,
  deleted: 0,
  totalSize: 0,
});

export function emptyIndex(): UidIndex {
  return EMPTY_INDEX;
}

/** Rebuilds an index from its parts (a decoded checkpoint): the derived fields are recomputed. */
export function makeIndex(parts: {
  uidvalidityBump: number;
  uidnext: number;
  highestModseq: bigint;
  messages: MessageEntry[];
  expunged: ExpungedRange[];
  removed: string[];
}): UidIndex {
  let unseen = 0;
  let deleted = 0;
  let totalSize = 0;
  const uidById = PMap.empty<number>().edit((d) => {
    for (const m of parts.messages) {
      d.set(m.id, m.uid);
      if (!hasFlag(m.flags, SEEN)) unseen++;
      if (hasFlag(m.flags, DELETED)) deleted++;
      totalSize += m.size;
    }
  });
  const removed = parts.removed.map((id, seq) => ({ seq, id }));
  return {
    uidvalidityBump: parts.uidvalidityBump,
    uidnext: parts.uidnext,
    highestModseq: parts.highestModseq,
    messages: SortedList.fromSorted(parts.messages, byUid),
    uidById,
    expunged: SortedList.fromSorted(parts.expunged, bySeq),
    removed: SortedList.fromSorted(removed, bySeq),
    removedIds: PMap.empty<true>().edit((d) => parts.removed.forEach((id) => d.set(id, true))),
    unseen,
    deleted,
    totalSize,
  };
}

/** Counter deltas of a message entering (+1) or leaving (-1) the mailbox. */
function counts(m: MessageEntry, sign: 1 | -1): { unseen: number; deleted: number; size: number } {
  return { unseen: hasFlag(m.flags, SEEN) ? 0 : sign, deleted: hasFlag(m.flags, DELETED) ? sign : 0, size: m.size * sign };
}

export function applyIndexOp(s: UidIndex, op: IndexOp): UidIndex {
  switch (op.t) {
    case 'add':
      return applyAdd(s, op.uid, op.msgs);
    case 'flags':
      return applyFlags(s, op.mode, op.ids, op.flags, op.unchangedSince);
    case 'expunge':
      return applyExpunge(s, op.ids, op.deletedOnly);
  }
}

function applyAdd(s: UidIndex, proposed: number, msgs: readonly NewMessage[]): UidIndex {
  const bump = Math.max(0, s.uidnext - proposed);
  const fresh: NewMessage[] = [];
  const ids = new Set<string>();
  for (const m of msgs) {
    // Idempotent: a message added twice (two sessions moving the same delivery) or added after its removal counts once.
    if (ids.has(m.id) || s.uidById.has(m.id) || s.removedIds.has(m.id)) continue;
    ids.add(m.id);
    fresh.push(m);
  }
  if (fresh.length === 0) return bump === 0 ? s : { ...s, uidvalidityBump: s.uidvalidityBump + bump };
  const modseq = s.highestModseq + 1n;
  let { uidnext, unseen, deleted, totalSize } = s;
  const entries = fresh.map((m) => {
    const entry: MessageEntry = { id: m.id, uid: uidnext++, modseq, flags: flagSet(m.flags), size: m.size, date: m.date };
    const c = counts(entry, 1);
    unseen += c.unseen;
    deleted += c.deleted;
    totalSize += c.size;
    return entry;
  });
  return {
    ...s,
    uidvalidityBump: s.uidvalidityBump + bump,
    uidnext,
    highestModseq: modseq,
    messages: s.messages.edit((d) => entries.forEach((e) => d.append(e))),
    uidById: s.uidById.edit((d) => entries.forEach((e) => d.set(e.id, e.uid))),
    unseen,
    deleted,
    totalSize,
  };
}

function applyFlags(s: UidIndex, mode: FlagMode, ids: readonly string[], flags: FlagSet, unchangedSince: bigint | undefined): UidIndex {
  const change = flagSet(flags);
  const modseq = s.highestModseq + 1n;
  let { unseen, deleted } = s;
  const messages = s.messages.edit((d) => {
    for (const id of ids) {
      const uid = s.uidById.get(id);
      const m = uid === undefined ? undefined : d.get(uid);
      if (m === undefined || (unchangedSince !== undefined && m.modseq > unchangedSince)) continue;
      const next = changeFlags(m.flags, mode, change);
      if (sameFlags(next, m.flags)) continue;
      const updated: MessageEntry = { ...m, flags: next, modseq };
      const [before, after] = [counts(m, -1), counts(updated, 1)];
      unseen += before.unseen + after.unseen;
      deleted += before.deleted + after.deleted;
      d.replace(updated);
    }
  });
  return messages === s.messages ? s : { ...s, messages, highestModseq: modseq, unseen, deleted };
}

function applyExpunge(s: UidIndex, ids: readonly string[], deletedOnly: boolean): UidIndex {
  const gone: MessageEntry[] = [];
  const messages = s.messages.edit((d) => {
    for (const id of ids) {
      const uid = s.uidById.get(id);
      const m = uid === undefined ? undefined : d.get(uid);
      if (m === undefined || (deletedOnly && !hasFlag(m.flags, DELETED))) continue;
      d.remove(m.uid);
      gone.push(m);
    }
  });
  if (gone.length === 0) return s;
  const modseq = s.highestModseq + 1n;
  let { unseen, deleted, totalSize } = s;
  for (const m of gone) {
    const c = counts(m, -1);
    unseen += c.unseen;
    deleted += c.deleted;
    totalSize += c.size;
  }
  const uids = gone.map((m) => m.uid).sort((a, b) => a - b);
  let seq = (s.expunged.last?.seq ?? -1) + 1;
  const expunged = s.expunged.edit((d) => {
    for (let i = 0; i < uids.length; ) {
      let j = i;
      while (j + 1 < uids.length && uids[j + 1] === uids[j]! + 1) j++;
      d.append({ seq: seq++, start: uids[i]!, end: uids[j]!, modseq });
      i = j + 1;
    }
  });
  let removedSeq = (s.removed.last?.seq ?? -1) + 1;
  let removed = s.removed;
  const removedIds = s.removedIds.edit((ids) => {
    removed = s.removed.edit((d) => {
      for (const m of gone) {
        d.append({ seq: removedSeq++, id: m.id });
        ids.set(m.id, true);
      }
      while (d.size > REMEMBERED_REMOVALS) {
        const first = d.first!;
        d.remove(first.seq);
        ids.delete(first.id);
      }
    });
  });
  return {
    ...s,
    highestModseq: modseq,
    messages,
    uidById: s.uidById.edit((d) => gone.forEach((m) => d.delete(m.id))),
    expunged,
    removed,
    removedIds,
    unseen,
    deleted,
    totalSize,
  };
}

/** The set of flags used in the mailbox (for the FLAGS response). */
export function flagsInUse(s: UidIndex): FlagSet {
  const seen = new Set<FlagSet>();
  for (const m of s.messages) seen.add(m.flags);
  return flagSet([...seen].flat());
}
