import { describe, expect, it } from 'vitest';
import { partAt, sectionRange } from '../../../../../mail/mailbox/summary/sections.js';
import { summarize } from '../../../../../mail/mailbox/summary/summarize.js';

const raw = Buffer.from(
  [
    'Subject: top',
    'Content-Type: multipart/mixed; boundary=o',
    '',
    '--o',
    '',
    'first',
    '--o',
    'Content-Type: message/rfc822',
    '',
    'Subject: inner',
    'Content-Type: multipart/alternative; boundary=i',
    '',
    '--i',
    '',
    'inner one',
    '--i',
    '',
    'inner two',
    '--i--',
    '--o--',
    '',
  ].join('\r\n'),
);
const root = summarize(raw).body;
const slice = (path: number[], text: 'HEADER' | 'TEXT' | 'MIME' | null): string | null => {
  const r = sectionRange(root, path, text);
  return r === null ? null : raw.toString('latin1', r.start, r.end);
};

describe('IMAP section numbers', () => {
  it('numbers the parts of multiparts and of embedded messages', () => {
    expect(partAt(root, [])).toBe(root);
    expect(partAt(root, [2])!.kind).toBe('message');
    expect(partAt(root, [2, 1])).toBe(root.parts![1]!.parts![0]!.parts![0]);
    expect(partAt(root, [3])).toBeNull();
    expect(partAt(root, [1, 1])).toBeNull();
  });

  it('slices BODY[], HEADER, TEXT, n, n.MIME, n.HEADER and n.TEXT', () => {
    expect(slice([], null)).toBe(raw.toString('latin1'));
    expect(slice([], 'HEADER')).toBe('Subject: top\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n');
    expect(slice([1], null)).toBe('first');
    expect(slice([1], 'MIME')).toBe('\r\n');
    expect(slice([2], 'HEADER')).toBe('Subject: inner\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n');
    expect(slice([2, 2], null)).toBe('inner two');
    expect(slice([2], 'TEXT')!.startsWith('--i\r\n')).toBe(true);
    expect(slice([1], 'HEADER')).toBeNull();
    expect(slice([], 'MIME')).toBeNull();
  });

  it('gives a message that is not multipart one part: itself', () => {
    const single = Buffer.from('Subject: s\r\n\r\nhello\r\n');
    const s = summarize(single).body;
    expect(partAt(s, [1])).toBe(s);
    const r = sectionRange(s, [1], 'MIME')!;
    expect(single.toString('latin1', r.start, r.end)).toBe('Subject: s\r\n\r\n');
  });
});
