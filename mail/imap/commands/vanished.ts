/** VANISHED (EARLIER) (RFC 7162 §3.2.5.1 and §3.2.6): the UIDs expunged since a modseq the client knows. */
import type { MailboxSnapshot } from '../backend.js';
import { expandRanges, type SeqRange } from '../sequence.js';
import type { Session } from '../session/session.js';

/** "a:b,..." of UIDs below uidNext that no message has, within `known` when given. */
function missingUids(snap: MailboxSnapshot, known: ReadonlyArray<readonly [number, number]> | null): string {
  const ranges: Array<[number, number]> = [];
  const add = (a: number, b: number): void => {
    if (a > b) return;
    if (known === null) {
      ranges.push([a, b]);
      return;
    }
    for (const [ka, kb] of known) {
      const lo = Math.max(a, ka);
      const hi = Math.min(b, kb);
      if (lo <= hi) ranges.push([lo, hi]);
    }
  };
  let next = 1;
  for (const m of snap.messages) {
    add(next, m.uid - 1);
    next = m.uid + 1;
  }
  add(next, snap.uidNext - 1);
  return ranges.map(([a, b]) => (a === b ? String(a) : `${a}:${b}`)).join(',');
}

/** The ranges clipped to `known` (when given), merged, as "a:b,c". */
function clipped(ranges: Array<[number, number]>, known: ReadonlyArray<readonly [number, number]> | null): string {
  const spans = expandRanges(
    ranges.map(([from, to]) => ({ from, to })),
    0,
  );
  const out: Array<[number, number]> = [];
  for (const [a, b] of spans) {
    if (known === null) out.push([a, b]);
    else for (const [ka, kb] of known) if (Math.max(a, ka) <= Math.min(b, kb)) out.push([Math.max(a, ka), Math.min(b, kb)]);
  }
  return out.map(([a, b]) => (a === b ? String(a) : `${a}:${b}`)).join(',');
}

/**
 * Sends "* VANISHED (EARLIER) uids" for UIDs within `known` (all when null) expunged
 * after `modseq`. When the store no longer knows, every UID below UIDNEXT that no
 * message has is reported: more than needed, which the RFC allows.
 */
export async function vanishedEarlier(s: Session, known: readonly SeqRange[] | null, modseq: number): Promise<void> {
  const sel = s.selected!;
  const snap = sel.mailbox.snapshot();
  const spans = known === null ? null : expandRanges(known, Math.max(snap.uidNext - 1, 1));
  const expunged = await sel.mailbox.expungedSince(modseq);
  const text = expunged === null ? missingUids(snap, spans) : clipped(expunged, spans);
  if (text !== '') s.write(`* VANISHED (EARLIER) ${text}\r\n`);
}
