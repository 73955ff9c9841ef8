/**
 * LIST (RFC 3501 §6.3.8) with LIST-EXTENDED (RFC 5258: selection and return
 * options, several patterns), SPECIAL-USE attributes (RFC 6154), CHILDREN (RFC 3348),
 * LIST-STATUS (RFC 5819); and LSUB.
 *
 * A parent that does not exist but has children ("a" for "a/b") is listed as
 * \Noselect, as RFC 3501 asks for "%" matches.
 */
import { BackendError, SEPARATOR, type MailboxInfo } from '../backend.js';
import { listMatcher, mailboxOut, parentsOf } from '../mailbox-name.js';
import type { CommandName, CommandOf } from '../protocol/ast.js';
import type { Session } from '../session/session.js';
import { statusLine } from './status.js';

type Cmd<N extends CommandName> = CommandOf<N>;

interface Entry {
  name: string;
  info: MailboxInfo | null;
  subscribed: boolean;
  hasChildren: boolean;
  /** RECURSIVEMATCH: a child is subscribed. */
  subscribedChild: boolean;
}

/** Sorted, INBOX first. */
function byName(a: Entry, b: Entry): number {
  if (a.name === 'INBOX') return -1;
  if (b.name === 'INBOX') return 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

async function entries(s: Session): Promise<Map<string, Entry>> {
  const a = s.account!;
  const [boxes, subs] = await Promise.all([a.mailboxes(), a.subscriptions()]);
  const subscribed = new Set(subs);
  const map = new Map<string, Entry>();
  const get = (name: string): Entry => {
    let e = map.get(name);
    if (e === undefined) map.set(name, (e = { name, info: null, subscribed: subscribed.has(name), hasChildren: false, subscribedChild: false }));
    return e;
  };
  for (const info of boxes) {
    get(info.name).info = info;
    for (const p of parentsOf(info.name)) get(p).hasChildren = true;
  }
  for (const name of subscribed) {
    get(name);
    for (const p of parentsOf(name)) get(p).subscribedChild = true;
  }
  return map;
}

export async function list(s: Session, cmd: Cmd<'LIST'>): Promise<void> {
  const { selection, returns } = cmd;
  if (cmd.patterns.length === 1 && cmd.patterns[0] === '' && !cmd.extended) {
    // The hierarchy delimiter and root name (RFC 3501 §6.3.8).
    s.write(`* LIST (\\Noselect) "${SEPARATOR}" ""\r\n`);
    return;
  }
  const matchers = cmd.patterns.filter((p) => p !== '').map((p) => listMatcher(cmd.reference, p));
  const all = [...(await entries(s)).values()].sort(byName);
  const showSubscribed = selection.subscribed || returns.subscribed;
  for (const e of all) {
    if (!matchers.some((m) => m(e.name))) continue;
    const exists = e.info !== null;
    const phantomParent = !exists && e.hasChildren;
    if (selection.subscribed && !e.subscribed && !(selection.recursiveMatch && e.subscribedChild)) continue;
    if (selection.specialUse && e.info?.specialUse == null) continue;
    // Names that are neither mailboxes nor parents only show up through a subscription.
    if (!exists && !phantomParent && !selection.subscribed) continue;
    const attrs: string[] = [];
    if (!exists) attrs.push(selection.subscribed && !phantomParent ? '\\NonExistent' : '\\Noselect');
    attrs.push(e.hasChildren ? '\\HasChildren' : '\\HasNoChildren');
    if (showSubscribed && e.subscribed) attrs.push('\\Subscribed');
    if (e.info?.specialUse != null) attrs.push(e.info.specialUse);
    let extra = '';
    if (selection.recursiveMatch && e.subscribedChild && !e.subscribed) extra = ' ("CHILDINFO" ("SUBSCRIBED"))';
    s.write(`* LIST (${attrs.join(' ')}) "${SEPARATOR}" ${mailboxOut(e.name, s.utf8)}${extra}\r\n`);
    if (returns.status !== null && exists) await listStatus(s, e.name, returns.status);
  }
}

async function listStatus(s: Session, name: string, items: NonNullable<Cmd<'LIST'>['returns']['status']>): Promise<void> {
  if (items.includes('HIGHESTMODSEQ')) s.condstoreUsed = true;
  try {
    s.write(statusLine(s, name, await s.account!.status(name), items));
  } catch (e) {
    // Deleted meanwhile: RFC 5819 lets us skip its STATUS.
    if (!(e instanceof BackendError && e.kind === 'NonExistent')) throw e;
  }
}

export async function lsub(s: Session, cmd: Cmd<'LSUB'>): Promise<void> {
  if (cmd.pattern === '') {
    s.write(`* LSUB (\\Noselect) "${SEPARATOR}" ""\r\n`);
    return;
  }
  const match = listMatcher(cmd.reference, cmd.pattern);
  const all = [...(await entries(s)).values()].sort(byName);
  for (const e of all) {
    if (!match(e.name)) continue;
    // A "%" match on a parent of subscribed names shows it as \Noselect (RFC 3501 §6.3.9).
    if (!e.subscribed && !(e.subscribedChild && cmd.pattern.endsWith('%'))) continue;
    const attrs = !e.subscribed || e.info === null ? '\\Noselect' : '';
    s.write(`* LSUB (${attrs}) "${SEPARATOR}" ${mailboxOut(e.name, s.utf8)}\r\n`);
  }
}
