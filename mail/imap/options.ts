/** Server options and protocol limits, with their defaults (see imap-anchors §5.2 for where they come from). */
import type { Logger } from '../../core/util/log.js';
import type { LoginProvider } from '../user/provider.js';
import type { ImapBackend } from './backend.js';

export interface ImapLimits {
  /** A command's line parts together, literals excluded (Dovecot: 64 KiB). */
  maxLineBytes: number;
  /** The same before login (Dovecot: 8 KiB). */
  maxLineBytesBeforeLogin: number;
  /** One literal in a command other than APPEND. */
  maxLiteralBytes: number;
  /** One message in APPEND: advertised as APPENDLIMIT. */
  appendLimit: number;
  /** All literals of one command together (MULTIAPPEND). */
  maxCommandBytes: number;
  /** Literals in one command. */
  maxLiterals: number;
  /** Parenthesis (and OR/NOT) nesting after login; before login ID needs 1. */
  maxDepth: number;
  maxDepthBeforeLogin: number;
  /** BAD answers before the server hangs up (Dovecot: 20 after login, 3 before; we are a bit kinder before login). */
  maxBadCommands: number;
  maxBadCommandsBeforeLogin: number;
  /** Autologout after this long without a command (RFC 3501: at least 30 min). */
  idleTimeoutMs: number;
  /** ... and before login. */
  loginTimeoutMs: number;
  /** In the middle of a command (a literal announced, a line not ended), this long without a byte ends the connection. */
  commandStallMs: number;
  /** A client that reads none of our output for this long is disconnected. */
  outputStallMs: number;
  /** "* OK Still here" during IDLE, so NAT boxes keep the connection. */
  idleKeepaliveMs: number;
  maxConnectionsPerIp: number;
  maxConnectionsPerUser: number;
  /** Delay before answering a failed login; doubles per recent failure from the same address, up to the max. */
  authFailureDelayMs: number;
  authFailureMaxDelayMs: number;
  /** On shutdown, how long a running command may finish before its connection is cut. */
  shutdownGraceMs: number;
}

export const DEFAULT_LIMITS: Readonly<ImapLimits> = Object.freeze({
  maxLineBytes: 64 * 1024,
  maxLineBytesBeforeLogin: 8 * 1024,
  maxLiteralBytes: 64 * 1024,
  appendLimit: 50 * 1024 * 1024,
  maxCommandBytes: 100 * 1024 * 1024,
  maxLiterals: 256,
  maxDepth: 32,
  maxDepthBeforeLogin: 1,
  maxBadCommands: 20,
  maxBadCommandsBeforeLogin: 5,
  idleTimeoutMs: 30 * 60_000,
  loginTimeoutMs: 5 * 60_000,
  commandStallMs: 2 * 60_000,
  outputStallMs: 5 * 60_000,
  idleKeepaliveMs: 2 * 60_000,
  maxConnectionsPerIp: 50,
  maxConnectionsPerUser: 20,
  authFailureDelayMs: 2_000,
  authFailureMaxDelayMs: 15_000,
  shutdownGraceMs: 10_000,
});

/** Where cleartext LOGIN / AUTHENTICATE PLAIN is allowed without TLS. */
export type CleartextAuth = 'always' | 'loopback' | 'never';

export interface TlsFiles {
  certPath: string;
  keyPath: string;
}

export interface ListenAddress {
  host: string;
  /** 0 for any free port. */
  port: number;
}

export interface ImapServerOptions {
  users: LoginProvider;
  backend: ImapBackend;
  /** Plain listener (STARTTLS when `tls` is set). Default 127.0.0.1:143; null for none. */
  listen?: ListenAddress | null;
  /** Implicit-TLS listener (RFC 8314), needs `tls`. */
  tlsListen?: ListenAddress | null;
  tls?: TlsFiles | null;
  /** Default 'loopback': LOGINDISABLED on plain connections from other addresses. */
  cleartextAuth?: CleartextAuth;
  /** Offer COMPRESS=DEFLATE (default true). */
  compress?: boolean;
  limits?: Partial<ImapLimits>;
  log?: Logger;
}
