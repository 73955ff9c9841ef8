/**
 * STORE and UID STORE (RFC 3501 §6.4.6) with CONDSTORE's UNCHANGEDSINCE and
 * [MODIFIED] (RFC 7162 §3.1.3). With .SILENT no flags are sent back, but once
 * CONDSTORE is on the new MODSEQ still is (RFC 7162 §3.1.3, Cyrus bug 3667).
 */
import { no } from '../errors.js';
import { clientFlags } from '../flags.js';
import type { CommandName, CommandOf } from '../protocol/ast.js';
import { compactSet } from '../sequence.js';
import type { Done, Session } from '../session/session.js';

type Cmd<N extends CommandName> = CommandOf<N>;

export async function store(s: Session, cmd: Cmd<'STORE'>): Promise<Done> {
  const sel = s.selected!;
  if (sel.readOnly) throw no('The mailbox is read-only', 'CANNOT');
  if (cmd.unchangedSince !== null) s.condstoreUsed = true;
  const flags = clientFlags(cmd.flags);
  const indices = sel.resolve(cmd.set, cmd.uid);
  if (indices.length === 0) return {};
  const uids = indices.map((i) => sel.meta(i).uid);
  const r = await sel.mailbox.store(uids, cmd.mode, flags, cmd.unchangedSince ?? undefined);
  await sel.refresh(false);
  const failed = new Set(r.failed);
  sel.absorb(uids.filter((u) => !failed.has(u)));
  const opts = { qresync: s.qresync, condstore: s.condstore };
  for (const i of indices) {
    const m = sel.meta(i);
    if (failed.has(m.uid)) continue;
    if (!cmd.silent) s.write(sel.flagsFetch(i, opts, cmd.uid));
    else if (s.condstore) s.write(`* ${i + 1} FETCH (${cmd.uid || s.qresync ? `UID ${m.uid} ` : ''}MODSEQ (${m.modseq}))\r\n`);
  }
  if (failed.size === 0) return {};
  const modified = cmd.uid ? [...failed].sort((a, b) => a - b) : indices.filter((i) => failed.has(sel.meta(i).uid)).map((i) => i + 1);
  return { code: `MODIFIED ${compactSet(modified)}`, text: 'Some messages were modified meanwhile' };
}
