import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headerFields } from '../../../../mail/imap/fetch/header-fields.js';
import { FetchResponse, responseName } from '../../../../mail/imap/format/fetch.js';
import { astring, dateTime, quotedOrLiteral, statusLine } from '../../../../mail/imap/format/response.js';
import { decodeMutf7, encodeMutf7, invalidNameReason, listMatcher, mailboxOut } from '../../../../mail/imap/mailbox-name.js';
import { compactSet, expandRanges, seqIndices, seqOutOfRange, uidIndices } from '../../../../mail/imap/sequence.js';

describe('modified UTF-7', () => {
  it('encodes and decodes the RFC 3501 examples', () => {
    expect(encodeMutf7('~peter/mail/台北/日本語')).toBe('~peter/mail/&U,BTFw-/&ZeVnLIqe-');
    expect(decodeMutf7('~peter/mail/&U,BTFw-/&ZeVnLIqe-')).toBe('~peter/mail/台北/日本語');
    expect(encodeMutf7('a&b')).toBe('a&-b');
    expect(encodeMutf7('Entwürfe')).toBe('Entw&APw-rfe');
  });

  it('round-trips any string without lone surrogates', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
        expect(decodeMutf7(encodeMutf7(s))).toBe(s);
        expect(encodeMutf7(s)).toMatch(/^[\x20-\x7e]*$/);
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it('refuses what RFC 3501 forbids', () => {
    for (const bad of ['&', '&Jjo', '&AGE-' /* "a" encoded */, '&2D3-' /* lone surrogate */, 'x\x01', '&Jj=-', '&U,BTF-' /* leftover bits */]) {
      expect(() => decodeMutf7(bad), bad).toThrow();
    }
  });
});

describe('mailbox names', () => {
  it('knows invalid names', () => {
    expect(invalidNameReason('Archive/2024')).toBeNull();
    for (const bad of ['', 'a//b', '/a', 'a/../b', 'x\ty', 'a/ b', 'x'.repeat(600)]) expect(invalidNameReason(bad), bad).not.toBeNull();
  });

  it('writes names as astrings, modified UTF-7 unless UTF-8 is enabled', () => {
    expect(mailboxOut('INBOX', false)).toBe('INBOX');
    expect(mailboxOut('My Box', false)).toBe('"My Box"');
    expect(mailboxOut('Entwürfe', false)).toBe('Entw&APw-rfe');
    expect(mailboxOut('Entwürfe', true)).toBe('"Entw\xc3\xbcrfe"');
  });

  it('matches LIST patterns with * and %, INBOX in any case', () => {
    const m = listMatcher('', '%');
    expect(['INBOX', 'a', 'a/b'].filter(m)).toEqual(['INBOX', 'a']);
    expect(['INBOX', 'a', 'a/b', 'a/b/c'].filter(listMatcher('', 'a/*'))).toEqual(['a/b', 'a/b/c']);
    expect(['a/b', 'a/c'].filter(listMatcher('a', '%'))).toEqual(['a/b', 'a/c']);
    expect(['INBOX'].filter(listMatcher('', 'inbox'))).toEqual(['INBOX']);
    expect(['INBOX/x'].filter(listMatcher('', 'inbox/%'))).toEqual(['INBOX/x']);
    expect(['a.b'].filter(listMatcher('', 'a?b'))).toEqual([]);
  });
});

describe('sequence sets', () => {
  const r = (from: number | '*', to: number | '*') => ({ from, to });
  it('expands, merges and compacts', () => {
    expect(expandRanges([r(5, 2), r(3, 8), r(10, 10), r('*', '*')], 20)).toEqual([[2, 8], [10, 10], [20, 20]]);
    expect(compactSet([1, 2, 3, 5, 7, 8])).toBe('1:3,5,7:8');
    expect(compactSet([])).toBe('');
  });

  it('resolves UIDs (n:* includes the last UID even past it) and sequence numbers', () => {
    const uids = { length: 3, at: (i: number) => [3, 7, 9][i]! };
    expect(uidIndices([r(559, '*')], uids)).toEqual([2]);
    expect(uidIndices([r(4, 8)], uids)).toEqual([1]);
    expect(seqIndices([r(2, '*')], 3)).toEqual([1, 2]);
    expect(seqIndices([r(1, '*')], 0)).toEqual([]);
    expect(seqOutOfRange([r(1, '*')], 0)).toBe(false);
    expect(seqOutOfRange([r(4, 4)], 3)).toBe(true);
  });
});

describe('response formatting', () => {
  it('quotes or uses literals, atoms when possible', () => {
    expect(quotedOrLiteral('a "b" \\c')).toBe('"a \\"b\\" \\\\c"');
    expect(quotedOrLiteral('two\r\nlines')).toBe('{10}\r\ntwo\r\nlines');
    expect(quotedOrLiteral('\xc3\xa9')).toBe('{2}\r\n\xc3\xa9');
    expect(quotedOrLiteral('\xc3\xa9', true)).toBe('"\xc3\xa9"');
    expect(astring('INBOX')).toBe('INBOX');
    expect(astring('NIL')).toBe('"NIL"');
    expect(astring('')).toBe('""');
  });

  it('status lines never carry line breaks from messages', () => {
    expect(statusLine('a1', 'NO', 'bad\r\nthing', { name: 'TRYCREATE' })).toBe('a1 NO [TRYCREATE] bad thing\r\n');
    expect(statusLine('*', 'OK', 'x', 'UIDNEXT 5')).toBe('* OK [UIDNEXT 5] x\r\n');
  });

  it('dates in IMAP form (UTC)', () => {
    expect(dateTime(Date.UTC(1996, 6, 17, 9, 44, 25))).toBe('"17-Jul-1996 09:44:25 +0000"');
  });

  it('FETCH responses with literals, names echoing the section', () => {
    const r = new FetchResponse(3);
    r.item('UID', '7');
    r.literal('BODY[]<0>', Buffer.from('abc'));
    r.literal('BINARY[1]', Buffer.from([0, 1]), true);
    r.literal('BODY[9]', null);
    expect(r.finish().map((c) => (typeof c === 'string' ? c : c.toString('latin1'))).join('')).toBe('* 3 FETCH (UID 7 BODY[]<0> {3}\r\nabc BINARY[1] ~{2}\r\n\0\x01 BODY[9] {0}\r\n)\r\n');
    expect(responseName({ kind: 'BODY[]', peek: true, section: { path: [1], text: 'HEADER.FIELDS', fields: ['From', 'X Y'] }, partial: { offset: 5, length: 9 } })).toBe('BODY[1.HEADER.FIELDS (From "X Y")]<5>');
  });
});

describe('header field selection', () => {
  const header = Buffer.from('From: a@b\r\nSubject: one\r\n two\r\nTo: c@d\r\nX-Empty:\r\n\r\n');
  it('keeps the named fields with their folding, then the empty line', () => {
    expect(headerFields(header, ['subject', 'X-EMPTY'], false).toString()).toBe('Subject: one\r\n two\r\nX-Empty:\r\n\r\n');
    expect(headerFields(header, ['From', 'Subject'], true).toString()).toBe('To: c@d\r\nX-Empty:\r\n\r\n');
    expect(headerFields(header, ['nothing'], false).toString()).toBe('\r\n');
    expect(headerFields(Buffer.from('From: x'), ['from'], false).toString()).toBe('From: x\r\n\r\n');
  });
});
