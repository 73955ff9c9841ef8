import { describe, expect, it } from 'vitest';
import type { Command } from '../../../../mail/imap/protocol/ast.js';
import { parseCommand, type ParseResult } from '../../../../mail/imap/protocol/parse.js';
import type { RawCommand } from '../../../../mail/imap/protocol/reader.js';

/** Builds a framed command from "line{n}" parts: literal data given separately. */
function raw(line: string, ...literals: string[]): RawCommand {
  const segments = line.split(/(?<=\})\r\n/).map((s) => Buffer.from(s, 'latin1'));
  return { segments, literals: literals.map((l) => ({ data: Buffer.from(l, 'latin1'), binary: false })) };
}

function parse(line: string, ...literals: string[]): ParseResult {
  return parseCommand(raw(line, ...literals), { maxDepth: 8 });
}

function ok(line: string, ...literals: string[]): Command {
  const r = parse(line, ...literals);
  if (!r.ok) throw new Error(`${line}: ${r.error.message}`);
  return r.command;
}

function fails(line: string): { tag: string | null; status: string; message: string; code?: string } {
  const r = parse(line);
  if (r.ok) throw new Error(`${line} parsed`);
  return { tag: r.tag, status: r.error.status, message: r.error.message, code: r.error.responseCode?.name };
}

