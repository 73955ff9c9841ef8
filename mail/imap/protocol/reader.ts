/**
 * Cuts the client's byte stream into commands. A command is one or more lines
 * joined by literals ({n} synchronising, {n+} non-synchronising, ~{n} binary);
 * the reader sends the continuation request for a synchronising literal itself, and
 * checks every size before reading the bytes it announces:
 *  - line length, all line parts of a command together, literals excluded;
 *  - one literal (APPENDLIMIT for APPEND, much less elsewhere), all literals of a
 *    command together, and how many literals a command has.
 * An oversized synchronising literal costs the client only that command (it sends
 * nothing more for it); an oversized non-synchronising one is already on its way,
 * so the connection has to end.
 *
 * Pull-based: the session asks for the next command (or raw line, for IDLE's DONE
 * and SASL responses) when it is ready for it, so a continuation request never
 * lands in the middle of another command's responses, and pipelined input stays in
 * the buffer, bounded by the back-pressure the connection applies (`wantsData`).
 */
import { ImapError, ParseError } from '../errors.js';

export interface Literal {
  data: Buffer;
  /** Sent as literal8 (~{n}). */
  binary: boolean;
}

/** A framed command: line parts, literal i coming right after segments[i]. */
export interface RawCommand {
  segments: Buffer[];
  literals: Literal[];
}

export interface ReaderLimits {
  /** All line parts of a command together, literals excluded. */
  maxLineBytes: number;
  /** One literal, in commands other than APPEND. */
  maxLiteralBytes: number;
  /** One literal of APPEND: APPENDLIMIT. */
  maxAppendBytes: number;
  /** All literals of a command together. */
  maxCommandBytes: number;
  maxLiterals: number;
}

export type Frame =
  | { kind: 'command'; raw: RawCommand }
  /** Refused before it was read in full; `fatal`: the connection cannot go on. */
  | { kind: 'rejected'; tag: string | null; error: ImapError; fatal: boolean }
  | { kind: 'end' };

export type LineResult = { kind: 'line'; line: Buffer } | { kind: 'toolong' } | { kind: 'end' };

export interface ReaderHost {
  /** Limits for the command being read now (they differ before and after login). */
  limits(): ReaderLimits;
  /** Ask the client for a synchronising literal's bytes ("+ ..."). */
  continueLiteral(): void;
}

/** Input bytes not consumed yet, as a queue of chunks (no copying until taken). */
class ByteQueue {
  private chunks: Buffer[] = [];
  private offset = 0;
  length = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.length += b.length;
  }

  /** Position of the first `byte` at or after `from`, or -1. */
  indexOf(byte: number, from: number): number {
    let base = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      const c = this.chunks[i]!;
      const start = i === 0 ? this.offset : 0;
      const size = c.length - start;
      if (from < base + size) {
        const found = c.indexOf(byte, start + Math.max(0, from - base));
        if (found !== -1) return base + found - start;
      }
      base += size;
    }
    return -1;
  }

  take(n: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length - this.offset >= n) {
      const out = first.subarray(this.offset, this.offset + n);
      this.skip(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let copied = 0;
    while (copied < n) {
      const c = this.chunks[0]!;
      const k = Math.min(n - copied, c.length - this.offset);
      c.copy(out, copied, this.offset, this.offset + k);
      copied += k;
      this.skip(k);
    }
    return out;
  }

  skip(n: number): void {
    this.length -= n;
    while (n > 0) {
      const c = this.chunks[0]!;
      const left = c.length - this.offset;
      if (n < left) {
        this.offset += n;
        return;
      }
      n -= left;
      this.chunks.shift();
      this.offset = 0;
    }
  }

  clear(): void {
    this.chunks = [];
    this.offset = 0;
    this.length = 0;
  }
}

