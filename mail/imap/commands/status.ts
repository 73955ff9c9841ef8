/** STATUS (RFC 3501 §6.3.10, CONDSTORE HIGHESTMODSEQ, STATUS=SIZE, IMAP4rev2 DELETED, APPENDLIMIT); also used by LIST-STATUS. */
import type { MailboxStatus } from '../backend.js';
import { mailboxOut } from '../mailbox-name.js';
import type { CommandName, CommandOf, StatusItem } from '../protocol/ast.js';
import type { Session } from '../session/session.js';

type Cmd<N extends CommandName> = CommandOf<N>;

function value(st: MailboxStatus, item: StatusItem, appendLimit: number): number {
  switch (item) {
    case 'APPENDLIMIT':
      // RFC 7889 §4: the same limit for every mailbox.
      return appendLimit;
    case 'MESSAGES':
      return st.messages;
    case 'RECENT':
      // \Recent is not kept (no session is ever the first to see a message).
      return 0;
    case 'UIDNEXT':
      return st.uidNext;
    case 'UIDVALIDITY':
      return st.uidValidity;
    case 'UNSEEN':
      return st.unseen;
    case 'HIGHESTMODSEQ':
      return st.highestModseq;
    case 'SIZE':
      return st.size;
    case 'DELETED':
      return st.deleted;
  }
}

/** "* STATUS name (ITEM n ...)". */
export function statusLine(s: Session, name: string, st: MailboxStatus, items: readonly StatusItem[]): string {
  return `* STATUS ${mailboxOut(name, s.utf8)} (${items.map((i) => `${i} ${value(st, i, s.limits.appendLimit)}`).join(' ')})\r\n`;
}

export async function status(s: Session, cmd: Cmd<'STATUS'>): Promise<void> {
  if (cmd.items.includes('HIGHESTMODSEQ')) s.condstoreUsed = true;
  const st = await s.account!.status(cmd.mailbox);
  s.write(statusLine(s, cmd.mailbox, st, cmd.items));
}
