/**
 * A raw IMAP client for protocol transcripts: lines go out exactly as written, and
 * responses come back as text (latin1), literal-aware, up to a tagged line.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { constants as zlibConstants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from 'node:zlib';

export class RawClient {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  closed = false;
  greeting = '';
  private inflate: InflateRaw | null = null;
  private deflate: DeflateRaw | null = null;

  private constructor(private socket: Socket) {
    this.listen(socket);
  }

  private listen(socket: Socket): void {
    socket.on('data', (d: Buffer) => {
      if (this.inflate !== null) this.inflate.write(d);
      else this.append(d);
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  private append(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    this.waiter?.();
  }

  static async connect(port: number, opts: { tls?: boolean; greeting?: boolean } = {}): Promise<RawClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s: Socket = opts.tls
        ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => resolve(s))
        : netConnect({ port, host: '127.0.0.1' }, () => resolve(s));
      s.once('error', reject);
    });
    const c = new RawClient(socket);
    if (opts.greeting !== false) c.greeting = await c.line();
    return c;
  }

  send(data: string | Buffer): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    if (this.deflate !== null) {
      this.deflate.write(bytes);
      this.deflate.flush(zlibConstants.Z_SYNC_FLUSH);
    } else this.socket.write(bytes);
  }

  private more(timeoutMs: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`connection closed; got so far:\n${this.buf.toString('latin1')}`));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out; got so far:\n${this.buf.toString('latin1')}`)), timeoutMs);
      this.waiter = () => {
        clearTimeout(t);
        this.waiter = null;
        resolve();
      };
    });
  }

  /** One line, without CRLF (literals not followed). */
  async line(timeoutMs = 10_000): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i !== -1) {
        const out = this.buf.toString('latin1', 0, i);
        this.buf = this.buf.subarray(i + 2);
        return out;
      }
      await this.more(timeoutMs);
    }
  }

  /** Everything up to and including the line starting with `tag ` (literals followed), as text. */
  async until(tag: string, timeoutMs = 10_000): Promise<string> {
    let pos = 0;
    let lineStart = 0;
    for (;;) {
      const crlf = this.buf.indexOf('\r\n', pos);
      if (crlf === -1) {
        await this.more(timeoutMs);
        continue;
      }
      const lit = /~?\{(\d+)\}$/.exec(this.buf.toString('latin1', Math.max(lineStart, crlf - 24), crlf));
      if (lit !== null) {
        const need = crlf + 2 + Number(lit[1]);
        while (this.buf.length < need) await this.more(timeoutMs);
        pos = need;
        continue;
      }
      pos = crlf + 2;
      if (this.buf.toString('latin1', lineStart, lineStart + tag.length + 1) === `${tag} `) {
        const out = this.buf.toString('latin1', 0, pos);
        this.buf = this.buf.subarray(pos);
        return out;
      }
      lineStart = pos;
    }
  }

  /** Sends "tag command" and returns the response up to the tagged line. */
  async cmd(tagged: string, timeoutMs?: number): Promise<string> {
    this.send(`${tagged}\r\n`);
    return this.until(tagged.slice(0, tagged.indexOf(' ')), timeoutMs);
  }

  /** Waits until the connection is closed by the server; returns what was left unread. */
  async closedByServer(timeoutMs = 10_000): Promise<string> {
    while (!this.closed) await this.more(timeoutMs).catch((e: unknown) => {
      if (!this.closed) throw e;
    });
    return this.buf.toString('latin1');
  }

  /** Unread bytes so far, as text (does not consume). */
  pending(): string {
    return this.buf.toString('latin1');
  }

  /** Switches both directions to raw DEFLATE (after "OK DEFLATE active"). */
  startCompression(): void {
    const inflate = createInflateRaw();
    inflate.on('data', (d: Buffer) => this.append(d));
    const deflate = createDeflateRaw();
    deflate.on('data', (d: Buffer) => this.socket.write(d));
    this.inflate = inflate;
    this.deflate = deflate;
    if (this.buf.length > 0) {
      const rest = this.buf;
      this.buf = Buffer.alloc(0);
      this.inflate.write(rest);
    }
  }

  /** Upgrades to TLS (after "OK Begin TLS"). */
  async startTls(): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    this.socket = await new Promise<Socket>((resolve, reject) => {
      const s = tlsConnect({ socket: plain, rejectUnauthorized: false }, () => resolve(s));
      s.once('error', reject);
    });
    this.listen(this.socket);
  }

  close(): void {
    this.socket.destroy();
  }
}

