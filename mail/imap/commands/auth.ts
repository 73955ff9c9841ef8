/**
 * Getting in: LOGIN, AUTHENTICATE PLAIN (with SASL-IR, RFC 4959), STARTTLS.
 * Cleartext passwords are refused on plain connections unless the configuration
 * allows them (by default: from loopback only). A failed login is answered after a
 * delay that grows with the recent failures from the same address.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthenticationError } from '../../user/errors.js';
import type { Credentials } from '../../user/provider.js';
import { bad, ImapError, no } from '../errors.js';
import type { CommandName, CommandOf } from '../protocol/ast.js';
import type { Done, Session } from '../session/session.js';

type Cmd<N extends CommandName> = CommandOf<N>;

/** SASL responses are at most this long (Dovecot's SASL buffer). */
const MAX_SASL_LINE = 8192;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function requireCleartextAllowed(s: Session): void {
  if (!s.cleartextAllowed) throw no('Cleartext authentication is disabled: use STARTTLS or the TLS port', 'PRIVACYREQUIRED');
}

async function logIn(s: Session, user: string, password: string): Promise<Done> {
  let credentials: Credentials;
  try {
    credentials = await s.ctx.users.login(user, password);
  } catch (e) {
    if (!(e instanceof AuthenticationError)) {
      s.ctx.log.error({ err: (e as Error).message }, 'login provider failed');
      throw no('Authentication temporarily unavailable', 'UNAVAILABLE');
    }
    // The line fail2ban and friends watch: who, from where (never the password).
    s.ctx.log.info({ user: user.slice(0, 64), ip: s.io.remoteAddress }, 'imap login failed');
    await sleep(s.ctx.throttle.failed(s.io.remoteAddress));
    throw no('Authentication failed', 'AUTHENTICATIONFAILED');
  }
  s.ctx.throttle.succeeded(s.io.remoteAddress);
  await s.authenticated(credentials);
  s.ctx.log.info({ user: credentials.username, ip: s.io.remoteAddress }, 'imap login');
  return { text: 'Logged in', code: `CAPABILITY ${s.capabilityList().join(' ')}` };
}

export async function login(s: Session, cmd: Cmd<'LOGIN'>): Promise<Done> {
  requireCleartextAllowed(s);
  return logIn(s, cmd.user, cmd.password);
}

export async function authenticate(s: Session, cmd: Cmd<'AUTHENTICATE'>): Promise<Done> {
  if (cmd.mechanism !== 'PLAIN') throw no(`Unsupported authentication mechanism ${cmd.mechanism}`, 'CANNOT');
  requireCleartextAllowed(s);
  let response = cmd.initial;
  if (response === null) {
    s.continuation('');
    await s.flush();
    const r = await s.readLine(MAX_SASL_LINE);
    if (r === 'timeout' || r === 'shutdown' || r.kind === 'end') throw no('Authentication aborted');
    if (r.kind === 'toolong') throw bad('SASL response too long', 'TOOBIG');
    response = r.line.toString('latin1');
    if (response === '*') throw bad('Authentication cancelled');
  }
  if (!BASE64.test(response)) throw bad('Invalid base64 in SASL response');
  // PLAIN (RFC 4616): authzid NUL authcid NUL password.
  const parts = Buffer.from(response, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3 || parts[1] === '') throw new ImapError('NO', 'Malformed PLAIN response', { name: 'AUTHENTICATIONFAILED' });
  const [authzid, authcid, password] = parts as [string, string, string];
  if (authzid !== '' && authzid !== authcid) throw no('Logging in as another user is not allowed', 'AUTHENTICATIONFAILED');
  return logIn(s, authcid, password);
}

export async function starttls(s: Session): Promise<Done> {
  const context = s.ctx.tls;
  if (context === null || s.io.secure) throw bad('STARTTLS is not available');
  // Nothing the client sent in clear may run under TLS (CVE-2021-33515).
  s.holdInputForTls();
  return {
    text: 'Begin TLS negotiation now',
    after: async () => {
      await s.flush();
      await s.io.startTls(context);
    },
  };
}
