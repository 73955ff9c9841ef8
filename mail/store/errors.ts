import { AeroError } from '../../core/util/errors.js';

/**
 * A message is not (or no longer) in storage: expunged by another session since the
 * caller's snapshot. IMAP answers such a FETCH with NO (RFC 9051 §7.4.1 allows it).
 */
export class MessageGoneError extends AeroError {
  constructor(readonly messageId: string) {
    super('MessageGone', `message ${messageId} is no longer in storage (expunged elsewhere)`);
  }
}

/** The store was used after close(). */
export class StoreClosedError extends AeroError {
  constructor() {
    super('StoreClosed', 'this mail store is closed');
  }
}
