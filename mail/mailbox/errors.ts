import { AeroError } from '../../core/util/errors.js';

/**
 * A mailbox operation refused as asked. IMAP maps the codes to response codes:
 * NoSuchMailbox → [NONEXISTENT] (or [TRYCREATE] for APPEND/COPY/MOVE), MailboxExists →
 * [ALREADYEXISTS], InvalidMailboxName → [CANNOT], InboxProtected → [CANNOT].
 */
export type MailboxErrorCode = 'NoSuchMailbox' | 'MailboxExists' | 'InvalidMailboxName' | 'InboxProtected';

export class MailboxError extends AeroError {
  constructor(code: MailboxErrorCode, message: string) {
    super(code, message);
  }
}
