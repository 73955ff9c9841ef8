/**
 * The byte stream under a session: a TCP socket, upgraded in place by STARTTLS, and
 * optionally wrapped in DEFLATE (RFC 4978) on both directions. Input goes to the
 * session's reader; the session's writes come back through here. Back-pressure both
 * ways: reading pauses while the session has enough pipelined input, and writers
 * await flush() when the socket's buffer is full.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { constants as zlibConstants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from 'node:zlib';
import type { Duplex } from 'node:stream';

/** What the session sees of its connection. */
export interface SessionIo {
  /** Collects output; nothing is sent before flush() (or enough has collected). */
  write(data: string | Buffer): void;
  /** Sends what was written; resolves once the socket took it (or the connection is gone). */
  flush(): Promise<void>;
  /**
   * STARTTLS, first step, before the tagged OK: stop reading the plain socket, so
   * the client's TLS handshake stays in the kernel for the TLS layer to read.
   */
  holdInput(): void;
  /** STARTTLS, second step, after the tagged OK: the handshake. */
  startTls(context: SecureContext): Promise<void>;
  /** COMPRESS=DEFLATE, from the next byte on in both directions. */
  startCompression(): void;
  /** Ends the connection after what was written. */
  close(): void;
  /** The session consumed input: reading may resume. */
  readMore(): void;
  readonly secure: boolean;
  readonly remoteAddress: string;
}

/** Where input goes. */
export interface InputSink {
  push(chunk: Buffer): void;
  end(): void;
  readonly wantsData: boolean;
}

const OUT_CHUNK = 64 * 1024;

export class SocketIo implements SessionIo {
  private stream: Socket | TLSSocket;
  private inflate: InflateRaw | null = null;
  private deflate: DeflateRaw | null = null;
  private closed = false;
  private paused = false;
  /** Bytes went into DEFLATE since its last flush (an empty flush block confuses mbsync). */
  private unflushed = false;
  /** Output not handed to the socket yet: many small writes become one (a FETCH of 10,000 messages is 30,000 writes). */
  private out: Buffer[] = [];
  private outBytes = 0;
  private sink: InputSink | null = null;
  readonly remoteAddress: string;
  secure: boolean;

  private readonly onData = (chunk: Buffer): void => {
    if (this.inflate !== null) this.inflate.write(chunk);
    else this.deliver(chunk);
  };

  private readonly onEnd = (): void => {
    this.closed = true;
    this.sink?.end();
  };

  constructor(
    socket: Socket,
    secure: boolean,
    /** A client that reads nothing for this long is cut off (Dovecot: 5 minutes). */
    private readonly outputStallMs: number,
  ) {
    this.stream = socket;
    this.secure = secure;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.attach(socket);
  }

  /** Starts delivering input to `sink`. */
  connect(sink: InputSink): void {
    this.sink = sink;
  }

  private attach(stream: Duplex): void {
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
    // Errors (reset, TLS alerts) end the session like a close does.
    stream.on('error', this.onEnd);
  }

  private detach(stream: Duplex): void {
    stream.off('data', this.onData);
    stream.off('end', this.onEnd);
    stream.off('close', this.onEnd);
    stream.off('error', this.onEnd);
  }

  private deliver(chunk: Buffer): void {
    if (this.sink === null) return;
    this.sink.push(chunk);
    if (!this.sink.wantsData && !this.paused) {
      this.paused = true;
      this.stream.pause();
    }
  }

  readMore(): void {
    if (this.paused && (this.sink?.wantsData ?? true)) {
      this.paused = false;
      this.stream.resume();
    }
  }

  write(data: string | Buffer): void {
    if (this.closed) return;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    this.out.push(bytes);
    this.outBytes += bytes.length;
    if (this.outBytes >= OUT_CHUNK) this.push();
  }

  /** Hands the collected output to the socket (or DEFLATE). */
  private push(): void {
    if (this.out.length === 0 || this.closed) return;
    const bytes = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out, this.outBytes);
    this.out = [];
    this.outBytes = 0;
    if (this.deflate !== null) this.unflushed = true;
    (this.deflate ?? this.stream).write(bytes);
  }

  async flush(): Promise<void> {
    this.push();
    if (this.closed) return;
    const deflate = this.deflate;
    if (deflate !== null && this.unflushed) {
      this.unflushed = false;
      await new Promise<void>((resolve) => deflate.flush(zlibConstants.Z_SYNC_FLUSH, () => resolve()));
    }
    const stream = this.stream;
    if (!stream.writableNeedDrain || this.closed) return;
    await new Promise<void>((resolve) => {
      const stalled = setTimeout(() => stream.destroy(), this.outputStallMs);
      const done = (): void => {
        clearTimeout(stalled);
        stream.off('drain', done);
        stream.off('close', done);
        resolve();
      };
      stream.on('drain', done);
      stream.on('close', done);
    });
  }

  holdInput(): void {
    this.detach(this.stream);
    this.stream.pause();
    this.paused = false;
  }

  async startTls(context: SecureContext): Promise<void> {
    const plain = this.stream as Socket;
    // Errors during the handshake close the session like any other.
    plain.on('error', this.onEnd);
    const tls = new TLSSocket(plain, { isServer: true, secureContext: context });
    this.stream = tls;
    await new Promise<void>((resolve) => {
      tls.once('secure', () => resolve());
      tls.once('error', () => resolve());
      tls.once('close', () => resolve());
    });
    this.secure = true;
    this.attach(tls);
  }

  startCompression(): void {
    // What was written so far (the tagged OK) goes out uncompressed.
    this.push();
    const inflate = createInflateRaw();
    const deflate = createDeflateRaw({ level: 6 });
    inflate.on('data', (chunk: Buffer) => this.deliver(chunk));
    // Garbage from the client: end the session.
    inflate.on('error', () => this.close());
    deflate.pipe(this.stream);
    this.inflate = inflate;
    this.deflate = deflate;
  }

  close(): void {
    if (this.closed) return;
    this.push();
    this.closed = true;
    const stream = this.stream;
    // The deflate stream ends the socket when it ends (pipe).
    if (this.deflate !== null) this.deflate.end();
    else stream.end();
    // A client that never reads must not keep the socket forever.
    setTimeout(() => stream.destroy(), 5_000).unref();
  }
}
