/** A Session on an in-memory connection: bytes in, response text out, no sockets. */
import { silentLogger } from '../../../../core/util/log.js';
import { HANDLERS } from '../../../../mail/imap/commands/index.js';
import { DEFAULT_LIMITS, type ImapLimits } from '../../../../mail/imap/options.js';
import { AuthThrottle, ConnectionCounter } from '../../../../mail/imap/session/guards.js';
import { Session, type ServerContext } from '../../../../mail/imap/session/session.js';
import type { SessionIo } from '../../../../mail/imap/session/transport.js';
import { MemoryBackend } from '../../../integration/mail/imap/harness/memory-backend.js';

export class FakeIo implements SessionIo {
  private out = '';
  private waiters: Array<() => void> = [];
  closed = false;
  secure = false;
  session: Session | null = null;

  constructor(readonly remoteAddress = '127.0.0.1') {}

  write(data: string | Buffer): void {
    if (this.closed) return;
    this.out += typeof data === 'string' ? data : data.toString('latin1');
    for (const w of this.waiters.splice(0)) w();
  }
  async flush(): Promise<void> {}
  holdInput(): void {}
  async startTls(): Promise<void> {
    throw new Error('no TLS here');
  }
  startCompression(): void {
    throw new Error('no compression here');
  }
  close(): void {
    this.closed = true;
    this.session?.end();
    for (const w of this.waiters.splice(0)) w();
  }
  readMore(): void {}

  /** Everything written so far, and forgets it. */
  take(): string {
    const s = this.out;
    this.out = '';
    return s;
  }

  /** Waits until the output matches (or the connection closed); returns and forgets the output up to the match's end. */
  async waitFor(pattern: string | RegExp, timeoutMs = 5_000): Promise<string> {
    const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.out);
      if (m !== null) {
        const end = m.index + m[0].length;
        const got = this.out.slice(0, end);
        this.out = this.out.slice(end);
        return got;
      }
      if (this.closed) throw new Error(`closed before ${re}; output:\n${this.out}`);
      if (Date.now() > deadline) throw new Error(`no ${re} within ${timeoutMs} ms; output:\n${this.out}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 20);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for the tagged answer of `tag`; returns the output up to it. */
  waitForTag(tag: string, timeoutMs?: number): Promise<string> {
    const t = tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return this.waitFor(new RegExp(`(^|\r\n)${t} (OK|NO|BAD)[^\r\n]*\r\n`), timeoutMs);
  }
}

export interface Harness {
  io: FakeIo;
  session: Session;
  backend: MemoryBackend;
  ctx: ServerContext;
  done: Promise<void>;
  /** The greeting line (taken out of the output). */
  greeting: string;
  send(text: string | Buffer): void;
  /** Sends "tag command" and returns the output up to its tagged line. */
  cmd(tagged: string): Promise<string>;
}

export function startSession(opts: { limits?: Partial<ImapLimits>; remoteAddress?: string; cleartextAuth?: ServerContext['cleartextAuth']; backend?: MemoryBackend } = {}): Harness {
  const backend = opts.backend ?? new MemoryBackend();
  if (opts.backend === undefined) backend.addUser('alice', 'pw');
  const limits = { ...DEFAULT_LIMITS, authFailureDelayMs: 1, authFailureMaxDelayMs: 5, ...opts.limits };
  const ctx: ServerContext = {
    backend,
    users: backend,
    limits,
    tls: null,
    cleartextAuth: opts.cleartextAuth ?? 'loopback',
    compress: false,
    throttle: new AuthThrottle(limits.authFailureDelayMs, limits.authFailureMaxDelayMs),
    perUser: new ConnectionCounter(limits.maxConnectionsPerUser),
    log: silentLogger(),
  };
  const io = new FakeIo(opts.remoteAddress);
  const session = new Session(io, ctx, HANDLERS);
  io.session = session;
  const done = session.run();
  // run() writes the greeting before its first await.
  const greeting = io.take();
  const send = (text: string | Buffer): void => session.push(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  return {
    io,
    session,
    backend,
    ctx,
    done,
    greeting,
    send,
    cmd: (tagged) => {
      send(`${tagged}\r\n`);
      return io.waitForTag(tagged.slice(0, tagged.indexOf(' ')));
    },
  };
}
