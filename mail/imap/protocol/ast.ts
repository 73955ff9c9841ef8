/** Parsed commands: what the session executes. */
import type { SpecialUse } from '../backend.js';
import type { SequenceSet } from '../sequence.js';

/** A BODY[...] / BINARY[...] section (RFC 3501 §6.4.5, RFC 3516). */
export interface Section {
  /** Part numbers, [] for the whole message. */
  path: number[];
  text: null | 'HEADER' | 'TEXT' | 'MIME' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT';
  /** For HEADER.FIELDS(.NOT): field names as the client wrote them. */
  fields: string[];
}

export interface Partial {
  offset: number;
  length: number;
}

export type FetchAtt =
  | { kind: 'FLAGS' | 'UID' | 'INTERNALDATE' | 'RFC822.SIZE' | 'ENVELOPE' | 'BODYSTRUCTURE' | 'BODY' | 'MODSEQ' }
  | { kind: 'RFC822' | 'RFC822.HEADER' | 'RFC822.TEXT' }
  | { kind: 'PREVIEW'; lazy: boolean }
  | { kind: 'BODY[]'; peek: boolean; section: Section; partial: Partial | null }
  | { kind: 'BINARY[]'; peek: boolean; path: number[]; partial: Partial | null }
  | { kind: 'BINARY.SIZE'; path: number[] };

export type SearchKey =
  | { kind: 'all' }
  | { kind: 'seq'; set: SequenceSet }
  | { kind: 'uid'; set: SequenceSet }
  /** A flag set (or, with `not`, unset): ANSWERED, UNSEEN, KEYWORD x, ... */
  | { kind: 'flag'; flag: string; not: boolean }
  | { kind: 'recent' | 'new' | 'old' }
  | { kind: 'header'; field: string; value: string }
  | { kind: 'body' | 'text'; value: string }
  /** Dates as ms at 00:00 UTC of the day. */
  | { kind: 'date'; on: 'internal' | 'sent'; op: 'before' | 'on' | 'since'; date: number }
  | { kind: 'size'; op: 'larger' | 'smaller'; size: number }
  | { kind: 'modseq'; modseq: number }
  | { kind: 'within'; op: 'older' | 'younger'; seconds: number }
  | { kind: 'not'; key: SearchKey }
  | { kind: 'or'; a: SearchKey; b: SearchKey }
  | { kind: 'and'; keys: SearchKey[] };

export type SearchReturn = 'MIN' | 'MAX' | 'COUNT' | 'ALL' | 'SAVE';

export type StatusItem = 'MESSAGES' | 'RECENT' | 'UIDNEXT' | 'UIDVALIDITY' | 'UNSEEN' | 'HIGHESTMODSEQ' | 'SIZE' | 'DELETED' | 'APPENDLIMIT';
export const STATUS_ITEMS: readonly StatusItem[] = ['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'HIGHESTMODSEQ', 'SIZE', 'DELETED', 'APPENDLIMIT'];

export interface QresyncParams {
  uidValidity: number;
  modseq: number;
  knownUids: SequenceSet | null;
  /** Known sequence numbers and the UIDs they had. */
  seqMatch: { seqs: SequenceSet; uids: SequenceSet } | null;
}

export interface ListSelection {
  subscribed: boolean;
  remote: boolean;
  recursiveMatch: boolean;
  specialUse: boolean;
}

export interface ListReturn {
  subscribed: boolean;
  children: boolean;
  specialUse: boolean;
  status: StatusItem[] | null;
}

export interface AppendItem {
  flags: string[];
  date: number | null;
  data: Buffer;
}

export type SortKey = { key: 'ARRIVAL' | 'CC' | 'DATE' | 'FROM' | 'SIZE' | 'SUBJECT' | 'TO' | 'DISPLAYFROM' | 'DISPLAYTO'; reverse: boolean };

export type Command =
  | { name: 'CAPABILITY' | 'NOOP' | 'LOGOUT' | 'STARTTLS' | 'NAMESPACE' | 'IDLE' | 'CHECK' | 'CLOSE' | 'UNSELECT' }
  | { name: 'LOGIN'; user: string; password: string }
  | { name: 'AUTHENTICATE'; mechanism: string; initial: string | null }
  | { name: 'ID'; params: Array<[string, string | null]> | null }
  | { name: 'ENABLE'; capabilities: string[] }
  | { name: 'SELECT' | 'EXAMINE'; mailbox: string; condstore: boolean; qresync: QresyncParams | null }
  | { name: 'CREATE'; mailbox: string; specialUse: SpecialUse | null }
  | { name: 'DELETE' | 'SUBSCRIBE' | 'UNSUBSCRIBE'; mailbox: string }
  | { name: 'RENAME'; from: string; to: string }
  | { name: 'LIST'; reference: string; patterns: string[]; selection: ListSelection; returns: ListReturn; extended: boolean }
  | { name: 'LSUB'; reference: string; pattern: string }
  | { name: 'STATUS'; mailbox: string; items: StatusItem[] }
  | { name: 'APPEND'; mailbox: string; messages: AppendItem[] }
  | { name: 'EXPUNGE'; uids: SequenceSet | null }
  | { name: 'SEARCH'; uid: boolean; returns: SearchReturn[] | null; charset: string | null; key: SearchKey }
  | { name: 'FETCH'; uid: boolean; set: SequenceSet; items: FetchAtt[]; changedSince: number | null; vanished: boolean }
  | { name: 'STORE'; uid: boolean; set: SequenceSet; unchangedSince: number | null; mode: 'add' | 'remove' | 'replace'; silent: boolean; flags: string[] }
  | { name: 'COPY' | 'MOVE'; uid: boolean; set: SequenceSet; mailbox: string }
  | { name: 'SORT'; uid: boolean; returns: SearchReturn[] | null; keys: SortKey[]; charset: string; key: SearchKey }
  | { name: 'THREAD'; uid: boolean; algorithm: 'REFERENCES' | 'ORDEREDSUBJECT'; charset: string; key: SearchKey }
  | { name: 'COMPRESS'; mechanism: string };

export type CommandName = Command['name'];

type WithName<C, N> = C extends { name: infer M } ? (N extends M ? C : never) : never;
/** The command(s) a name stands for (COPY and MOVE share a shape). */
export type CommandOf<N extends CommandName> = WithName<Command, N>;