describe('command parser', () => {
  it('reads tags, command names in any case, and simple commands', () => {
    expect(parse('a1 noop')).toEqual({ ok: true, tag: 'a1', command: { name: 'NOOP' } });
    expect(ok('A.2 CAPABILITY ')).toEqual({ name: 'CAPABILITY' });
    expect(fails('a1 FROB')).toMatchObject({ tag: 'a1', status: 'BAD', message: 'unknown command FROB' });
    expect(fails('+ NOOP').tag).toBe(null);
    expect(fails('a1 NOOP extra').status).toBe('BAD');
  });

  it('LOGIN with atoms, quoted strings (escapes, UTF-8) and literals', () => {
    expect(ok('a LOGIN alice "p\\"w\\\\d"')).toEqual({ name: 'LOGIN', user: 'alice', password: 'p"w\\d' });
    expect(ok('a LOGIN {5}\r\n {3}\r\n', 'alice', 'p w')).toEqual({ name: 'LOGIN', user: 'alice', password: 'p w' });
    expect(ok('a LOGIN "j\xc3\xb6rg" x')).toMatchObject({ user: 'jörg' });
    expect(fails('a LOGIN "a\0b" x').message).toMatch(/NUL/);
    expect(fails('a LOGIN alice')).toMatchObject({ status: 'BAD', message: 'missing arguments' });
  });

  it('AUTHENTICATE with and without an initial response', () => {
    expect(ok('a AUTHENTICATE plain')).toEqual({ name: 'AUTHENTICATE', mechanism: 'PLAIN', initial: null });
    expect(ok('a AUTHENTICATE PLAIN AGFsaWNlAHB3')).toEqual({ name: 'AUTHENTICATE', mechanism: 'PLAIN', initial: 'AGFsaWNlAHB3' });
    expect(ok('a AUTHENTICATE PLAIN =')).toMatchObject({ initial: '' });
  });

  it('mailbox names: modified UTF-7, INBOX in any case, one trailing separator dropped', () => {
    expect(ok('a SELECT inbox')).toMatchObject({ mailbox: 'INBOX' });
    expect(ok('a SELECT "Inbox/Sub"')).toMatchObject({ mailbox: 'INBOX/Sub' });
    expect(ok('a SELECT Entw&APw-rfe')).toMatchObject({ mailbox: 'Entwürfe' });
    expect(ok('a SELECT "a&-b"')).toMatchObject({ mailbox: 'a&b' });
    expect(ok('a SELECT Sent/')).toMatchObject({ mailbox: 'Sent' });
    expect(ok('a SELECT "\xe6\x97\xa5\xe6\x9c\xac"')).toMatchObject({ mailbox: '日本' });
    for (const bad of ['a SELECT a&Jjo', 'a SELECT &AGE-', 'a SELECT "x&Jjo!-"', 'a SELECT "\xff"']) expect(fails(bad).status).toBe('BAD');
  });

  it('SELECT parameters: CONDSTORE and QRESYNC', () => {
    expect(ok('a SELECT INBOX (CONDSTORE)')).toMatchObject({ condstore: true, qresync: null });
    expect(ok('a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541 (1,2 3,4)))')).toMatchObject({
      qresync: {
        uidValidity: 67890007,
        modseq: 20050715194045000,
        knownUids: { kind: 'ranges' },
        seqMatch: { seqs: { kind: 'ranges' }, uids: { kind: 'ranges' } },
      },
    });
    expect(ok('a EXAMINE INBOX (QRESYNC (1 2))')).toMatchObject({ name: 'EXAMINE', qresync: { uidValidity: 1, modseq: 2, knownUids: null, seqMatch: null } });
  });

  it('LIST: basic, extended selection and return options, several patterns', () => {
    expect(ok('a LIST "" *')).toMatchObject({ reference: '', patterns: ['*'], extended: false });
    expect(ok('a LIST "" %')).toMatchObject({ patterns: ['%'] });
    expect(ok('a LIST (SUBSCRIBED RECURSIVEMATCH) "" ("INBOX" "Sent/%") RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN))')).toMatchObject({
      selection: { subscribed: true, recursiveMatch: true },
      patterns: ['INBOX', 'Sent/%'],
      returns: { children: true, specialUse: true, status: ['MESSAGES', 'UNSEEN'] },
      extended: true,
    });
    expect(fails('a LIST (RECURSIVEMATCH) "" *').status).toBe('BAD');
  });

  it('STATUS items, CREATE with USE', () => {
    expect(ok('a STATUS INBOX (MESSAGES UIDNEXT HIGHESTMODSEQ SIZE)')).toMatchObject({ items: ['MESSAGES', 'UIDNEXT', 'HIGHESTMODSEQ', 'SIZE'] });
    expect(fails('a STATUS INBOX (FOO)').status).toBe('BAD');
    expect(ok('a CREATE Trash (USE (\\Trash))')).toMatchObject({ mailbox: 'Trash', specialUse: '\\Trash' });
    expect(fails('a CREATE X (USE (\\Bogus))')).toMatchObject({ status: 'NO', code: 'CLIENTBUG' });
  });

  it('APPEND: flags, date-time, literals, MULTIAPPEND, UTF8 (literal8)', () => {
    const c = ok('a APPEND Sent (\\Seen $Forwarded) " 7-Feb-1994 21:52:25 -0800" {5}\r\n {3}\r\n', 'hello', 'bye');
    expect(c).toMatchObject({ name: 'APPEND', mailbox: 'Sent' });
    if (c.name !== 'APPEND') throw new Error();
    expect(c.messages).toHaveLength(2);
    expect(c.messages[0]).toMatchObject({ flags: ['\\Seen', '$Forwarded'], date: Date.UTC(1994, 1, 8, 5, 52, 25) });
    expect(c.messages[1]).toMatchObject({ flags: [], date: null });
    const u = parseCommand({ segments: [Buffer.from('a APPEND INBOX UTF8 (~{2}'), Buffer.from(')')], literals: [{ data: Buffer.from([0, 1]), binary: true }] }, { maxDepth: 4 });
    expect(u.ok && u.command.name === 'APPEND' && [...u.command.messages[0]!.data]).toEqual([0, 1]);
    expect(fails('a APPEND INBOX "bad date" {1}').status).toBe('BAD');
  });

  it('sequence sets: ranges, *, $, and what is refused', () => {
    expect(ok('a FETCH 1:3,5,7:* FLAGS')).toMatchObject({
      set: { kind: 'ranges', ranges: [{ from: 1, to: 3 }, { from: 5, to: 5 }, { from: 7, to: '*' }] },
    });
    expect(ok('a UID FETCH $ FLAGS')).toMatchObject({ uid: true, set: { kind: 'saved' } });
    for (const bad of ['a FETCH 0 FLAGS', 'a FETCH 1: FLAGS', 'a FETCH 1,,2 FLAGS', 'a FETCH 99999999999 FLAGS']) expect(fails(bad).status).toBe('BAD');
  });

  it('FETCH items: macros, single items, sections, partials, BINARY, modifiers', () => {
    expect(ok('a FETCH 1 ALL')).toMatchObject({ items: [{ kind: 'FLAGS' }, { kind: 'INTERNALDATE' }, { kind: 'RFC822.SIZE' }, { kind: 'ENVELOPE' }] });
    expect(ok('a FETCH 1 flags')).toMatchObject({ items: [{ kind: 'FLAGS' }] });
    expect(ok('a FETCH 1 (BODY.PEEK[1.2.HEADER.FIELDS (From "X-Odd")]<0.100> BODY[] BODY[TEXT] BODY[2.MIME] BINARY.PEEK[1]<5.5> BINARY.SIZE[2] PREVIEW (LAZY))')).toMatchObject({
      items: [
        { kind: 'BODY[]', peek: true, section: { path: [1, 2], text: 'HEADER.FIELDS', fields: ['From', 'X-Odd'] }, partial: { offset: 0, length: 100 } },
        { kind: 'BODY[]', peek: false, section: { path: [], text: null }, partial: null },
        { kind: 'BODY[]', section: { text: 'TEXT' } },
        { kind: 'BODY[]', section: { path: [2], text: 'MIME' } },
        { kind: 'BINARY[]', peek: true, path: [1], partial: { offset: 5, length: 5 } },
        { kind: 'BINARY.SIZE', path: [2] },
        { kind: 'PREVIEW', lazy: true },
      ],
    });
    expect(ok('a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)')).toMatchObject({ changedSince: 12345, vanished: true });
    expect(ok('a FETCH 1:* (UID FLAGS) (CHANGEDSINCE 638000000000000000)')).toMatchObject({ changedSince: 638000000000000000 });
    expect(fails('a FETCH 1 (FLAGS) (VANISHED)').status).toBe('BAD');
    expect(fails('a FETCH 1 (BODY[MIME])').status).toBe('BAD');
    expect(fails('a FETCH 1 (BODY[0])').status).toBe('BAD');
    expect(fails('a FETCH 1 ()').status).toBe('BAD');
  });

  it('STORE: modes, .SILENT, UNCHANGEDSINCE, flags with or without parentheses', () => {
    expect(ok('a STORE 1 +FLAGS.SILENT (\\Deleted)')).toMatchObject({ mode: 'add', silent: true, flags: ['\\Deleted'] });
    expect(ok('a UID STORE 1:2 (UNCHANGEDSINCE 5) -FLAGS \\Seen \\Flagged')).toMatchObject({ uid: true, unchangedSince: 5, mode: 'remove', flags: ['\\Seen', '\\Flagged'] });
    expect(ok('a STORE 1 FLAGS ()')).toMatchObject({ mode: 'replace', flags: [] });
  });

  it('SEARCH keys: everything of RFC 3501/9051, CHARSET, RETURN, nesting', () => {
    expect(ok('a SEARCH UNSEEN')).toMatchObject({ key: { kind: 'flag', flag: '\\Seen', not: true }, returns: null, charset: null });
    expect(ok('a UID SEARCH RETURN (MIN COUNT SAVE) CHARSET UTF-8 OR FROM "x" (TO y SUBJECT z) NOT 1:5')).toMatchObject({
      uid: true,
      returns: ['MIN', 'COUNT', 'SAVE'],
      charset: 'UTF-8',
      key: { kind: 'and', keys: [{ kind: 'or' }, { kind: 'not', key: { kind: 'seq' } }] },
    });
    expect(ok('a SEARCH SINCE 1-Feb-1994 BEFORE "15-Mar-2024" SENTON 3-Jan-2000')).toMatchObject({
      key: { keys: [{ kind: 'date', on: 'internal', op: 'since', date: Date.UTC(1994, 1, 1) }, { op: 'before' }, { on: 'sent', op: 'on' }] },
    });
    expect(ok('a SEARCH HEADER Message-ID <a@b> UNDELETED')).toMatchObject({ key: { keys: [{ kind: 'header', field: 'message-id', value: '<a@b>' }, {}] } });
    expect(ok('a SEARCH LARGER 100 SMALLER 5 KEYWORD $Junk UNKEYWORD x MODSEQ "/flags/\\\\draft" all 620162338 YOUNGER 60 $')).toMatchObject({ key: { kind: 'and' } });
    expect(ok('a SEARCH RETURN () ALL')).toMatchObject({ returns: [] });
    expect(ok('a SEARCH UID 1:* NOT DELETED')).toMatchObject({ key: { kind: 'and' } });
    expect(fails('a SEARCH CHARSET KOI8-X ALL')).toMatchObject({ status: 'NO', code: 'BADCHARSET' });
    expect(fails('a SEARCH FROBNICATE').status).toBe('BAD');
    expect(fails('a SEARCH 30-Feb-2020').status).toBe('BAD');
    expect(fails('a SEARCH SINCE 30-Feb-2020').status).toBe('BAD');
  });

  it('refuses nesting past the limit, in lists and OR/NOT chains', () => {
    expect(fails(`a SEARCH ${'('.repeat(9)}ALL${')'.repeat(9)}`)).toMatchObject({ status: 'BAD', code: 'LIMIT' });
    expect(fails(`a SEARCH ${'NOT '.repeat(9)}ALL`)).toMatchObject({ status: 'BAD', code: 'LIMIT' });
    expect(ok(`a SEARCH ${'('.repeat(7)}ALL${')'.repeat(7)}`)).toMatchObject({ name: 'SEARCH' });
  });

  it('COPY/MOVE, EXPUNGE, ENABLE, ID, SORT, THREAD, COMPRESS', () => {
    expect(ok('a UID MOVE 1:3 Trash')).toMatchObject({ name: 'MOVE', uid: true, mailbox: 'Trash' });
    expect(ok('a UID EXPUNGE 3:5')).toMatchObject({ name: 'EXPUNGE', uids: { kind: 'ranges' } });
    expect(ok('a EXPUNGE')).toEqual({ name: 'EXPUNGE', uids: null });
    expect(ok('a ENABLE QRESYNC condstore')).toEqual({ name: 'ENABLE', capabilities: ['QRESYNC', 'CONDSTORE'] });
    expect(ok('a ID ("name" "mutt" "version" NIL)')).toEqual({ name: 'ID', params: [['name', 'mutt'], ['version', null]] });
    expect(ok('a ID NIL')).toEqual({ name: 'ID', params: null });
    expect(ok('a SORT (REVERSE DATE SUBJECT) UTF-8 ALL')).toMatchObject({ keys: [{ key: 'DATE', reverse: true }, { key: 'SUBJECT', reverse: false }], charset: 'UTF-8' });
    expect(ok('a UID THREAD REFERENCES US-ASCII ALL')).toMatchObject({ algorithm: 'REFERENCES', uid: true });
    expect(fails('a THREAD REFS UTF-8 ALL')).toMatchObject({ status: 'NO' });
    expect(ok('a COMPRESS DEFLATE')).toEqual({ name: 'COMPRESS', mechanism: 'DEFLATE' });
  });
});
