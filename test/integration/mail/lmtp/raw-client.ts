/** A raw LMTP connection for protocol tests: bytes go out as written, replies come back whole. */
import { Socket } from 'node:net';

export interface Reply {
  code: number;
  /** Every line as sent, without CRLF. */
  lines: string[];
}

export class RawLmtp {
  private buf = '';
  private waiter: (() => void) | undefined;
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  static async open(port: number): Promise<RawLmtp> {
    const socket = new Socket();
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, '127.0.0.1', resolve);
    });
    return new RawLmtp(socket);
  }

  /** Opens a connection and reads the greeting. */
  static async greeted(port: number): Promise<RawLmtp> {
    const c = await RawLmtp.open(port);
    const greeting = await c.reply();
    if (greeting.code !== 220) throw new Error(`greeting: ${greeting.lines.join('\n')}`);
    return c;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next reply; rejects if the connection closes (or `timeoutMs` passes) first. */
  async reply(timeoutMs = 10_000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    const lines: string[] = [];
    for (;;) {
      const nl = this.buf.indexOf('\r\n');
      if (nl === -1) {
        if (this.closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.buf)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error('no reply in time');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          this.waiter = () => {
            clearTimeout(timer);
            this.waiter = undefined;
            resolve();
          };
        });
        continue;
      }
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 2);
      lines.push(line);
      if (line[3] !== '-') return { code: Number(line.slice(0, 3)), lines };
    }
  }

  /** Sends a command line and returns its reply as one string ("250 2.1.5 Accepted"). */
  async command(line: string): Promise<string> {
    this.write(`${line}\r\n`);
    return (await this.reply()).lines.join('\n');
  }

  /** Whether nothing has arrived (and the connection is open) after `ms`. */
  async silentFor(ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.buf === '' && !this.closed;
  }

  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (!this.closed) throw new Error('connection still open');
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A message with CRLF line endings from its lines. */
export function lines(...ls: string[]): Buffer {
  return Buffer.from(ls.map((l) => `${l}\r\n`).join(''), 'utf8');
}

/** Dot-stuffs a CRLF message and appends the terminator. */
export function dataOf(message: Buffer): Buffer {
  const text = message.toString('latin1').replace(/(^|\r\n)\./g, '$1..');
  return Buffer.from(`${text}.\r\n`, 'latin1');
}
