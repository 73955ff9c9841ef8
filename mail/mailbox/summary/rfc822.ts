/**
 * RFC 822/5322 and MIME token reader over raw header bytes: comments, atoms,
 * dot-atoms, quoted strings, phrases, domains, MIME tokens, content types and
 * parameters. It follows Dovecot's rfc822-parser rule for rule (including how it
 * recovers from broken input) because IMAP clients see the result in ENVELOPE and
 * BODYSTRUCTURE, and we are proven equal to Dovecot there.
 *
 * Every reader returns 1 when more input follows, 0 at the end of the input and -1
 * on a syntax error, like the original, since callers branch on exactly that.
 */
import type { Octets } from './types.js';

const NUL = 0x00;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const DQUOTE = 0x22;
const LPAREN = 0x28;
const RPAREN = 0x29;
const DOT = 0x2e;
const SLASH = 0x2f;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;

/** U+FFFD in UTF-8, put where a NUL byte was. */
export const NUL_REPLACEMENT: Octets = '\xef\xbf\xbd';

/** 1: atext, 2: alphanumeric or 8-bit, 4: atext but a MIME tspecial ("/", "=", "?"). */
const ATEXT = new Uint8Array(256);
for (let c = 0x80; c < 0x100; c++) ATEXT[c] = 2;
for (const ch of "!#$%&'*+-^_`{|}~") ATEXT[ch.charCodeAt(0)] = 1;
for (const ch of '/=?') ATEXT[ch.charCodeAt(0)] = 4;
for (let c = 0x30; c <= 0x39; c++) ATEXT[c] = 2;
for (let c = 0x41; c <= 0x5a; c++) ATEXT[c] = 2;
for (let c = 0x61; c <= 0x7a; c++) ATEXT[c] = 2;

function isAtext(c: number): boolean {
  return ATEXT[c] !== 0;
}

function isTokenChar(c: number): boolean {
  return (ATEXT[c]! & 3) !== 0 || c === DOT;
}

/** A growable output string (the C code's string_t). */
export class Str {
  s: Octets = '';
  get length(): number {
    return this.s.length;
  }
  add(x: Octets): void {
    this.s += x;
  }
  truncate(n: number): void {
    this.s = this.s.slice(0, n);
  }
}

export class Rfc822Parser {
  pos = 0;
  readonly end: number;
  /** Text of the last comment skipped, when asked for (display names of bare addresses). */
  lastComment: Str | null;
  /** What to put where a NUL byte is met inside quoted strings, comments and domain literals. */
  nulReplacement: Octets | null = null;

  constructor(
    readonly data: Buffer,
    keepComments = false,
  ) {
    this.end = data.length;
    this.lastComment = keepComments ? new Str() : null;
  }

  /** The current byte, or 0 at the end (the C code reads the terminating NUL there). */
  cur(): number {
    return this.pos < this.end ? this.data[this.pos]! : NUL;
  }

  private slice(a: number, b: number): Octets {
    return this.data.toString('latin1', a, b);
  }

  skipComment(): number {
    const comment = this.lastComment;
    if (comment !== null) comment.truncate(0);
    let level = 1;
    let start = ++this.pos;
    for (; this.pos < this.end; this.pos++) {
      const c = this.data[this.pos]!;
      if (c === NUL) {
        if (comment !== null && this.nulReplacement !== null) {
          comment.add(this.slice(start, this.pos) + this.nulReplacement);
          start = this.pos + 1;
        }
      } else if (c === LPAREN) {
        level++;
      } else if (c === RPAREN) {
        if (--level === 0) {
          if (comment !== null) comment.add(this.slice(start, this.pos));
          this.pos++;
          return this.pos < this.end ? 1 : 0;
        }
      } else if (c === LF) {
        if (comment === null) continue;
        const len = this.pos > start && this.data[this.pos - 1] === CR ? this.pos - 1 : this.pos;
        comment.add(this.slice(start, len));
        start = this.pos + 1;
      } else if (c === BACKSLASH) {
        this.pos++;
        if (this.pos >= this.end) return -1;
        const e = this.data[this.pos]!;
        if (e === CR || e === LF || e === NUL) {
          this.pos--;
          continue;
        }
        if (comment !== null) comment.add(this.slice(start, this.pos - 1));
        start = this.pos;
      }
    }
    return -1;
  }

  skipLwsp(): number {
    while (this.pos < this.end) {
      const c = this.data[this.pos]!;
      if (c === SP || c === TAB || c === CR || c === LF) {
        this.pos++;
        continue;
      }
      if (c !== LPAREN) break;
      if (this.skipComment() < 0) return -1;
    }
    return this.pos < this.end ? 1 : 0;
  }

  parseAtom(out: Str): number {
    if (this.pos >= this.end || !isAtext(this.cur())) return -1;
    const start = this.pos++;
    while (this.pos < this.end && isAtext(this.data[this.pos]!)) this.pos++;
    out.add(this.slice(start, this.pos));
    return this.pos < this.end ? this.skipLwsp() : 0;
  }

  parseDotAtom(out: Str): number {
    if (this.pos >= this.end || !isAtext(this.cur())) return -1;
    let start = this.pos++;
    while (this.pos < this.end) {
      if (isAtext(this.data[this.pos]!)) {
        this.pos++;
        continue;
      }
      if (start === this.pos) return -1;
      out.add(this.slice(start, this.pos));
      const ret = this.skipLwsp();
      if (ret <= 0) return ret;
      if (this.cur() !== DOT) return 1;
      this.pos++;
      out.add('.');
      if (this.skipLwsp() <= 0) return -1;
      start = this.pos;
    }
    out.add(this.slice(start, this.pos));
    return 0;
  }

