/** LMTP server options and limits, with their defaults. */
import type { Logger } from '../../core/util/log.js';
import type { UserStorage } from '../store/storage.js';
import type { LoginProvider, Recipient } from '../user/provider.js';

export interface LmtpLimits {
  /** Recipients in one transaction; more get 452 4.5.3 (the client sends them in another). */
  maxRecipients: number;
  /** Connections at once; more get 421 and are closed. */
  maxConnections: number;
  /** Deliveries (one message to one recipient) being stored at once, over all connections. */
  maxConcurrentDeliveries: number;
  /** Bytes of those deliveries' messages at once (a larger message is stored alone). */
  maxDeliveryBytes: number;
  /** Recipients of one message stored in parallel. */
  recipientParallelism: number;
  /** A connection that sends nothing for this long gets 421 and is closed (not while we owe it a reply). */
  idleTimeoutMs: number;
  /** On close(), how long transactions under way may take before their connections are cut. */
  shutdownGraceMs: number;
}

export const DEFAULT_LMTP_LIMITS: Readonly<LmtpLimits> = Object.freeze({
  maxRecipients: 1000,
  maxConnections: 200,
  maxConcurrentDeliveries: 64,
  maxDeliveryBytes: 256 * 1024 * 1024,
  recipientParallelism: 8,
  idleTimeoutMs: 5 * 60_000,
  shutdownGraceMs: 30_000,
});

/** 50 MiB, the same as IMAP's APPENDLIMIT. */
export const DEFAULT_MAX_MESSAGE_BYTES = 50 * 1024 * 1024;

export interface LmtpServerOptions {
  /** "host:port" ("[v6]:port"); port 0 for any free port. */
  bindAddr: string;
  /** Finds the user an address delivers to (no password needed). */
  users: Pick<LoginProvider, 'lookupAddress'>;
  /** The storage of a recipient's bucket. */
  storageFor(recipient: Recipient): UserStorage | Promise<UserStorage>;
  /** Advertised as SIZE; a larger message gets 552 5.3.4. Default DEFAULT_MAX_MESSAGE_BYTES. */
  maxMessageBytes?: number;
  /** Our name in the greeting and in Received lines. Default: the machine's host name. */
  hostname?: string;
  limits?: Partial<LmtpLimits>;
  logger?: Logger;
}
