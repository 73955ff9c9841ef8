/**
 * Errors a command ends with. Each carries what the tagged response needs: the
 * status (NO for "understood but failed", BAD for "not understood") and, when one
 * applies, a response code (RFC 5530 and the extensions') for clients to act on.
 */
import { AeroError } from '../../core/util/errors.js';

/** Response codes we send; the text after the name (if any) goes in `codeArgs`. */
export type ResponseCodeName =
  | 'ALERT'
  | 'ALREADYEXISTS'
  | 'AUTHENTICATIONFAILED'
  | 'BADCHARSET'
  | 'CANNOT'
  | 'CLIENTBUG'
  | 'CLOSED'
  | 'COMPRESSIONACTIVE'
  | 'CONTACTADMIN'
  | 'EXPUNGEISSUED'
  | 'INUSE'
  | 'LIMIT'
  | 'MODIFIED'
  | 'NONEXISTENT'
  | 'NOPERM'
  | 'OVERQUOTA'
  | 'PRIVACYREQUIRED'
  | 'SERVERBUG'
  | 'TOOBIG'
  | 'TRYCREATE'
  | 'UNAVAILABLE'
  | 'UNKNOWN-CTE';

export interface ResponseCode {
  name: ResponseCodeName;
  /** What follows the name inside the brackets, e.g. "(US-ASCII UTF-8)". */
  args?: string;
}

/** A command failed: the session answers `tag NO [code] text` (or BAD). */
export class ImapError extends AeroError {
  constructor(
    readonly status: 'NO' | 'BAD',
    message: string,
    readonly responseCode?: ResponseCode,
  ) {
    super(`Imap${status}`, message);
  }
}

export function no(message: string, code?: ResponseCodeName, args?: string): ImapError {
  return new ImapError('NO', message, code === undefined ? undefined : args === undefined ? { name: code } : { name: code, args });
}

export function bad(message: string, code?: ResponseCodeName): ImapError {
  return new ImapError('BAD', message, code === undefined ? undefined : { name: code });
}

/** The command does not follow the grammar (or breaks a parser limit): always BAD. */
export class ParseError extends ImapError {
  constructor(message: string, code?: ResponseCodeName) {
    super('BAD', message, code === undefined ? undefined : { name: code });
  }
}
