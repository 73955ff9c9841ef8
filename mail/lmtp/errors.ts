/**
 * Refusals the LMTP server answers with. `responseCode` is the reply code smtp-server
 * sends (it reads that property of the error it is given); the enhanced status code
 * (RFC 3463) that goes with it is smtp-server's mapping of that code, noted on each class.
 */
import { AeroError } from '../../core/util/errors.js';

export abstract class LmtpError extends AeroError {
  constructor(
    code: string,
    readonly responseCode: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** 550 5.1.1 at RCPT: no user has this address. */
export class UnknownRecipientError extends LmtpError {
  constructor(address: string) {
    super('UnknownRecipient', 550, `<${address}> no such user here`);
  }
}

/**
 * 451 4.3.0 at RCPT: the address is already a recipient of this transaction. smtp-server
 * merges repeated recipients, so a second 250 would leave the client waiting for a
 * reply that never comes; temporary, so the client delivers it in a later transaction.
 */
export class DuplicateRecipientError extends LmtpError {
  constructor(address: string) {
    super('DuplicateRecipient', 451, `<${address}> is already a recipient of this message, send it again separately`);
  }
}

/** 451 4.3.0: a temporary failure (user database, storage); the client tries again later. */
export class TemporaryFailureError extends LmtpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TemporaryFailure', 451, message, options);
  }
}

/** 421 at MAIL FROM: the server is shutting down; the client tries again later. */
export class ShuttingDownError extends LmtpError {
  constructor(hostname: string) {
    super('ShuttingDown', 421, `${hostname} shutting down, try again later`);
  }
}
