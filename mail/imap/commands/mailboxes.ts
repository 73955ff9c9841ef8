/** The mailbox tree: CREATE (with CREATE-SPECIAL-USE), DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE. */
import { BackendError, type ImapAccount } from '../backend.js';
import { no } from '../errors.js';
import { invalidNameReason, parentsOf } from '../mailbox-name.js';
import type { CommandName, CommandOf } from '../protocol/ast.js';
import type { Session } from '../session/session.js';

type Cmd<N extends CommandName> = CommandOf<N>;

function account(s: Session): ImapAccount {
  return s.account!;
}

function requireValidName(name: string): void {
  const reason = invalidNameReason(name);
  if (reason !== null) throw no(reason, 'CANNOT');
}

/** Creates the missing parents of `name` (RFC 3501 §6.3.3: "SHOULD create any superior hierarchical names"). */
async function createParents(a: ImapAccount, name: string): Promise<void> {
  const existing = new Set((await a.mailboxes()).map((m) => m.name));
  for (const parent of parentsOf(name)) {
    if (existing.has(parent)) continue;
    await a.create(parent).catch((e: unknown) => {
      if (!(e instanceof BackendError && e.kind === 'AlreadyExists')) throw e;
    });
  }
}

export async function create(s: Session, cmd: Cmd<'CREATE'>): Promise<void> {
  if (cmd.mailbox === 'INBOX') throw no('INBOX always exists', 'ALREADYEXISTS');
  requireValidName(cmd.mailbox);
  const a = account(s);
  await createParents(a, cmd.mailbox);
  await a.create(cmd.mailbox, cmd.specialUse ?? undefined);
}

export async function del(s: Session, cmd: Cmd<'DELETE'>): Promise<void> {
  if (cmd.mailbox === 'INBOX') throw no('INBOX cannot be deleted', 'CANNOT');
  if (s.selected?.name === cmd.mailbox) throw no('Close the mailbox before deleting it', 'INUSE');
  await account(s).delete(cmd.mailbox);
}

export async function rename(s: Session, cmd: Cmd<'RENAME'>): Promise<void> {
  if (cmd.to === 'INBOX') throw no('INBOX already exists', 'ALREADYEXISTS');
  requireValidName(cmd.to);
  if (cmd.to === cmd.from) throw no('The names are the same', 'CANNOT');
  if (cmd.to.startsWith(`${cmd.from}/`)) throw no('A mailbox cannot move under itself', 'CANNOT');
  const a = account(s);
  await createParents(a, cmd.to);
  await a.rename(cmd.from, cmd.to);
}

export async function subscribe(s: Session, cmd: Cmd<'SUBSCRIBE'>): Promise<void> {
  requireValidName(cmd.mailbox);
  await account(s).setSubscribed(cmd.mailbox, true);
}

export async function unsubscribe(s: Session, cmd: Cmd<'UNSUBSCRIBE'>): Promise<void> {
  await account(s).setSubscribed(cmd.mailbox, false);
}
