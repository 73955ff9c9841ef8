/**
 * One IMAP connection: the state machine of RFC 3501 §3 / RFC 9051 §3
 *
 *   not authenticated --LOGIN/AUTHENTICATE--> authenticated --SELECT/EXAMINE--> selected
 *          |                                      ^    |                           |
 *          |                                      +----+--- CLOSE/UNSELECT --------+
 *          +------------------------ LOGOUT (any state) ---------------------> logout
 *
 * The loop reads one command at a time (pipelined ones wait in the reader), checks
 * it is allowed in the current state, runs its handler, sends the unsolicited
 * updates of the selected mailbox the RFCs allow at that point, then the tagged
 * response. Timeouts, shutdown and too many bad commands end it with a BYE.
 */
import type { SecureContext } from 'node:tls';
import type { Logger } from '../../../core/util/log.js';
import type { Credentials, LoginProvider } from '../../user/provider.js';
import { BackendError, type ImapAccount, type ImapBackend } from '../backend.js';
import { capabilities, type Enableable } from '../capabilities.js';
import { ImapError, type ResponseCode, type ResponseCodeName } from '../errors.js';
import { statusLine, type Status } from '../format/response.js';
import type { ImapLimits } from '../options.js';
import type { Command, CommandName, CommandOf } from '../protocol/ast.js';
import { parseCommand } from '../protocol/parse.js';
import { CommandReader, type Frame, type LineResult, type ReaderLimits } from '../protocol/reader.js';
import { AuthThrottle, ConnectionCounter } from './guards.js';
import type { SelectedMailbox } from './selected.js';
import type { SessionIo } from './transport.js';

export type SessionState = 'notAuthenticated' | 'authenticated' | 'selected' | 'logout';

/** What every session of a server shares. */
export interface ServerContext {
  backend: ImapBackend;
  users: LoginProvider;
  limits: ImapLimits;
  /** For STARTTLS; null when no certificate is configured. */
  tls: SecureContext | null;
  cleartextAuth: 'always' | 'loopback' | 'never';
  compress: boolean;
  throttle: AuthThrottle;
  perUser: ConnectionCounter;
  log: Logger;
}

/** How a handler's command ended well. */
export interface Done {
  text?: string;
  code?: ResponseCode | string;
  /** Runs right after the tagged OK is written (STARTTLS, COMPRESS). */
  after?: () => void | Promise<void>;
  /** No tagged answer: the connection is ending (IDLE cut by a timeout or shutdown). */
  silent?: boolean;
}

export type Handler<C extends Command = Command> = (s: Session, cmd: C, tag: string) => Promise<Done | void>;

const ANY: SessionState[] = ['notAuthenticated', 'authenticated', 'selected'];
const AUTH: SessionState[] = ['authenticated', 'selected'];
const SELECTED: SessionState[] = ['selected'];

const ALLOWED: Record<CommandName, SessionState[]> = {
  CAPABILITY: ANY,
  NOOP: ANY,
  LOGOUT: ANY,
  ID: ANY,
  STARTTLS: ['notAuthenticated'],
  LOGIN: ['notAuthenticated'],
  AUTHENTICATE: ['notAuthenticated'],
  ENABLE: AUTH,
  SELECT: AUTH,
  EXAMINE: AUTH,
  CREATE: AUTH,
  DELETE: AUTH,
  RENAME: AUTH,
  SUBSCRIBE: AUTH,
  UNSUBSCRIBE: AUTH,
  LIST: AUTH,
  LSUB: AUTH,
  STATUS: AUTH,
  APPEND: AUTH,
  NAMESPACE: AUTH,
  IDLE: AUTH,
  COMPRESS: AUTH,
  CHECK: SELECTED,
  CLOSE: SELECTED,
  UNSELECT: SELECTED,
  EXPUNGE: SELECTED,
  SEARCH: SELECTED,
  FETCH: SELECTED,
  STORE: SELECTED,
  COPY: SELECTED,
  MOVE: SELECTED,
  SORT: SELECTED,
  THREAD: SELECTED,
};

const BACKEND_CODES: Record<BackendError['kind'], ResponseCodeName> = {
  NonExistent: 'NONEXISTENT',
  AlreadyExists: 'ALREADYEXISTS',
  Cannot: 'CANNOT',
  TooBig: 'TOOBIG',
  OverQuota: 'OVERQUOTA',
  Unavailable: 'UNAVAILABLE',
  Limit: 'LIMIT',
};