  parseMimeToken(out: Str): number {
    const start = this.pos;
    while (this.pos < this.end && isTokenChar(this.data[this.pos]!)) this.pos++;
    out.add(this.slice(start, this.pos));
    return this.pos < this.end ? this.skipLwsp() : 0;
  }

  parseQuotedString(out: Str): number {
    this.pos++;
    let start = this.pos;
    for (; this.pos < this.end; this.pos++) {
      const c = this.data[this.pos]!;
      if (c === NUL) {
        if (this.nulReplacement !== null) {
          out.add(this.slice(start, this.pos) + this.nulReplacement);
          start = this.pos + 1;
        }
      } else if (c === DQUOTE) {
        out.add(this.slice(start, this.pos));
        this.pos++;
        return this.skipLwsp();
      } else if (c === LF) {
        // Folding whitespace: the (CR)LF goes, the blank after it stays.
        const len = this.pos > start && this.data[this.pos - 1] === CR ? this.pos - 1 : this.pos;
        out.add(this.slice(start, len));
        start = this.pos + 1;
      } else if (c === BACKSLASH) {
        this.pos++;
        if (this.pos >= this.end) return -1;
        const e = this.data[this.pos]!;
        if (e === CR || e === LF || e === NUL) {
          this.pos--;
          continue;
        }
        out.add(this.slice(start, this.pos - 1));
        start = this.pos;
      }
    }
    return -1;
  }

  /** Atoms and dots, not skipping the blanks between them (those separate phrase words). */
  private parseAtomOrDot(out: Str): number {
    const start = this.pos;
    while (this.pos < this.end && (isAtext(this.data[this.pos]!) || this.data[this.pos] === DOT)) this.pos++;
    out.add(this.slice(start, this.pos));
    return this.pos < this.end ? this.skipLwsp() : 0;
  }

  parsePhrase(out: Str): number {
    if (this.pos >= this.end) return 0;
    if (this.cur() === DOT) return -1;
    for (;;) {
      const ret = this.cur() === DQUOTE ? this.parseQuotedString(out) : this.parseAtomOrDot(out);
      if (ret <= 0) return ret;
      const c = this.cur();
      if (!isAtext(c) && c !== DQUOTE && c !== DOT) break;
      out.add(' ');
    }
    return this.skipLwsp();
  }

  private parseDomainLiteral(out: Str): number {
    let start = this.pos++;
    for (; this.pos < this.end; this.pos++) {
      const c = this.data[this.pos]!;
      if (c === NUL) {
        if (this.nulReplacement !== null) {
          out.add(this.slice(start, this.pos) + this.nulReplacement);
          start = this.pos + 1;
        }
      } else if (c === LBRACKET) {
        return -1;
      } else if (c === RBRACKET) {
        out.add(this.slice(start, this.pos + 1));
        this.pos++;
        return this.skipLwsp();
      } else if (c === LF) {
        const len = this.pos > start && this.data[this.pos - 1] === CR ? this.pos - 1 : this.pos;
        out.add(this.slice(start, len));
        start = this.pos + 1;
      } else if (c === BACKSLASH) {
        this.pos++;
        if (this.pos >= this.end) return -1;
        const e = this.data[this.pos]!;
        if (e === CR || e === LF || e === NUL) {
          out.add(this.slice(start, this.pos));
          start = this.pos;
          this.pos--;
        }
      }
    }
    return -1;
  }

  /** At "@": the domain after it. */
  parseDomain(out: Str): number {
    this.pos++;
    if (this.skipLwsp() <= 0) return -1;
    return this.cur() === LBRACKET ? this.parseDomainLiteral(out) : this.parseDotAtom(out);
  }

  /** "type/subtype" into `out`; on a syntax error `out` keeps what could be read, if anything. */
  parseContentType(out: Str): number {
    const pos0 = out.length;
    if (this.skipLwsp() <= 0) return -1;
    if (this.parseMimeToken(out) <= 0 || out.length === pos0) return -1;
    if (this.cur() !== SLASH) {
      out.truncate(pos0);
      return -1;
    }
    this.pos++;
    if (this.skipLwsp() <= 0) {
      out.truncate(pos0);
      return -1;
    }
    out.add('/');
    const sub = out.length;
    const ret = this.parseMimeToken(out);
    if (ret < 0 || out.length === sub || (this.pos !== this.end && this.cur() !== SEMICOLON)) {
      out.truncate(pos0);
      return -1;
    }
    return ret;
  }

  /** One "; name=value" parameter: 1 read (key set), 0 end of input, -1 broken. */
  parseContentParam(value: Str): { ret: number; key: Octets | null } {
    value.truncate(0);
    if (this.pos >= this.end) return { ret: 0, key: null };
    if (this.cur() !== SEMICOLON) return { ret: -1, key: null };
    this.pos++;
    if (this.skipLwsp() <= 0) return { ret: -1, key: null };
    const key = new Str();
    if (this.parseMimeToken(key) <= 0) return { ret: -1, key: null };
    if (this.cur() !== EQUALS) return { ret: -1, key: null };
    this.pos++;
    let ret = this.skipLwsp();
    if (ret <= 0) {
      // no value
    } else if (this.cur() === DQUOTE) {
      ret = this.parseQuotedString(value);
    } else if (this.cur() === EQUALS) {
      // Broken senders write name==?utf-8?b?...?= unquoted: take it up to a separator.
      const start = this.pos;
      while (this.pos < this.end) {
        const c = this.data[this.pos]!;
        if (c === SEMICOLON || c === SP || c === TAB || c === CR || c === LF) break;
        this.pos++;
      }
      value.add(this.slice(start, this.pos));
    } else {
      ret = this.parseMimeToken(value);
    }
    return { ret: ret < 0 ? -1 : 1, key: key.s };
  }
}
