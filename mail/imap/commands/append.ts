/** APPEND (RFC 3501 §6.3.11) with MULTIAPPEND (RFC 3502), UIDPLUS APPENDUID (RFC 4315), APPENDLIMIT (RFC 7889). */
import { BackendError, type AppendMessage } from '../backend.js';
import { no } from '../errors.js';
import { clientFlags } from '../flags.js';
import type { CommandName, CommandOf } from '../protocol/ast.js';
import { compactSet } from '../sequence.js';
import type { Done, Session } from '../session/session.js';

type Cmd<N extends CommandName> = CommandOf<N>;

export async function append(s: Session, cmd: Cmd<'APPEND'>): Promise<Done> {
  const messages: AppendMessage[] = cmd.messages.map((m) => {
    if (m.data.length === 0) throw no('Cannot append an empty message', 'CANNOT');
    // The reader already refused literals above the limit; this guards against the limit changing.
    if (m.data.length > s.limits.appendLimit) throw no('Message too big', 'TOOBIG');
    const msg: AppendMessage = { data: m.data, flags: clientFlags(m.flags) };
    if (m.date !== null) msg.internalDate = m.date;
    return msg;
  });
  try {
    const r = await s.account!.append(cmd.mailbox, messages);
    // Appending to the selected mailbox: its EXISTS goes before our tagged OK.
    if (s.selected?.name === cmd.mailbox) await s.selected.refresh(true);
    return { code: `APPENDUID ${r.uidValidity} ${compactSet(r.uids)}`, text: 'APPEND completed' };
  } catch (e) {
    if (e instanceof BackendError && e.kind === 'NonExistent') throw no('No such mailbox', 'TRYCREATE');
    throw e;
  }
}