/** Commands during which EXPUNGE may not be sent (RFC 3501 §7.4.1): by sequence number. */
function mayExpunge(cmd: Command): boolean {
  if (cmd.name === 'FETCH' || cmd.name === 'STORE' || cmd.name === 'SEARCH' || cmd.name === 'SORT' || cmd.name === 'THREAD') return cmd.uid;
  return true;
}

type Interrupt = 'timeout' | 'shutdown';

export class Session {
  state: SessionState = 'notAuthenticated';
  account: ImapAccount | null = null;
  selected: SelectedMailbox | null = null;
  readonly enabled = new Set<Enableable>();
  /** SELECT/EXAMINE (CONDSTORE) or a CONDSTORE-enabling command was seen. */
  condstoreUsed = false;
  compressed = false;
  private readonly reader: CommandReader;
  private badCommands = 0;
  private busy = true;
  private shuttingDown = false;
  private interruptWaiter: ((why: Interrupt) => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastInput = Date.now();
  /** The mailbox changed (watch): wakes IDLE. */
  private changeWaiter: (() => void) | null = null;
  /** A change came while IDLE was not waiting (between two waits): the next wait returns at once. */
  private changePending = false;
  private username: string | null = null;

  constructor(
    readonly io: SessionIo,
    readonly ctx: ServerContext,
    private readonly handlers: { [N in CommandName]: Handler<CommandOf<N>> },
  ) {
    this.reader = new CommandReader({
      limits: () => this.readerLimits(),
      continueLiteral: () => {
        this.io.write('+ Ready for literal data\r\n');
        void this.io.flush();
      },
    });
  }

  // ---- input from the transport

  push(chunk: Buffer): void {
    this.lastInput = Date.now();
    this.reader.push(chunk);
  }

  end(): void {
    this.reader.end();
  }

  get wantsData(): boolean {
    return this.reader.wantsData;
  }

  // ---- what handlers use

  get limits(): ImapLimits {
    return this.ctx.limits;
  }

  get utf8(): boolean {
    return this.enabled.has('UTF8=ACCEPT') || this.enabled.has('IMAP4REV2');
  }

  get rev2(): boolean {
    return this.enabled.has('IMAP4REV2');
  }

  get qresync(): boolean {
    return this.enabled.has('QRESYNC');
  }

  /** MODSEQ goes in FETCH responses (RFC 7162 §3.1: once any CONDSTORE-enabling command was seen). */
  get condstore(): boolean {
    return this.condstoreUsed || this.enabled.has('CONDSTORE') || this.enabled.has('QRESYNC');
  }

  get cleartextAllowed(): boolean {
    if (this.io.secure) return true;
    const mode = this.ctx.cleartextAuth;
    return mode === 'always' || (mode === 'loopback' && isLoopback(this.io.remoteAddress));
  }

  capabilityList(): string[] {
    return capabilities({
      authenticated: this.state === 'authenticated' || this.state === 'selected',
      startTls: this.ctx.tls !== null && !this.io.secure,
      cleartextAllowed: this.cleartextAllowed,
      compress: this.ctx.compress && !this.compressed,
      appendLimit: this.ctx.limits.appendLimit,
    });
  }

  /** Response text (octets, latin1) or bytes. */
  write(data: string | Buffer): void {
    this.io.write(data);
  }

  flush(): Promise<void> {
    return this.io.flush();
  }

  /** Continuation request ("+ text"). */
  continuation(text: string): void {
    this.io.write(`+ ${text}\r\n`);
  }

  /** A raw line from the client (SASL response, IDLE's DONE); interrupted by timeout or shutdown. */
  async readLine(maxBytes: number): Promise<LineResult | Interrupt> {
    const r = await this.waitInput(this.reader.nextLine(maxBytes), this.ctx.limits.idleTimeoutMs);
    this.io.readMore();
    return r;
  }

  /**
   * Waits for a line (DONE) or a change to the selected mailbox, whichever comes first;
   * 'change' is returned without consuming input. Used by IDLE.
   */
  async idleWait(line: Promise<LineResult>, keepaliveMs: number, timeoutMs: number): Promise<LineResult | Interrupt | 'change' | 'keepalive'> {
    if (this.changePending) {
      this.changePending = false;
      return 'change';
    }
    const changed = new Promise<'change'>((resolve) => (this.changeWaiter = () => resolve('change')));
    let keepalive: NodeJS.Timeout | undefined;
    const tick = new Promise<'keepalive'>((resolve) => (keepalive = setTimeout(() => resolve('keepalive'), keepaliveMs)));
    try {
      return await this.waitInput(Promise.race([line, changed, tick]), timeoutMs);
    } finally {
      clearTimeout(keepalive);
      this.changeWaiter = null;
    }
  }

  /** Starts reading the next raw line (for idleWait). */
  nextLine(maxBytes: number): Promise<LineResult> {
    return this.reader.nextLine(maxBytes);
  }

  /** STARTTLS, before the tagged OK: stop reading, forget what was sent in clear. */
  holdInputForTls(): void {
    this.io.holdInput();
    this.reader.discardBuffered();
  }

  /** COMPRESS, right after the tagged OK: both directions go through DEFLATE from here. */
  startCompression(): void {
    this.reader.discardBuffered();
    this.io.startCompression();
    this.compressed = true;
  }

  /** The selected mailbox changed (called by its watch). */
  mailboxChanged(): void {
    if (this.changeWaiter !== null) this.changeWaiter();
    else this.changePending = true;
  }

  /** Logs in: checks the per-user limit, opens the account. */
  async authenticated(credentials: Credentials): Promise<void> {
    const name = credentials.username;
    if (!this.ctx.perUser.acquire(name)) {
      credentials.keys.wipe();
      throw new ImapError('NO', 'too many connections for this user', { name: 'LIMIT' });
    }
    try {
      this.account = await this.ctx.backend.open(credentials);
    } catch (e) {
      this.ctx.perUser.release(name);
      throw e;
    }
    this.username = name;
    this.state = 'authenticated';
  }

  /** Leaves the selected state (CLOSE, UNSELECT, a new SELECT). */
  async deselect(): Promise<void> {
    const sel = this.selected;
    this.selected = null;
    if (this.state === 'selected') this.state = 'authenticated';
    if (sel !== null) await sel.close();
  }

  /** Sends the unsolicited updates of the selected mailbox allowed after `cmd`. */
  async sendUpdates(expunge: boolean, forceRefresh = false): Promise<void> {
    const sel = this.selected;
    if (sel === null) return;
    this.changePending = false;
    await sel.refresh(forceRefresh);
    sel.update(this, { expunge, qresync: this.qresync, condstore: this.condstore });
  }

  /** Server shutdown: BYE now if waiting for the client, else after the running command. */
  shutdown(): void {
    this.shuttingDown = true;
    if (!this.busy) this.interruptWaiter?.('shutdown');
  }

  // ---- the loop

  async run(): Promise<void> {
    this.write(statusLine('*', 'OK', 'Aerogramme IMAP ready', `CAPABILITY ${this.capabilityList().join(' ')}`));
    try {
      while (this.state !== 'logout') {
        const frame = await this.nextFrame();
        if (frame === null) break;
        if (frame.kind === 'end') break;
        if (frame.kind === 'rejected') {
          this.respond(frame.tag ?? '*', frame.error.status, frame.error.message, frame.error.responseCode);
          if (frame.fatal) {
            this.bye('Connection closed: input refused');
            break;
          }
          if (!this.countBad()) break;
          continue;
        }
        const parsed = parseCommand(frame.raw, { maxDepth: this.authenticatedState() ? this.limits.maxDepth : this.limits.maxDepthBeforeLogin });
        if (!parsed.ok) {
          this.respond(parsed.tag ?? '*', parsed.error.status, parsed.error.message, parsed.error.responseCode);
          if (parsed.error.status === 'BAD' && !this.countBad()) break;
          continue;
        }
        await this.execute(parsed.tag, parsed.command);
        await this.io.flush();
        if (this.shuttingDown && (this.state as SessionState) !== 'logout') {
          this.bye('Server shutting down');
          break;
        }
      }
    } catch (e) {
      this.ctx.log.error({ err: (e as Error).message }, 'imap session failed');
    } finally {
      await this.cleanup();
    }
  }

  private authenticatedState(): boolean {
    return this.state === 'authenticated' || this.state === 'selected';
  }

  private readerLimits(): ReaderLimits {
    const l = this.ctx.limits;
    const auth = this.authenticatedState();
    return {
      maxLineBytes: auth ? l.maxLineBytes : l.maxLineBytesBeforeLogin,
      maxLiteralBytes: auth ? l.maxLiteralBytes : l.maxLineBytesBeforeLogin,
      maxAppendBytes: auth ? l.appendLimit : 0,
      maxCommandBytes: auth ? l.maxCommandBytes : l.maxLineBytesBeforeLogin,
      maxLiterals: auth ? l.maxLiterals : 2,
    };
  }

  private async nextFrame(): Promise<Frame | null> {
    const timeout = this.authenticatedState() ? this.limits.idleTimeoutMs : this.limits.loginTimeoutMs;
    const r = await this.waitInput(this.reader.next(), timeout);
    this.io.readMore();
    return r === 'timeout' || r === 'shutdown' ? null : r;
  }

  /** Waits for client input with the timer armed; a timeout or shutdown says BYE and wins the race. */
  private async waitInput<T>(input: Promise<T>, timeoutMs: number): Promise<T | Interrupt> {
    // Whatever we said goes out before we wait for the client's answer to it.
    await this.io.flush();
    if (this.shuttingDown) {
      this.bye('Server shutting down');
      return 'shutdown';
    }
    this.busy = false;
    const interrupted = new Promise<Interrupt>((resolve) => (this.interruptWaiter = resolve));
    const start = Date.now();
    const stall = this.limits.commandStallMs;
    // Idle too long; or stuck in the middle of a command (a literal that never comes: slowloris),
    // though a slow upload that keeps sending goes on.
    const check = (): void => {
      const now = Date.now();
      const mid = this.reader.midCommand;
      const stalled = mid && now - this.lastInput >= stall;
      if (stalled || (now - start >= timeoutMs && !(mid && now - this.lastInput < stall))) {
        this.interruptWaiter?.('timeout');
        return;
      }
      this.timer = setTimeout(check, Math.max(1, Math.min(stall, timeoutMs - (now - start))));
    };
    this.timer = setTimeout(check, Math.max(1, Math.min(stall, timeoutMs)));
    try {
      const r = await Promise.race([input, interrupted]);
      if (r === 'timeout') this.bye('Autologout; idle for too long');
      else if (r === 'shutdown') this.bye('Server shutting down');
      return r;
    } finally {
      clearTimeout(this.timer);
      this.timer = null;
      this.interruptWaiter = null;
      this.busy = true;
    }
  }

  private countBad(): boolean {
    const max = this.authenticatedState() ? this.limits.maxBadCommands : this.limits.maxBadCommandsBeforeLogin;
    if (++this.badCommands < max) return true;
    this.bye('Too many invalid commands');
    return false;
  }

  private bye(text: string): void {
    this.write(statusLine('*', 'BYE', text));
    this.state = 'logout';
  }

  private respond(tag: string, status: Status, text: string, code?: ResponseCode | string): void {
    this.write(statusLine(tag, status, text, code));
  }

  private async execute(tag: string, cmd: Command): Promise<void> {
    if (!ALLOWED[cmd.name].includes(this.state)) {
      const allowed = ALLOWED[cmd.name];
      const why =
        this.state === 'notAuthenticated' ? 'log in first' : allowed.includes('notAuthenticated') ? 'already logged in' : allowed.includes('selected') ? 'select a mailbox first' : 'not allowed now';
      this.respond(tag, 'BAD', `${cmd.name}: ${why}`);
      this.countBad();
      return;
    }
    const handler = this.handlers[cmd.name] as Handler;
    let done: Done | void;
    try {
      done = await handler(this, cmd, tag);
    } catch (e) {
      const err = this.toImapError(e, cmd.name);
      if (this.state === 'selected') await this.sendUpdates(mayExpunge(cmd)).catch(() => undefined);
      this.respond(tag, err.status, err.message, err.responseCode);
      if (err.status === 'BAD') this.countBad();
      return;
    }
    if (done?.silent) return;
    if (this.state === 'selected') await this.sendUpdates(mayExpunge(cmd));
    this.respond(tag, 'OK', done?.text ?? `${cmd.name} completed`, done?.code);
    await done?.after?.();
  }

  private toImapError(e: unknown, command: string): ImapError {
    if (e instanceof ImapError) return e;
    if (e instanceof BackendError) return new ImapError('NO', e.message, { name: BACKEND_CODES[e.kind] });
    this.ctx.log.error({ err: (e as Error)?.stack ?? String(e), command, user: this.username }, 'imap command failed');
    return new ImapError('NO', 'internal server error', { name: 'SERVERBUG' });
  }

  private async cleanup(): Promise<void> {
    this.state = 'logout';
    try {
      await this.deselect();
    } catch {
      // closing a mailbox that is already gone
    }
    const account = this.account;
    this.account = null;
    if (account !== null) {
      await account.close().catch(() => undefined);
      this.ctx.perUser.release(this.username!);
    }
    await this.io.flush().catch(() => undefined);
    this.io.close();
  }
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
