/**
 * Changes to the mailbox list, as pure functions of the merged state. Each takes the
 * writer's timestamp (`ts`, later than anything it has seen) and the current time in
 * seconds (`now`): a new binding of a name gets UIDVALIDITY max(floor + 1, now), so
 * even UID conflicts counted after a deletion stay below what a re-creation gets.
 */
import { MailboxError } from './errors.js';
import { findMailbox, liveMailboxes, type Lww, type MailboxInfo, type MailboxListState, type MailboxRecord, type SpecialUse } from './mailbox-list.js';
import { INBOX, isBelow, normalizeName, parentsOf } from './names.js';

export interface Clocked {
  ts: string;
  /** Seconds since the epoch. */
  now: number;
}

const ZERO = '0';

function requireMailbox(s: MailboxListState, name: string): MailboxInfo {
  const m = findMailbox(s, name);
  if (m === undefined) throw new MailboxError('NoSuchMailbox', `no mailbox named "${name}"`);
  return m;
}

function newUidvalidity(s: MailboxListState, name: string, now: number): number {
  return Math.max((s.floors.get(name) ?? 0) + 1, now, 1);
}

function withRecords(s: MailboxListState, records: [string, MailboxRecord][], floors: [string, number][] = []): MailboxListState {
  const mailboxes = new Map(s.mailboxes);
  for (const [id, r] of records) mailboxes.set(id, r);
  const f = new Map(s.floors);
  for (const [name, uv] of floors) f.set(name, Math.max(f.get(name) ?? 0, uv));
  return { ...s, mailboxes, floors: f };
}

function record(name: string, c: Clocked, uidvalidity: number, specialUse: SpecialUse | null): MailboxRecord {
  return { name: { ts: c.ts, v: name }, created: c.ts, uidvalidity, deleted: null, specialUse: { ts: c.ts, v: specialUse }, purged: false };
}

/**
 * Creates `name` (and the missing levels above it, as RFC 9051 asks); `newId` gives a
 * fresh id per mailbox created. MailboxExists if it exists.
 */
export function createMailbox(s: MailboxListState, rawName: string, c: Clocked, newId: () => string, specialUse: SpecialUse | null = null): MailboxListState {
  const name = normalizeName(rawName);
  if (findMailbox(s, name) !== undefined) throw new MailboxError('MailboxExists', `mailbox "${name}" already exists`);
  const records: [string, MailboxRecord][] = [];
  for (const parent of parentsOf(name)) {
    if (findMailbox(s, parent) === undefined) records.push([newId(), record(parent, c, newUidvalidity(s, parent, c.now), null)]);
  }
  records.push([newId(), record(name, c, newUidvalidity(s, name, c.now), specialUse)]);
  return withRecords(s, records);
}

/**
 * Renames `from` and the mailboxes below it. Renaming INBOX moves its content to the
 * new name and leaves a new empty INBOX (`newId` names it); its children stay.
 * `uidvalidityOf` gives a mailbox's current UIDVALIDITY (with its conflicts), recorded
 * as the floor of the names it leaves.
 */
