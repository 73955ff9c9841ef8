import { AeroError } from '../../core/util/errors.js';

/**
 * Login refused. One message for an unknown user and a wrong password alike, so a
 * client cannot probe which accounts exist.
 */
export class AuthenticationError extends AeroError {
  constructor() {
    super('AuthFailed', 'authentication failed');
  }
}

export type AccountErrorCode =
  | 'UnknownUser'
  | 'UserExists'
  | 'InvalidName'
  | 'InvalidAddress'
  | 'AddressInUse'
  | 'UnknownAddress'
  | 'InvalidLabel'
  | 'LabelInUse'
  | 'UnknownLabel'
  | 'WeakPassword'
  | 'WrongSecret'
  | 'NoRecoveryKey'
  | 'NotConfirmed';

/** An account operation cannot be done as asked; the message says how to fix it. */
export class AccountError extends AeroError {
  constructor(code: AccountErrorCode, message: string) {
    super(code, message);
  }
}

/** The users file is missing, locked, or not valid; the message names the file and the fix. */
export class UsersFileError extends AeroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UsersFile', message, options);
  }
}