const LF = 0x0a;
const CR = 0x0d;
const LITERAL_MARKER = /(~?)\{(\d{1,20})(\+?)\}$/;
const HEAD = /^([^\s(){%*"\\]+) +(?:(UID) +)?([A-Za-z]+)/;

/** Bytes beyond what the current command needs that we keep before asking the connection to pause. */
const HIGH_WATER = 256 * 1024;

interface Pending {
  size: number;
  binary: boolean;
}

export class CommandReader {
  private readonly queue = new ByteQueue();
  private ended = false;
  private wake: (() => void) | null = null;
  /** Bytes of the queue already searched for LF (so trickling input is not rescanned). */
  private scanned = 0;
  // The command being framed.
  private segments: Buffer[] = [];
  private literals: Literal[] = [];
  private lineBytes = 0;
  private literalBytes = 0;
  private pending: Pending | null = null;

  constructor(private readonly host: ReaderHost) {}

  push(chunk: Buffer): void {
    this.queue.push(chunk);
    this.notify();
  }

  /** The input has ended (connection closed). */
  end(): void {
    this.ended = true;
    this.notify();
  }

  /** Drops buffered input (after STARTTLS: nothing sent in clear may run protected). */
  discardBuffered(): void {
    this.queue.clear();
    this.scanned = 0;
  }

  /** Bytes received and not yet consumed. */
  get buffered(): number {
    return this.queue.length;
  }

  /** Part of a command is here, the rest not yet (a line without its end, or an announced literal). */
  get midCommand(): boolean {
    return this.segments.length > 0 || this.pending !== null || this.queue.length > 0;
  }

  /** False when the connection should stop reading the socket for now. */
  get wantsData(): boolean {
    return this.queue.length < HIGH_WATER || (this.pending !== null && this.queue.length < this.pending.size);
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private more(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private resetCommand(): void {
    this.segments = [];
    this.literals = [];
    this.lineBytes = 0;
    this.literalBytes = 0;
    this.pending = null;
  }

  /** Takes one line (without its CRLF or LF) if a whole one is buffered; 'toolong' past `max`. */
  private takeLine(max: number): Buffer | 'toolong' | null {
    const lf = this.queue.indexOf(LF, this.scanned);
    if (lf === -1) {
      this.scanned = this.queue.length;
      return this.queue.length > max ? 'toolong' : null;
    }
    this.scanned = 0;
    if (lf > max + 1) return 'toolong';
    const line = this.queue.take(lf + 1);
    const end = line.length >= 2 && line[line.length - 2] === CR ? line.length - 2 : line.length - 1;
    return line.subarray(0, end);
  }

  /** One raw line: IDLE's DONE, a SASL response. */
  async nextLine(maxBytes: number): Promise<LineResult> {
    for (;;) {
      const line = this.takeLine(maxBytes);
      if (line === 'toolong') return { kind: 'toolong' };
      if (line !== null) return { kind: 'line', line };
      if (this.ended) return { kind: 'end' };
      await this.more();
    }
  }

  /** The next whole command, a refusal, or the end of input. */
  async next(): Promise<Frame> {
    for (;;) {
      const frame = this.step();
      if (frame !== null) return frame;
      if (this.ended) {
        this.resetCommand();
        return { kind: 'end' };
      }
      await this.more();
    }
  }

  /** Advances as far as the buffered bytes allow; a frame when one is complete. */
  private step(): Frame | null {
    const limits = this.host.limits();
    for (;;) {
      if (this.pending !== null) {
        if (this.queue.length < this.pending.size) return null;
        this.literals.push({ data: this.queue.take(this.pending.size), binary: this.pending.binary });
        this.pending = null;
        continue;
      }
      const line = this.takeLine(limits.maxLineBytes - this.lineBytes);
      if (line === null) return null;
      if (line === 'toolong') {
        const tag = this.segments.length > 0 ? tagOf(this.segments[0]!) : null;
        this.resetCommand();
        return { kind: 'rejected', tag, error: new ParseError('command line too long', 'TOOBIG'), fatal: true };
      }
      // Some clients send empty lines between commands.
      if (this.segments.length === 0 && line.length === 0) continue;
      this.segments.push(line);
      this.lineBytes += line.length;
      const marker = LITERAL_MARKER.exec(line.toString('latin1', Math.max(0, line.length - 25)));
      if (marker === null) {
        const raw = { segments: this.segments, literals: this.literals };
        this.resetCommand();
        return { kind: 'command', raw };
      }
      const refusal = this.checkLiteral(Number(marker[2]), marker[3] === '+', limits);
      if (refusal !== null) return refusal;
      this.pending = { size: Number(marker[2]), binary: marker[1] === '~' };
      if (marker[3] !== '+') this.host.continueLiteral();
    }
  }

  /** A refusal frame when the announced literal breaks a limit, else null. */
  private checkLiteral(size: number, nonSync: boolean, limits: ReaderLimits): Frame | null {
    const head = HEAD.exec(this.segments[0]!.toString('latin1'));
    const append = head !== null && head[2] === undefined && head[3]!.toUpperCase() === 'APPEND';
    const max = append ? limits.maxAppendBytes : limits.maxLiteralBytes;
    let error: ImapError | null = null;
    if (size > max) {
      error = append ? new ImapError('NO', `message too big (the limit is ${max} bytes)`, { name: 'TOOBIG' }) : new ParseError('literal too big', 'TOOBIG');
    } else if (this.literalBytes + size > limits.maxCommandBytes) {
      error = new ImapError(append ? 'NO' : 'BAD', 'command too big', { name: 'TOOBIG' });
    } else if (this.literals.length + 1 > limits.maxLiterals) {
      error = new ParseError('too many literals', 'LIMIT');
    }
    if (error === null) {
      this.literalBytes += size;
      return null;
    }
    const tag = head?.[1] ?? tagOf(this.segments[0]!);
    this.resetCommand();
    return { kind: 'rejected', tag, error, fatal: nonSync };
  }
}

function tagOf(line: Buffer): string | null {
  const m = /^([^\s(){%*"\\+]+) /.exec(line.toString('latin1', 0, Math.min(line.length, 80)));
  return m === null ? null : m[1]!;
}
