/**
 * The CAPABILITY list: only what this server implements, by state. Before login it
 * shows how to log in (STARTTLS, AUTH=PLAIN or LOGINDISABLED); after, the extensions.
 */

export interface CapabilityState {
  authenticated: boolean;
  /** STARTTLS is possible: a certificate is configured and the connection is in clear. */
  startTls: boolean;
  /** LOGIN and AUTHENTICATE PLAIN are allowed on this connection now. */
  cleartextAllowed: boolean;
  /** COMPRESS=DEFLATE is offered and not active yet. */
  compress: boolean;
  appendLimit: number;
}

/** Shown both before and after login. */
const COMMON = ['IMAP4rev1', 'IMAP4rev2', 'LITERAL+', 'ID', 'ENABLE', 'IDLE', 'SASL-IR'];

const AFTER_LOGIN = [
  'NAMESPACE',
  'UNSELECT',
  'CHILDREN',
  'UIDPLUS',
  'MOVE',
  'CONDSTORE',
  'QRESYNC',
  'ESEARCH',
  'SEARCHRES',
  'WITHIN',
  'LIST-EXTENDED',
  'LIST-STATUS',
  'SPECIAL-USE',
  'CREATE-SPECIAL-USE',
  'BINARY',
  'MULTIAPPEND',
  'STATUS=SIZE',
  'UTF8=ACCEPT',
  'PREVIEW',
  'SORT',
  'SORT=DISPLAY',
  'THREAD=ORDEREDSUBJECT',
  'THREAD=REFERENCES',
];

export function capabilities(s: CapabilityState): string[] {
  const caps = [...COMMON];
  if (!s.authenticated) {
    if (s.startTls) caps.push('STARTTLS');
    caps.push(s.cleartextAllowed ? 'AUTH=PLAIN' : 'LOGINDISABLED');
    return caps;
  }
  caps.push(...AFTER_LOGIN, `APPENDLIMIT=${s.appendLimit}`);
  if (s.compress) caps.push('COMPRESS=DEFLATE');
  return caps;
}

/** What ENABLE can turn on (RFC 5161 and the extensions that define it). */
export const ENABLEABLE = ['CONDSTORE', 'QRESYNC', 'IMAP4REV2', 'UTF8=ACCEPT'] as const;
export type Enableable = (typeof ENABLEABLE)[number];
