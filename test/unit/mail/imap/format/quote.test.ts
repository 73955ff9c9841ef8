import { describe, expect, it } from 'vitest';
import { humanString, nstring, nstringNoLf, string } from '../../../../../mail/imap/format/quote.js';

describe('IMAP strings', () => {
  it('writes NIL, quoted strings with escapes, and literals', () => {
    expect(nstring(null)).toBe('NIL');
    expect(string('')).toBe('""');
    expect(string('plain text')).toBe('"plain text"');
    expect(string('a "b" \\c')).toBe('"a \\"b\\" \\\\c"');
  });

  it('switches to a literal for CR, LF, 8-bit bytes, or more than four escapes', () => {
    expect(string('a\r\nb')).toBe('{4}\r\na\r\nb');
    expect(string('caf\xc3\xa9')).toBe('{5}\r\ncaf\xc3\xa9');
    expect(string('""""')).toBe('"\\"\\"\\"\\""');
    expect(string('"""""')).toBe('{5}\r\n"""""');
  });

  it('ends a value at NUL, as a C string would', () => {
    expect(string('ab\0cd')).toBe('"ab"');
  });

  it('joins folded lines, adding a space only where the next line has none', () => {
    expect(nstringNoLf('a\r\n\tb')).toBe('"a\tb"');
    expect(nstringNoLf('a\r\nb')).toBe('"a b"');
    expect(nstringNoLf('a\n')).toBe('"a"');
    expect(nstringNoLf(null)).toBe('NIL');
  });

  it('cleans strings for people: collapses and trims blanks, and then sends a literal', () => {
    expect(humanString('Hello world')).toBe('"Hello world"');
    expect(humanString('  lots   of\tspace \r\n here ')).toBe('{18}\r\nlots of space here');
    expect(humanString('say "hi"')).toBe('{8}\r\nsay "hi"');
    expect(humanString(' \t ')).toBe('""');
    expect(humanString('')).toBe('""');
  });
});
