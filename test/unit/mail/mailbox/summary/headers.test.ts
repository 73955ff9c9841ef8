import { describe, expect, it } from 'vitest';
import { headerString, parseHeaderBlock } from '../../../../../mail/mailbox/summary/headers.js';

const noBoundary = (): boolean => false;
const fields = (raw: string): [string, string][] =>
  parseHeaderBlock(Buffer.from(raw, 'latin1'), 0, noBoundary).fields.map((f) => [f.name, f.value.toString('latin1')]);

describe('parseHeaderBlock', () => {
  it('splits fields, keeps folds, ends after the empty line', () => {
    const raw = Buffer.from('Subject: a\r\n\tb\r\nTo:  x@y\r\n\r\nbody');
    const hb = parseHeaderBlock(raw, 0, noBoundary);
    expect(hb.fields.map((f) => [f.name, f.value.toString()])).toEqual([
      ['Subject', 'a\r\n\tb'],
      ['To', 'x@y'],
    ]);
    expect(hb).toMatchObject({ end: 28, blankLine: true, boundaryLine: -1 });
    expect(raw.subarray(hb.end).toString()).toBe('body');
  });

  it('accepts bare LF and mixed line endings', () => {
    const raw = Buffer.from('A: 1\nB: 2\r\n\nrest');
    const hb = parseHeaderBlock(raw, 0, noBoundary);
    expect(hb.fields.map((f) => f.value.toString())).toEqual(['1', '2']);
    expect(raw.subarray(hb.end).toString()).toBe('rest');
  });

  it('skips blanks after the colon, but only one when the line holds nothing else', () => {
    expect(fields('A:   x  \r\nB:   \r\nC:\r\n y\r\n\r\n')).toEqual([
      ['A', 'x  '],
      ['B', '  '],
      ['C', '\r\n y'],
    ]);
  });

  it('trims blanks before the colon, cuts names at NUL, ignores lines without a colon', () => {
    expect(fields('From : a\r\nno colon here\r\nCc\0x: b\r\n\r\n')).toEqual([
      ['From', 'a'],
      ['Cc', 'b'],
    ]);
  });

  it('joins a one-blank continuation line without its line break (as Dovecot does)', () => {
    expect(fields('To: a (c\r\n \r\nCc: a (c\r\n  \r\n\r\n')).toEqual([
      ['To', 'a (c '],
      ['Cc', 'a (c\r\n  '],
    ]);
  });

  it('ends at the end of the message when there is no empty line', () => {
    const hb = parseHeaderBlock(Buffer.from('A: 1\r\nB: 2'), 0, noBoundary);
    expect(hb).toMatchObject({ end: 10, blankLine: false });
    expect(hb.fields.map((f) => f.value.toString())).toEqual(['1', '2']);
  });

  it('stops at a boundary line, leaving the line break before it out of the header', () => {
    const raw = Buffer.from('A: 1\r\nB: 2\r\n--b\r\n');
    const hb = parseHeaderBlock(raw, 0, (pos) => raw.toString('latin1', pos, pos + 3) === '--b');
    expect(hb).toMatchObject({ end: 10, blankLine: false, boundaryLine: 12 });
  });

  it('handles a 10 MB header line in linear time', () => {
    const raw = Buffer.from(`X: ${'y'.repeat(10 * 1024 * 1024)}\r\n${'no colon\r\n'.repeat(50_000)}\r\n`);
    const t = Date.now();
    const hb = parseHeaderBlock(raw, 0, noBoundary);
    expect(Date.now() - t).toBeLessThan(2_000);
    expect(hb.fields).toHaveLength(1);
    expect(hb.end).toBe(raw.length);
  });
});

describe('headerString', () => {
  it('replaces NUL with U+FFFD and keeps other bytes', () => {
    expect(headerString(Buffer.from([0x61, 0x00, 0xe9]))).toBe('a\xef\xbf\xbd\xe9');
  });
});
