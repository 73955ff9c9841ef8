/**
 * SEARCH and UID SEARCH: the classic "* SEARCH" answer, or ESEARCH (RFC 4731) with
 * RETURN (MIN MAX COUNT ALL) and SAVE (RFC 5182) — always ESEARCH once IMAP4rev2 is
 * enabled. With a MODSEQ key the answer carries the highest modseq (RFC 7162).
 */
import type { CommandName, CommandOf, SearchKey, SearchReturn } from '../protocol/ast.js';
import { compactSet } from '../sequence.js';
import type { Session } from '../session/session.js';
import { searchMailbox, usesModseq } from '../search/evaluate.js';

type Cmd<N extends CommandName> = CommandOf<N>;

/** Indices matching, for SEARCH, SORT and THREAD. */
export async function matching(s: Session, key: SearchKey): Promise<number[]> {
  if (usesModseq(key)) s.condstoreUsed = true;
  return searchMailbox({ sel: s.selected!, now: Date.now() }, key);
}

/** "* ESEARCH (TAG "t") [UID] MIN .. MAX .. COUNT .. ALL .. [MODSEQ ..]" for the result (numbers ascending). */
export function esearchLine(tag: string, uid: boolean, numbers: readonly number[], returns: readonly SearchReturn[], modseq: number | null): string {
  // RETURN () means RETURN (ALL).
  const opts = returns.length === 0 ? ['ALL'] : returns;
  let line = `* ESEARCH (TAG "${tag.replace(/["\\]/g, '\\$&')}")${uid ? ' UID' : ''}`;
  if (numbers.length > 0) {
    if (opts.includes('MIN')) line += ` MIN ${numbers[0]}`;
    if (opts.includes('MAX')) line += ` MAX ${numbers[numbers.length - 1]}`;
  }
  if (opts.includes('COUNT')) line += ` COUNT ${numbers.length}`;
  if (opts.includes('ALL') && numbers.length > 0) line += ` ALL ${compactSet(numbers)}`;
  if (modseq !== null && numbers.length > 0) line += ` MODSEQ ${modseq}`;
  return `${line}\r\n`;
}

export async function search(s: Session, cmd: Cmd<'SEARCH'>, tag: string): Promise<void> {
  const sel = s.selected!;
  const found = await matching(s, cmd.key);
  const uids = found.map((i) => sel.meta(i).uid);
  const numbers = cmd.uid ? uids : found.map((i) => i + 1);
  const modseq = usesModseq(cmd.key) && found.length > 0 ? Math.max(...found.map((i) => sel.meta(i).modseq)) : null;
  const returns = cmd.returns;
  if (returns === null) {
    if (s.rev2) s.write(esearchLine(tag, cmd.uid, numbers, ['ALL'], modseq));
    else s.write(`* SEARCH${numbers.map((n) => ` ${n}`).join('')}${modseq === null ? '' : ` (MODSEQ ${modseq})`}\r\n`);
    return;
  }
  if (returns.includes('SAVE')) {
    // SAVE with MIN and/or MAX alone saves just those (RFC 5182 §2.4).
    const onlyEnds = (returns.includes('MIN') || returns.includes('MAX')) && !returns.includes('ALL') && !returns.includes('COUNT');
    if (onlyEnds && uids.length > 0) {
      const ends = new Set<number>();
      if (returns.includes('MIN')) ends.add(uids[0]!);
      if (returns.includes('MAX')) ends.add(uids[uids.length - 1]!);
      sel.saved = [...ends].sort((a, b) => a - b);
    } else {
      sel.saved = uids;
    }
    if (returns.length === 1) return;
  }
  s.write(esearchLine(tag, cmd.uid, numbers, returns.filter((r) => r !== 'SAVE'), modseq));
}
