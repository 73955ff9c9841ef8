/**
 * Reads IMAP tokens (RFC 3501 §9 / RFC 9051 §9) from a framed command: atoms,
 * quoted strings, literals, numbers, lists. Every failure is a ParseError; nothing
 * here can throw anything else or loop without consuming input.
 *
 * Tolerances for real clients: runs of spaces count as one, a backslash in a quoted
 * string escapes any character, quoted strings may hold UTF-8. Refused: NUL, CR and
 * LF outside literals, 8-bit bytes in atoms, lists nested deeper than the limit.
 */
import { ParseError } from '../errors.js';
import type { Literal, RawCommand } from './reader.js';

const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const MAX_NUMBER = 0xffffffff;
/** mod-sequence-value is 63-bit; past 2^53 a number loses precision, which comparisons survive. */
const MAX_MODSEQ = 2 ** 63 - 1;

function isAtomChar(c: number): boolean {
  // ATOM-CHAR: any CHAR except atom-specials: ( ) { SP CTL % * " \ ]
  return c > 0x20 && c < 0x7f && c !== 0x28 && c !== 0x29 && c !== 0x7b && c !== 0x25 && c !== 0x2a && c !== DQUOTE && c !== BACKSLASH && c !== 0x5d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

const LITERAL_AT_END = /^(~?)\{(\d+)(\+?)\}$/;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

export class Cursor {
  private seg = 0;
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly raw: RawCommand,
    private readonly maxDepth: number,
  ) {}

  private get line(): Buffer {
    return this.raw.segments[this.seg]!;
  }

  /** Where the cursor is, to come back to with restore() (one-token look-ahead). */
  save(): [number, number, number] {
    return [this.seg, this.pos, this.depth];
  }

  restore(at: [number, number, number]): void {
    [this.seg, this.pos, this.depth] = at;
  }

  /** The byte at the cursor, -1 at the end of a line part. */
  peek(offset = 0): number {
    const i = this.pos + offset;
    return i < this.line.length ? this.line[i]! : -1;
  }

  /** At the very end of the command. */
  atEnd(): boolean {
    return this.seg === this.raw.segments.length - 1 && this.pos >= this.line.length;
  }

  fail(message: string): never {
    throw new ParseError(message);
  }

  /** One separating space (a run of them is tolerated). */
  sp(): void {
    if (this.peek() !== SP) this.fail(this.atEnd() ? 'missing arguments' : 'expected a space');
    while (this.peek() === SP) this.pos++;
  }

  trySp(): boolean {
    if (this.peek() !== SP) return false;
    this.sp();
    return true;
  }

  /** Skips spaces at the end of the command (some clients leave one) and checks nothing else is left. */
  end(): void {
    while (this.peek() === SP) this.pos++;
    if (!this.atEnd()) this.fail('unexpected characters at the end of the command');
  }

  /** Consumes `ch` if it is next. */
  tryChar(ch: string): boolean {
    if (this.peek() !== ch.charCodeAt(0)) return false;
    this.pos++;
    return true;
  }

  expect(ch: string): void {
    if (!this.tryChar(ch)) this.fail(`expected "${ch}"`);
  }

  /** Consumes the exact (case-insensitive) text if it is next. */
  tryWord(word: string): boolean {
    const end = this.pos + word.length;
    if (end > this.line.length) return false;
    if (this.line.toString('latin1', this.pos, end).toUpperCase() !== word.toUpperCase()) return false;
    this.pos = end;
    return true;
  }

  openList(): void {
    this.expect('(');
    if (++this.depth > this.maxDepth) throw new ParseError('too deeply nested', 'LIMIT');
  }

  tryOpenList(): boolean {
    if (this.peek() !== 0x28) return false;
    this.openList();
    return true;
  }

  closeList(): void {
    this.expect(')');
    this.depth--;
  }

  /** For recursion that is not a parenthesised list (OR OR OR ...). */
  enter(): void {
    if (++this.depth > this.maxDepth) throw new ParseError('too deeply nested', 'LIMIT');
  }

  leave(): void {
    this.depth--;
  }

  /** Reads list items with `item` until ")" (the "(" already read). Empty lists allowed. */
  listItems(item: () => void): void {
    if (this.tryChar(')')) {
      this.depth--;
      return;
    }
    for (;;) {
      item();
      if (this.tryChar(')')) {
        this.depth--;
        return;
      }
      this.sp();
    }
  }

  /** Bytes while `ok` holds. */
  private run(ok: (c: number) => boolean): Buffer {
    const start = this.pos;
    while (this.pos < this.line.length && ok(this.line[this.pos]!)) this.pos++;
    return this.line.subarray(start, this.pos);
  }

  atom(): string {
    const b = this.run(isAtomChar);
    if (b.length === 0) this.fail(this.atEnd() ? 'missing arguments' : 'expected an atom');
    return b.toString('latin1');
  }

  /** An atom, upper-cased (command names, keywords). */
  keyword(): string {
    return this.atom().toUpperCase();
  }

  /** Letters, digits and dots, upper-cased: FETCH item names ("BODY.PEEK"), section keywords. Possibly empty. */
  word(): string {
    return this.run((c) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || isDigit(c) || c === 0x2e)
      .toString('latin1')
      .toUpperCase();
  }

  /** A tag: ASTRING-CHAR except "+". */
  tag(): string {
    const b = this.run((c) => (isAtomChar(c) || c === 0x5d) && c !== 0x2b);
    if (b.length === 0) this.fail('missing or invalid tag');
    return b.toString('latin1');
  }

  /** The literal announced at the cursor, if the line part ends with its marker there. */
  private tryLiteral(): Literal | null {
    const c = this.peek();
    if (c !== 0x7b && c !== 0x7e) return null;
    if (!LITERAL_AT_END.test(this.line.toString('latin1', this.pos))) return null;
    const lit = this.raw.literals[this.seg];
    if (lit === undefined) this.fail('literal without data');
    this.seg++;
    this.pos = 0;
    return lit;
  }

  private quoted(): Buffer {
    this.pos++; // the opening quote
    const out: number[] = [];
    for (;;) {
      const c = this.peek();
      if (c === -1) this.fail('unterminated quoted string');
      this.pos++;
      if (c === DQUOTE) return Buffer.from(out);
      if (c === BACKSLASH) {
        const e = this.peek();
        if (e === -1) this.fail('unterminated quoted string');
        if (e === 0) this.fail('NUL in quoted string');
        out.push(e);
        this.pos++;
        continue;
      }
      if (c === 0) this.fail('NUL in quoted string');
      out.push(c);
    }
  }

  /** A string (quoted or literal). Literals may hold anything but NUL unless `allowNul`. */
  string(allowNul = false): Buffer {
    if (this.peek() === DQUOTE) return this.quoted();
    const lit = this.tryLiteral();
    if (lit === null) this.fail('expected a string');
    if (lit.binary) this.fail('literal8 is not allowed here');
    if (!allowNul && lit.data.includes(0)) this.fail('NUL in literal');
    return lit.data;
  }

  /** A literal or literal8 (APPEND's message), NULs allowed. */
  messageLiteral(): Literal {
    const lit = this.tryLiteral();
    if (lit === null) this.fail('expected a literal');
    return lit;
  }

  /** An astring: atom (with "]"), quoted string or literal. */
  astring(): Buffer {
    const c = this.peek();
    if (c === DQUOTE || c === 0x7b || c === 0x7e) return this.string();
    const b = this.run((x) => isAtomChar(x) || x === 0x5d);
    if (b.length === 0) this.fail(this.atEnd() ? 'missing arguments' : 'expected a string');
    return b;
  }

  astringText(): string {
    return this.astring().toString('utf8');
  }

  nstring(): Buffer | null {
    if (this.line.toString('latin1', this.pos, this.pos + 3).toUpperCase() === 'NIL' && !isAtomChar(this.peek(3))) {
      this.pos += 3;
      return null;
    }
    return this.string();
  }

  /** A list-mailbox: list-chars (atom chars, "%", "*", "]") or a string. */
  listMailbox(): Buffer {
    const c = this.peek();
    if (c === DQUOTE || c === 0x7b) return this.string();
    const b = this.run((x) => isAtomChar(x) || x === 0x25 || x === 0x2a || x === 0x5d);
    if (b.length === 0) this.fail('expected a mailbox pattern');
    return b;
  }

  number(): number {
    const b = this.run(isDigit);
    if (b.length === 0) this.fail('expected a number');
    if (b.length > 10) this.fail('number too big');
    const n = Number(b.toString('latin1'));
    if (n > MAX_NUMBER) this.fail('number too big');
    return n;
  }

  nzNumber(): number {
    const n = this.number();
    if (n === 0) this.fail('expected a non-zero number');
    return n;
  }

  /** mod-sequence-value (RFC 7162): up to 2^63-1. */
  modseq(): number {
    const b = this.run(isDigit);
    if (b.length === 0) this.fail('expected a mod-sequence');
    if (b.length > 19) this.fail('mod-sequence too big');
    const n = Number(b.toString('latin1'));
    if (n > MAX_MODSEQ) this.fail('mod-sequence too big');
    return n;
  }

  /** A date (RFC 3501 date: "d-Mon-yyyy", quoted or not) as ms at 00:00 UTC of that day. */
  date(): number {
    const quoted = this.tryChar('"');
    const text = this.run((c) => isAtomChar(c)).toString('latin1');
    if (quoted) this.expect('"');
    const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
    const month = m === null ? -1 : MONTHS.indexOf(m[2]!.toLowerCase());
    if (m === null || month < 0) this.fail('invalid date');
    const day = Number(m[1]);
    const t = Date.UTC(Number(m[3]), month, day);
    if (day < 1 || new Date(t).getUTCDate() !== day) this.fail('invalid date');
    return t;
  }

  /** A date-time ("dd-Mon-yyyy hh:mm:ss +zzzz", quoted) as ms since the epoch. */
  dateTime(): number {
    if (this.peek() !== DQUOTE) this.fail('expected a date-time');
    const text = this.quoted().toString('latin1');
    const m = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text);
    const month = m === null ? -1 : MONTHS.indexOf(m[2]!.toLowerCase());
    if (m === null || month < 0) this.fail('invalid date-time');
    const [day, year, hh, mm, ss, zh, zm] = [m[1], m[3], m[4], m[5], m[6], m[8], m[9]].map(Number) as [number, number, number, number, number, number, number];
    if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || zm > 59) this.fail('invalid date-time');
    const zone = (m[7] === '-' ? -1 : 1) * (zh * 60 + zm);
    return Date.UTC(year, month, day, hh, mm, ss) - zone * 60_000;
  }

  /** A flag: \System or keyword atom. */
  flag(): string {
    if (this.tryChar('\\')) {
      if (this.tryChar('*')) return '\\*';
      return '\\' + this.atom();
    }
    return this.atom();
  }

  /** "(" flag *(SP flag) ")"; with `bare`, a single flag without parentheses is accepted too. */
  flagList(bare = false): string[] {
    const flags: string[] = [];
    if (bare && this.peek() !== 0x28) {
      flags.push(this.flag());
      while (this.peek() === SP && this.peek(1) !== -1 && this.peek(1) !== SP) {
        this.sp();
        flags.push(this.flag());
      }
      return flags;
    }
    this.openList();
    this.listItems(() => flags.push(this.flag()));
    return flags;
  }
}
