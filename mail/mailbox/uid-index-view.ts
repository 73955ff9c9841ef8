/** Read-only queries on a uid index snapshot (what SELECT, FETCH and QRESYNC ask). */
import type { MessageEntry, UidIndex } from './uid-index.js';

/** The message with this UID, or undefined. */
export function byUid(s: UidIndex, uid: number): MessageEntry | undefined {
  return s.messages.get(uid);
}

export function byId(s: UidIndex, id: string): MessageEntry | undefined {
  const uid = s.uidById.get(id);
  return uid === undefined ? undefined : s.messages.get(uid);
}

/** The message with sequence number `seq` (1-based), or undefined. */
export function bySeq(s: UidIndex, seq: number): MessageEntry | undefined {
  return s.messages.toArray()[seq - 1];
}

/** Sequence number of `uid` (1-based), or 0 when no message has it. */
export function seqOf(s: UidIndex, uid: number): number {
  const all = s.messages.toArray();
  let lo = 0;
  let hi = all.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const u = all[mid]!.uid;
    if (u === uid) return mid + 1;
    if (u < uid) lo = mid + 1;
    else hi = mid;
  }
  return 0;
}

/** Messages whose MODSEQ is above `modseq` (CHANGEDSINCE), in UID order. */
export function changedSince(s: UidIndex, modseq: bigint): MessageEntry[] {
  return s.messages.toArray().filter((m) => m.modseq > modseq);
}

/** UID ranges [start, end] expunged after `modseq` (QRESYNC VANISHED (EARLIER)), in expunge order. */
export function vanishedSince(s: UidIndex, modseq: bigint): [number, number][] {
  const ranges = s.expunged.toArray();
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid]!.modseq <= modseq) lo = mid + 1;
    else hi = mid;
  }
  return ranges.slice(lo).map((r) => [r.start, r.end]);
}
