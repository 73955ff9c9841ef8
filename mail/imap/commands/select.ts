/**
 * SELECT and EXAMINE (RFC 3501 §6.3.1-2, RFC 9051, CONDSTORE and QRESYNC
 * parameters of RFC 7162 §3.2.5), CLOSE and UNSELECT (RFC 3691).
 */
import { bad } from '../errors.js';
import { mailboxOut } from '../mailbox-name.js';
import type { CommandName, CommandOf, QresyncParams } from '../protocol/ast.js';
import { SelectedMailbox } from '../session/selected.js';
import type { Done, Session } from '../session/session.js';
import { vanishedEarlier } from './vanished.js';
import type { MailboxSnapshot } from '../backend.js';

type Cmd<N extends CommandName> = CommandOf<N>;

/** QRESYNC resynchronisation: what vanished and what changed since the client's modseq. */
async function qresync(s: Session, sel: SelectedMailbox, q: QresyncParams): Promise<void> {
  if (q.uidValidity !== sel.snapshot.uidValidity) return;
  await vanishedEarlier(s, q.knownUids === null || q.knownUids.kind === 'saved' ? null : q.knownUids.ranges, q.modseq);
  for (let i = 0; i < sel.count; i++) {
    if (sel.meta(i).modseq > q.modseq) s.write(sel.flagsFetch(i, { qresync: true, condstore: true }, true));
  }
}

async function open(s: Session, cmd: Cmd<'SELECT'> | Cmd<'EXAMINE'>): Promise<Done> {
  if (cmd.qresync !== null && !s.qresync) throw bad('Enable QRESYNC first');
  if (s.selected !== null) {
    await s.deselect();
    if (s.qresync || s.rev2) s.write('* OK [CLOSED] Previous mailbox closed\r\n');
  }
  if (cmd.condstore) s.condstoreUsed = true;
  const readOnly = cmd.name === 'EXAMINE';
  const mailbox = await s.account!.open(cmd.mailbox, { readOnly });
  let snap: MailboxSnapshot;
  try {
    snap = await mailbox.refresh();
  } catch (e) {
    await mailbox.close();
    throw e;
  }
  const sel = new SelectedMailbox(cmd.mailbox, mailbox, readOnly, snap, () => s.mailboxChanged());
  s.selected = sel;
  s.state = 'selected';
  s.write(sel.flagsLine());
  s.write(sel.permanentFlagsLine());
  s.write(`* ${sel.count} EXISTS\r\n`);
  if (!s.rev2) {
    s.write('* 0 RECENT\r\n');
    const firstUnseen = snap.messages.findIndex((m) => !m.flags.includes('\\Seen'));
    if (firstUnseen >= 0) s.write(`* OK [UNSEEN ${firstUnseen + 1}] First unseen\r\n`);
  }
  s.write(`* OK [UIDVALIDITY ${snap.uidValidity}] UIDs valid\r\n`);
  s.write(`* OK [UIDNEXT ${snap.uidNext}] Predicted next UID\r\n`);
  s.write(`* OK [HIGHESTMODSEQ ${snap.highestModseq}] Highest\r\n`);
  if (s.rev2) s.write(`* LIST () "/" ${mailboxOut(cmd.mailbox, s.utf8)}\r\n`);
  if (cmd.qresync !== null) await qresync(s, sel, cmd.qresync);
  return { code: readOnly ? 'READ-ONLY' : 'READ-WRITE', text: `${cmd.name} completed` };
}

export const select = open;
export const examine = open;

export async function close(s: Session): Promise<void> {
  const sel = s.selected!;
  // CLOSE expunges silently (RFC 3501 §6.4.2).
  if (!sel.readOnly) await sel.mailbox.expunge();
  await s.deselect();
}

export async function unselect(s: Session): Promise<void> {
  await s.deselect();
}
