/**
 * The mailbox list: a state-based CRDT kept in one K2V row. Concurrent writers leave
 * sibling values; a reader merges them (merge is commutative, associative and
 * idempotent) and writes the result back with the token that covers them.
 *
 * Mailboxes are keyed by their random id, not their name, so that RENAME is a change
 * of one register and two devices creating the same name concurrently both keep their
 * mailbox and its content: the older one gets the name, the other is listed as
 * "name [id prefix]" until renamed. A deleted mailbox is a tombstone, and every name
 * remembers the highest UIDVALIDITY it was ever bound to (`floors`), so a mailbox
 * created again under that name gets a higher one. Subscriptions are by name, as IMAP
 * has them (a name may be subscribed without existing).
 */
import { decode, encode } from '../../core/util/codec.js';

/** A last-writer-wins register; `ts` is a log timestamp (mail/bayou/timestamp.ts). */
export interface Lww<T> {
  readonly ts: string;
  readonly v: T;
}

export const SPECIAL_USES = ['\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash'] as const;
export type SpecialUse = (typeof SPECIAL_USES)[number];

export interface MailboxRecord {
  readonly name: Lww<string>;
  /** When it was created: the oldest of two mailboxes claiming one name keeps it. */
  readonly created: string;
  /** UIDVALIDITY of the mailbox before UID conflicts (its uid index adds those). */
  readonly uidvalidity: number;
  /** When it was deleted, or null. Once deleted, always deleted. */
  readonly deleted: string | null;
  readonly specialUse: Lww<SpecialUse | null>;
  /** Its content was removed from storage (after deletion). */
  readonly purged: boolean;
}

export interface MailboxListState {
  readonly mailboxes: ReadonlyMap<string, MailboxRecord>;
  readonly subscriptions: ReadonlyMap<string, Lww<boolean>>;
  /** Per name, the highest UIDVALIDITY it was ever bound to. */
  readonly floors: ReadonlyMap<string, number>;
}

export const EMPTY_LIST: MailboxListState = Object.freeze({ mailboxes: new Map(), subscriptions: new Map(), floors: new Map() });

function newer<T>(a: Lww<T>, b: Lww<T>): Lww<T> {
  if (a.ts !== b.ts) return a.ts > b.ts ? a : b;
  // Equal timestamps (the same write seen twice, or defaults): any total order on values.
  return JSON.stringify(a.v) >= JSON.stringify(b.v) ? a : b;
}

function maxOrNull(a: string | null, b: string | null): string | null {
  return a === null ? b : b === null ? a : a > b ? a : b;
}

function mergeRecord(a: MailboxRecord, b: MailboxRecord): MailboxRecord {
  return {
    name: newer(a.name, b.name),
    created: a.created < b.created ? a.created : b.created,
    uidvalidity: Math.max(a.uidvalidity, b.uidvalidity),
    deleted: maxOrNull(a.deleted, b.deleted),
    specialUse: newer(a.specialUse, b.specialUse),
    purged: a.purged || b.purged,
  };
}

function mergeMaps<V>(a: ReadonlyMap<string, V>, b: ReadonlyMap<string, V>, merge: (x: V, y: V) => V): Map<string, V> {
  const out = new Map(a);
  for (const [k, v] of b) {
    const mine = out.get(k);
    out.set(k, mine === undefined ? v : merge(mine, v));
  }
  return out;
}

export function mergeLists(a: MailboxListState, b: MailboxListState): MailboxListState {
  return {
    mailboxes: mergeMaps(a.mailboxes, b.mailboxes, mergeRecord),
    subscriptions: mergeMaps(a.subscriptions, b.subscriptions, newer),
    floors: mergeMaps(a.floors, b.floors, Math.max),
  };
}

/** A mailbox as the protocols see it. */
export interface MailboxInfo {
  id: string;
  name: string;
  /** Before UID conflicts: the mailbox's UIDVALIDITY is this plus its index's uidvalidityBump. */
  uidvalidity: number;
  specialUse: SpecialUse | null;
  subscribed: boolean;
}

/** The live mailboxes with the names they are shown under, sorted by name. */
export function liveMailboxes(s: MailboxListState): MailboxInfo[] {
  const byName = new Map<string, [string, MailboxRecord][]>();
  for (const [id, r] of s.mailboxes) {
    if (r.deleted !== null) continue;
    const claim = byName.get(r.name.v);
    if (claim === undefined) byName.set(r.name.v, [[id, r]]);
    else claim.push([id, r]);
  }
  const out: MailboxInfo[] = [];
  for (const [name, claims] of byName) {
    claims.sort(([ia, a], [ib, b]) => (a.created !== b.created ? (a.created < b.created ? -1 : 1) : ia < ib ? -1 : 1));
    claims.forEach(([id, r], i) => {
      const shown = i === 0 ? name : `${name} [${id.slice(0, 8)}]`;
      out.push({ id, name: shown, uidvalidity: r.uidvalidity, specialUse: r.specialUse.v, subscribed: s.subscriptions.get(shown)?.v ?? false });
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function findMailbox(s: MailboxListState, name: string): MailboxInfo | undefined {
  return liveMailboxes(s).find((m) => m.name === name);
}

/** Names subscribed to (LSUB / LIST (SUBSCRIBED)), existing or not. */
export function subscribedNames(s: MailboxListState): string[] {
  return [...s.subscriptions].filter(([, l]) => l.v).map(([n]) => n).sort();
}

type RecordRow = [string, string, string, string, number, string | null, string, SpecialUse | null, boolean];

export function encodeList(s: MailboxListState): Buffer {
  return encode({
    v: 1,
    m: [...s.mailboxes].map(([id, r]): RecordRow => [id, r.name.ts, r.name.v, r.created, r.uidvalidity, r.deleted, r.specialUse.ts, r.specialUse.v, r.purged]),
    s: [...s.subscriptions].map(([n, l]) => [n, l.ts, l.v]),
    f: [...s.floors],
  });
}

export function decodeList(bytes: Uint8Array): MailboxListState {
  const o = decode<{ v?: unknown; m?: RecordRow[]; s?: [string, string, boolean][]; f?: [string, number][] }>(bytes);
  if (o.v !== 1 || !Array.isArray(o.m) || !Array.isArray(o.s) || !Array.isArray(o.f)) throw new TypeError('mailbox list: unknown format');
  return {
    mailboxes: new Map(
      o.m.map(([id, nameTs, name, created, uidvalidity, deleted, suTs, su, purged]) => [
        id,
        { name: { ts: nameTs, v: name }, created, uidvalidity, deleted, specialUse: { ts: suTs, v: su }, purged },
      ]),
    ),
    subscriptions: new Map(o.s.map(([n, ts, v]) => [n, { ts, v }])),
    floors: new Map(o.f),
  };
}
