/** EXPUNGE and UID EXPUNGE (RFC 4315): the EXPUNGE/VANISHED responses come from the session's update. */
import { no } from '../errors.js';
import type { CommandName, CommandOf } from '../protocol/ast.js';
import type { Done, Session } from '../session/session.js';

type Cmd<N extends CommandName> = CommandOf<N>;

export async function expunge(s: Session, cmd: Cmd<'EXPUNGE'>): Promise<Done> {
  const sel = s.selected!;
  if (sel.readOnly) throw no('The mailbox is read-only', 'CANNOT');
  const uids = cmd.uids === null ? undefined : sel.resolve(cmd.uids, true).map((i) => sel.meta(i).uid);
  if (uids === undefined || uids.length > 0) await sel.mailbox.expunge(uids);
  await sel.refresh(true);
  return s.condstore ? { code: `HIGHESTMODSEQ ${sel.mailbox.snapshot().highestModseq}` } : {};
}
