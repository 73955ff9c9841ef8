/**
 * LMTP delivery: `startLmtpServer` for MTAs that speak LMTP, `deliverOverLmtp` (the
 * client side, used by `aerogramme deliver`) for MTAs that pipe a message to a command.
 */
export { startLmtpServer, type LmtpServer } from './server.js';
export { DEFAULT_LMTP_LIMITS, DEFAULT_MAX_MESSAGE_BYTES, type LmtpLimits, type LmtpServerOptions } from './options.js';
export { DuplicateRecipientError, LmtpError, ShuttingDownError, TemporaryFailureError, UnknownRecipientError } from './errors.js';
export { deliverOverLmtp, LmtpClientError, type LmtpDelivery, type LmtpReply, type RecipientOutcome } from './client.js';
