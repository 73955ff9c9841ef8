/**
 * What the IMAP server needs from the mail store, and nothing more. The session is
 * coded against these interfaces; `store-adapter.ts` maps them onto mail/store, and
 * tests use an in-memory implementation.
 *
 * Mailbox names are Unicode strings with "/" as the hierarchy separator; "INBOX" is
 * always spelled so. Message flags are strings: system flags in their canonical
 * spelling ("\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"), keywords
 * as atoms ("$Forwarded", "NonJunk").
 */
import { AeroError } from '../../core/util/errors.js';
import type { MessageSummary } from '../mailbox/summary/types.js';
import type { Credentials } from '../user/provider.js';

export const SEPARATOR = '/';

export const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'] as const;

export type SpecialUse = '\\All' | '\\Archive' | '\\Drafts' | '\\Flagged' | '\\Junk' | '\\Sent' | '\\Trash';
export const SPECIAL_USES: readonly SpecialUse[] = ['\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash'];

export interface MailboxInfo {
  name: string;
  specialUse: SpecialUse | null;
  subscribed: boolean;
}

/** What FETCH FLAGS/UID/INTERNALDATE/RFC822.SIZE/MODSEQ and most SEARCH keys read: no body, no summary. */
export interface MessageMeta {
  readonly uid: number;
  readonly flags: readonly string[];
  /** Mod-sequence of the last change to this message (CONDSTORE). */
  readonly modseq: number;
  /** INTERNALDATE, ms since the epoch. */
  readonly internalDate: number;
  /** RFC822.SIZE. */
  readonly size: number;
}

/**
 * The state of a mailbox at one point in time. Immutable: a change makes a new
 * snapshot, so a session can keep the one it last reported and compare.
 */
export interface MailboxSnapshot {
  readonly uidValidity: number;
  readonly uidNext: number;
  readonly highestModseq: number;
  /** In ascending UID order. */
  readonly messages: readonly MessageMeta[];
}

export interface MailboxStatus {
  messages: number;
  unseen: number;
  /** Messages with \Deleted (IMAP4rev2 STATUS DELETED). */
  deleted: number;
  uidNext: number;
  uidValidity: number;
  highestModseq: number;
  /** Sum of RFC822.SIZE (STATUS=SIZE). */
  size: number;
}

export interface AppendMessage {
  data: Buffer;
  flags: readonly string[];
  /** INTERNALDATE, ms since the epoch; the time of the append when absent. */
  internalDate?: number;
}

export interface AppendResult {
  uidValidity: number;
  /** UIDs given to the appended messages, in order. */
  uids: number[];
}

export interface CopyResult {
  /** UIDVALIDITY of the destination. */
  uidValidity: number;
  /** Pairs of (source UID, destination UID), in source order; UIDs not found are left out. */
  sourceUids: number[];
  destUids: number[];
}

export type FlagMode = 'add' | 'remove' | 'replace';

export interface StoreResult {
  /** UIDs left unchanged because their modseq was above UNCHANGEDSINCE. */
  failed: number[];
}

/**
 * A mailbox opened by one session (SELECT/EXAMINE), until close(). After any of its
 * changing operations resolves, snapshot() already shows the change.
 */
export interface ImapMailbox {
  /** The last state this handle knows, without any I/O. */
  snapshot(): MailboxSnapshot;
  /** Brings the state up to date with storage (changes by other sessions, processes, nodes). */
  refresh(): Promise<MailboxSnapshot>;
  /**
   * Calls `onChange` (soon, at most about a second late) after any change to this
   * mailbox, by anyone: the session then refreshes. Returns the function that stops it.
   */
  watch(onChange: () => void): () => void;
  /** Summaries in the order asked; undefined for a message that no longer exists. */
  summaries(uids: readonly number[]): Promise<(MessageSummary | undefined)[]>;
  /** Bytes [start, end) of the raw message; undefined when it no longer exists. */
  read(uid: number, start: number, end: number): Promise<Buffer | undefined>;
  /**
   * Changes flags. With `unchangedSince`, a message whose modseq is above it is left
   * as is and reported in `failed`. Flags already set (or absent, for remove) are no
   * change: such messages keep their modseq.
   */
  store(uids: readonly number[], mode: FlagMode, flags: readonly string[], unchangedSince?: number): Promise<StoreResult>;
  /** Removes the messages with \Deleted (only those in `uids` when given); returns the UIDs removed. */
  expunge(uids?: readonly number[]): Promise<number[]>;
  /** Copies messages to another mailbox (BackendError NonExistent when it does not exist). */
  copy(uids: readonly number[], destination: string): Promise<CopyResult>;
  /** Copies then expunges, as one operation where the store can. */
  move(uids: readonly number[], destination: string): Promise<CopyResult>;
  /**
   * UIDs expunged after `modseq`, as [first, last] ranges in any order, for QRESYNC's
   * VANISHED; null when the store no longer knows that far back (the session then
   * reports every UID it cannot see, which the RFC allows).
   */
  expungedSince(modseq: number): Promise<Array<[number, number]> | null>;
  close(): Promise<void>;
}

/** One user's mail, for one IMAP session. */
export interface ImapAccount {
  readonly username: string;
  /** Every existing mailbox (INBOX included), in any order. */
  mailboxes(): Promise<MailboxInfo[]>;
  /** Subscribed names, existing or not. */
  subscriptions(): Promise<string[]>;
  /** Creates one mailbox (parents are the caller's business); AlreadyExists if it does. */
  create(name: string, specialUse?: SpecialUse): Promise<void>;
  /** Deletes one mailbox and its messages. */
  delete(name: string): Promise<void>;
  /**
   * Renames a mailbox and every mailbox under it ("a/x" follows "a"). Renaming INBOX
   * moves its messages into a new mailbox and leaves INBOX empty (RFC 3501 §6.3.5).
   */
  rename(from: string, to: string): Promise<void>;
  setSubscribed(name: string, subscribed: boolean): Promise<void>;
  status(name: string): Promise<MailboxStatus>;
  open(name: string, options: { readOnly: boolean }): Promise<ImapMailbox>;
  /** Appends all messages or none (MULTIAPPEND). */
  append(name: string, messages: readonly AppendMessage[]): Promise<AppendResult>;
  /** Ends the session: the account wipes the keys it holds. */
  close(): Promise<void>;
}

export interface ImapBackend {
  /**
   * Opens the mail of a user who just logged in. The account owns `credentials` from
   * then on (it wipes the keys on close()).
   */
  open(credentials: Credentials): Promise<ImapAccount>;
}

export type BackendErrorCode =
  | 'NonExistent'
  | 'AlreadyExists'
  /** The operation makes no sense here (delete INBOX, rename onto itself, ...). */
  | 'Cannot'
  | 'TooBig'
  | 'OverQuota'
  /** Storage is not reachable now; the client may retry. */
  | 'Unavailable'
  | 'Limit';

/** An expected failure of a backend operation; the session maps it to a response code. */
export class BackendError extends AeroError {
  constructor(
    readonly kind: BackendErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(kind, message, options);
  }
}