export function renameMailbox(
  s: MailboxListState,
  rawFrom: string,
  rawTo: string,
  c: Clocked,
  newId: () => string,
  uidvalidityOf: (m: MailboxInfo) => number = (m) => m.uidvalidity,
): MailboxListState {
  const from = normalizeName(rawFrom);
  const to = normalizeName(rawTo);
  const source = requireMailbox(s, from);
  if (findMailbox(s, to) !== undefined) throw new MailboxError('MailboxExists', `mailbox "${to}" already exists`);
  if (to === from || isBelow(to, from)) throw new MailboxError('InvalidMailboxName', `cannot rename "${from}" into itself`);
  const moving = from === INBOX ? [source] : liveMailboxes(s).filter((m) => m.name === from || isBelow(m.name, from));
  const records: [string, MailboxRecord][] = [];
  const floors: [string, number][] = [];
  const subscriptions = new Map(s.subscriptions);
  for (const m of moving) {
    const target = to + m.name.slice(from.length);
    const r = s.mailboxes.get(m.id)!;
    floors.push([m.name, uidvalidityOf(m)]);
    const name: Lww<string> = { ts: c.ts, v: target };
    records.push([m.id, { ...r, name, uidvalidity: Math.max(r.uidvalidity, (s.floors.get(target) ?? 0) + 1) }]);
    const sub = subscriptions.get(m.name);
    if (sub?.v === true) {
      subscriptions.set(m.name, { ts: c.ts, v: false });
      subscriptions.set(target, { ts: c.ts, v: true });
    }
  }
  for (const parent of parentsOf(to)) {
    if (findMailbox(s, parent) === undefined) records.push([newId(), record(parent, c, newUidvalidity(s, parent, c.now), null)]);
  }
  const moved = withRecords({ ...s, subscriptions }, records, floors);
  if (from !== INBOX) return moved;
  return withRecords(moved, [[newId(), record(INBOX, c, newUidvalidity(moved, INBOX, c.now), null)]]);
}

/** Deletes `name` (not the mailboxes below it); its content is removed later (see markPurged). */
export function deleteMailbox(s: MailboxListState, rawName: string, c: Clocked, uidvalidityOf: (m: MailboxInfo) => number = (m) => m.uidvalidity): MailboxListState {
  const name = normalizeName(rawName);
  if (name === INBOX) throw new MailboxError('InboxProtected', 'INBOX cannot be deleted');
  const m = requireMailbox(s, name);
  const r = s.mailboxes.get(m.id)!;
  return withRecords(s, [[m.id, { ...r, deleted: c.ts }]], [[m.name, uidvalidityOf(m)]]);
}

/** SUBSCRIBE / UNSUBSCRIBE: any valid name, existing or not (RFC 9051 §6.3.7). */
export function setSubscribed(s: MailboxListState, rawName: string, subscribed: boolean, c: Clocked): MailboxListState {
  const name = normalizeName(rawName);
  const subscriptions = new Map(s.subscriptions);
  subscriptions.set(name, { ts: c.ts, v: subscribed });
  return { ...s, subscriptions };
}

export function setSpecialUse(s: MailboxListState, rawName: string, use: SpecialUse | null, c: Clocked): MailboxListState {
  const m = requireMailbox(s, normalizeName(rawName));
  const r = s.mailboxes.get(m.id)!;
  return withRecords(s, [[m.id, { ...r, specialUse: { ts: c.ts, v: use } }]]);
}

/** Deleted mailboxes whose content is still in storage. */
export function unpurged(s: MailboxListState): string[] {
  return [...s.mailboxes].filter(([, r]) => r.deleted !== null && !r.purged).map(([id]) => id);
}

export function markPurged(s: MailboxListState, id: string): MailboxListState {
  const r = s.mailboxes.get(id);
  return r === undefined || r.purged ? s : withRecords(s, [[id, { ...r, purged: true }]]);
}

/** The mailboxes every account starts with, and their roles (RFC 6154). */
const DEFAULT_MAILBOXES: readonly [string, SpecialUse | null][] = [
  [INBOX, null],
  ['Sent', '\\Sent'],
  ['Drafts', '\\Drafts'],
  ['Trash', '\\Trash'],
  ['Junk', '\\Junk'],
  ['Archive', '\\Archive'],
];

/**
 * The list of a new account. Ids come from `idOf(name)`, derived from the user's key,
 * so two sessions provisioning at once write identical entries that merge into one.
 */
export function defaultList(idOf: (name: string) => string): MailboxListState {
  const c: Clocked = { ts: ZERO, now: 1 };
  const mailboxes = new Map<string, MailboxRecord>(DEFAULT_MAILBOXES.map(([name, use]) => [idOf(name), record(name, c, 1, use)]));
  const subscriptions = new Map<string, Lww<boolean>>(DEFAULT_MAILBOXES.map(([name]) => [name, { ts: ZERO, v: true }]));
  return { mailboxes, subscriptions, floors: new Map() };
}
