/**
 * The mail library API the protocol front-ends call.
 *
 * IMAP: at login `stores.acquire(credentials, storage)` on a process-wide `MailStores`
 * (one MailStore per user, shared by their sessions; it moves queued deliveries into
 * INBOX before resolving and keeps its own copy of the keys, so the session wipes its
 * credentials as usual), then `store.mailbox(name)` for SELECT/EXAMINE/STATUS/APPEND
 * and the Mailbox methods for each command; mailbox management on the store; release()
 * at logout.
 * LMTP: `createDelivery(resolveStorage)(recipient, raw)` per accepted recipient (no
 * password needed); resolves once the message is durable.
 */
export { MailStore, provisionUser, type MailStoreOptions } from './mail-store.js';
export { MailStores, type StoreLease } from './registry.js';
export {
  Mailbox,
  type AppendOptions,
  type AppendResult,
  type CopyResult,
  type ExpungeResult,
  type MailboxStatus,
  type MailboxView,
  type MoveResult,
  type StoreOptions,
  type StoreResult,
} from './mailbox.js';
export type { SearchKey, AddressField, DateComparison } from './search.js';
export type { UserStorage, StorageResolver } from './storage.js';
export { MessageGoneError, StoreClosedError } from './errors.js';
export { createDelivery, deliver, type DeliveryResult } from '../incoming/deliver.js';
export { MailboxError, type MailboxErrorCode } from '../mailbox/errors.js';
export type { MailboxInfo, SpecialUse } from '../mailbox/mailbox-list.js';
export { SPECIAL_USES } from '../mailbox/mailbox-list.js';
export type { MessageMeta } from '../mailbox/message-meta.js';
export type { MessageEntry, UidIndex } from '../mailbox/uid-index.js';
export { flagsInUse } from '../mailbox/uid-index.js';
export type { FlagMode, FlagSet } from '../mailbox/flags.js';
export { SYSTEM_FLAGS, normalizeFlag } from '../mailbox/flags.js';
export { byId, bySeq, byUid, changedSince, seqOf, vanishedSince } from '../mailbox/uid-index-view.js';
export { DELIMITER, INBOX, normalizeName } from '../mailbox/names.js';
