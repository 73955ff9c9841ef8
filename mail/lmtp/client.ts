/**
 * The client side of LMTP, for `aerogramme deliver`: one message, one or more
 * recipients, streamed from a Readable. What each recipient got is returned (its
 * RCPT refusal, or its own reply after DATA); anything that stops the whole
 * transaction (no connection, a refused greeting, MAIL FROM or DATA) throws.
 */
import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { AeroError } from '../../core/util/errors.js';
import { DataEncoder } from './data-encoder.js';

export interface LmtpReply {
  code: number;
  /** All lines' text, joined with "\n" (the enhanced status code, if any, included). */
  text: string;
}

export interface RecipientOutcome {
  recipient: string;
  reply: LmtpReply;
  /** Whether the reply came at RCPT TO (refused there) or after DATA. */
  stage: 'rcpt' | 'data';
}

export interface LmtpDelivery {
  host: string;
  port: number;
  /** Envelope sender; "" for the null sender. */
  sender: string;
  recipients: string[];
  message: Readable;
  /** Per reply awaited (default 5 min, RFC 5321 §4.5.3.2's DATA termination wait is 10). */
  timeoutMs?: number;
}

/** The transaction failed as a whole; `reply` is the server's answer when it gave one. */
export class LmtpClientError extends AeroError {
  constructor(
    message: string,
    readonly reply?: LmtpReply,
    options?: { cause?: unknown },
  ) {
    super('LmtpClient', message, options);
  }
}

/** Reads replies (multi-line ones whole) off the socket, one at a time. */
class ReplyReader {
  private buffered = '';
  private lines: string[] = [];
  private waiting: (() => void) | undefined;
  private failure: Error | undefined;

  constructor(
    socket: Socket,
    private readonly timeoutMs: number,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffered += text;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) !== -1) {
        this.lines.push(this.buffered.slice(0, nl).replace(/\r$/, ''));
        this.buffered = this.buffered.slice(nl + 1);
      }
      this.wake();
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake();
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  async next(): Promise<LmtpReply> {
    const text: string[] = [];
    for (;;) {
      const line = this.lines.shift();
      if (line === undefined) {
        if (this.failure !== undefined) throw new LmtpClientError(`no reply from the LMTP server: ${this.failure.message}`, undefined, { cause: this.failure });
        await this.wait();
        continue;
      }
      const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
      if (m === null) throw new LmtpClientError(`the LMTP server sent something that is not a reply: ${JSON.stringify(line.slice(0, 200))}`);
      text.push(m[3]!);
      if (m[2] !== '-') return { code: Number(m[1]), text: text.join('\n') };
    }
  }

  private wait(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new LmtpClientError(`no reply from the LMTP server within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

const isAscii = (s: string): boolean => /^[\x20-\x7e]*$/.test(s);

function requireReply(reply: LmtpReply, code: number, what: string): void {
  if (reply.code !== code) throw new LmtpClientError(`the LMTP server refused ${what}: ${reply.code} ${reply.text}`, reply);
}

export async function deliverOverLmtp(d: LmtpDelivery): Promise<RecipientOutcome[]> {
  const socket = connect({ host: d.host, port: d.port });
  const replies = new ReplyReader(socket, d.timeoutMs ?? 5 * 60_000);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (err) => reject(new LmtpClientError(`cannot connect to the LMTP server at ${d.host}:${d.port}: ${err.message}`, undefined, { cause: err })));
    });
    requireReply(await replies.next(), 220, 'the connection');
    socket.write(`LHLO ${hostname() || 'localhost'}\r\n`);
    const lhlo = await replies.next();
    requireReply(lhlo, 250, 'LHLO');
    const extensions = new Set(lhlo.text.split('\n').map((l) => l.split(' ')[0]!.toUpperCase()));
    const utf8 = ![d.sender, ...d.recipients].every(isAscii);
    if (utf8 && !extensions.has('SMTPUTF8')) throw new LmtpClientError('the addresses are not ASCII and the LMTP server does not offer SMTPUTF8');
    const params = [extensions.has('8BITMIME') ? ' BODY=8BITMIME' : '', utf8 ? ' SMTPUTF8' : ''].join('');
    socket.write(`MAIL FROM:<${d.sender}>${params}\r\n`);
    requireReply(await replies.next(), 250, 'the sender');

    const outcomes = new Map<string, RecipientOutcome>();
    const accepted: string[] = [];
    for (const recipient of d.recipients) {
      socket.write(`RCPT TO:<${recipient}>\r\n`);
      const reply = await replies.next();
      if (reply.code === 250 || reply.code === 251) accepted.push(recipient);
      else outcomes.set(recipient, { recipient, reply, stage: 'rcpt' });
    }
    if (accepted.length > 0) {
      socket.write('DATA\r\n');
      requireReply(await replies.next(), 354, 'DATA');
      await pipeline(d.message, new DataEncoder(), socket, { end: false });
      // RFC 2033 §4.2: one reply per accepted recipient, in RCPT order.
      for (const recipient of accepted) outcomes.set(recipient, { recipient, reply: await replies.next(), stage: 'data' });
    }
    socket.write('QUIT\r\n');
    return d.recipients.map((r) => outcomes.get(r)!);
  } finally {
    socket.end();
    socket.destroySoon();
  }
}
