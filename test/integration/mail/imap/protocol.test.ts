/**
 * Raw-protocol behaviour: exact lines sent, exact (or precisely matched) responses,
 * over a real socket to an in-process server on the in-memory store. One section per
 * command or extension; RFC examples where they apply.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RawClient } from './harness/raw-client.js';
import { message, startTestImap, type TestImap } from './harness/server.js';

let imap: TestImap;
let user = 0;

beforeAll(async () => {
  imap = await startTestImap();
});
afterAll(async () => {
  await imap.close();
});

/** A fresh user with `n` messages in INBOX, logged in. */
async function fresh(n = 0): Promise<{ c: RawClient; name: string }> {
  const name = `u${++user}`;
  imap.backend.addUser(name, 'pw');
  for (let i = 1; i <= n; i++) imap.backend.deliver(name, 'INBOX', message(i), [], Date.UTC(2024, 0, i, 12));
  const c = await RawClient.connect(imap.port);
  expect(await c.cmd(`l LOGIN ${name} pw`)).toMatch(/^l OK /);
  return { c, name };
}

const MULTIPART = Buffer.from(
  [
    'From: "Ann Example" <ann@example.org>',
    'To: bob@example.net',
    'Subject: =?utf-8?q?Caf=C3=A9?= report',
    'Date: Tue, 2 Jan 2024 10:00:00 +0100',
    'Message-ID: <mp1@example.org>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Caf=C3=A9 au lait',
    '--b1',
    'Content-Type: application/octet-stream; name="x.bin"',
    'Content-Transfer-Encoding: base64',
    'Content-Disposition: attachment; filename="x.bin"',
    '',
    'AAECAw==',
    '--b1--',
    '',
  ].join('\r\n'),
);

describe('greeting, CAPABILITY, NOOP, LOGOUT, ID, NAMESPACE', () => {
  it('talks like RFC 3501 §8', async () => {
    const c = await RawClient.connect(imap.port);
    expect(c.greeting).toMatch(/^\* OK \[CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL\+ ID ENABLE IDLE SASL-IR AUTH=PLAIN\] /);
    expect(await c.cmd('a001 CAPABILITY')).toBe('* CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ ID ENABLE IDLE SASL-IR AUTH=PLAIN\r\na001 OK CAPABILITY completed\r\n');
    expect(await c.cmd('a002 NOOP')).toBe('a002 OK NOOP completed\r\n');
    expect(await c.cmd('a003 ID ("name" "raw")')).toMatch(/^\* ID \("name" "Aerogramme" .*\)\r\na003 OK ID completed\r\n$/);
    expect(await c.cmd('a004 NAMESPACE')).toBe('a004 BAD NAMESPACE: log in first\r\n');
    expect(await c.cmd('a005 LOGIN alice "alice password"')).toMatch(/^a005 OK \[CAPABILITY .* COMPRESS=DEFLATE\] Logged in\r\n$/);
    expect(await c.cmd('a006 NAMESPACE')).toBe('* NAMESPACE (("" "/")) NIL NIL\r\na006 OK NAMESPACE completed\r\n');
    expect(await c.cmd('a007 LOGOUT')).toBe('* BYE Logging out\r\na007 OK LOGOUT completed\r\n');
    await c.closedByServer();
  });

  it('refuses a wrong password with AUTHENTICATIONFAILED, accepts SASL-IR', async () => {
    const c = await RawClient.connect(imap.port);
    expect(await c.cmd('a1 LOGIN alice wrong')).toBe('a1 NO [AUTHENTICATIONFAILED] Authentication failed\r\n');
    const ir = Buffer.from('\0alice\0alice password').toString('base64');
    expect(await c.cmd(`a2 AUTHENTICATE PLAIN ${ir}`)).toMatch(/^a2 OK \[CAPABILITY /);
    c.close();
  });
});

describe('mailboxes: CREATE, DELETE, RENAME, SUBSCRIBE, LIST, LSUB, STATUS', () => {
  it('creates with parents, lists with CHILDREN and SPECIAL-USE, renames subtrees', async () => {
    const { c, name } = await fresh();
    expect(await c.cmd('a1 CREATE Projects/2024/Q1')).toBe('a1 OK CREATE completed\r\n');
    expect(await c.cmd('a2 CREATE Junk (USE (\\Junk))')).toBe('a2 OK CREATE completed\r\n');
    expect(await c.cmd('a3 CREATE inbox')).toBe('a3 NO [ALREADYEXISTS] INBOX always exists\r\n');
    expect(await c.cmd('a4 CREATE Junk')).toMatch(/^a4 NO \[ALREADYEXISTS\]/);
    expect(await c.cmd('a5 CREATE "bad//name"')).toMatch(/^a5 NO \[CANNOT\]/);
    expect(await c.cmd('a6 LIST "" *')).toBe(
      [
        '* LIST (\\HasNoChildren) "/" INBOX',
        '* LIST (\\HasNoChildren \\Junk) "/" Junk',
        '* LIST (\\HasChildren) "/" Projects',
        '* LIST (\\HasChildren) "/" Projects/2024',
        '* LIST (\\HasNoChildren) "/" Projects/2024/Q1',
        'a6 OK LIST completed',
        '',
      ].join('\r\n'),
    );
    expect(await c.cmd('a7 LIST "" %')).toBe('* LIST (\\HasNoChildren) "/" INBOX\r\n* LIST (\\HasNoChildren \\Junk) "/" Junk\r\n* LIST (\\HasChildren) "/" Projects\r\na7 OK LIST completed\r\n');
    expect(await c.cmd('a8 LIST "" ""')).toBe('* LIST (\\Noselect) "/" ""\r\na8 OK LIST completed\r\n');
    expect(await c.cmd('a9 LIST Projects %')).toBe('* LIST (\\HasChildren) "/" Projects/2024\r\na9 OK LIST completed\r\n');
    expect(await c.cmd('b1 RENAME Projects Work')).toBe('b1 OK RENAME completed\r\n');
    expect(imap.backend.mailboxNames(name)).toEqual(['INBOX', 'Junk', 'Work', 'Work/2024', 'Work/2024/Q1']);
    expect(await c.cmd('b2 RENAME Nothing Else')).toMatch(/^b2 NO \[NONEXISTENT\]/);
    expect(await c.cmd('b3 RENAME Work Work/Sub')).toMatch(/^b3 NO \[CANNOT\]/);
    expect(await c.cmd('b4 DELETE Work')).toBe('b4 OK DELETE completed\r\n');
    // A parent that is gone but has children shows as \Noselect.
    expect(await c.cmd('b5 LIST "" Work*')).toBe('* LIST (\\Noselect \\HasChildren) "/" Work\r\n* LIST (\\HasChildren) "/" Work/2024\r\n* LIST (\\HasNoChildren) "/" Work/2024/Q1\r\nb5 OK LIST completed\r\n');
    expect(await c.cmd('b6 DELETE INBOX')).toBe('b6 NO [CANNOT] INBOX cannot be deleted\r\n');
    expect(await c.cmd('b7 DELETE Nope')).toMatch(/^b7 NO \[NONEXISTENT\]/);
    c.close();
  });

  it('modified UTF-7 names in and out, UTF-8 after ENABLE UTF8=ACCEPT', async () => {
    const { c } = await fresh();
    expect(await c.cmd('a1 CREATE Entw&APw-rfe')).toBe('a1 OK CREATE completed\r\n');
    expect(await c.cmd('a2 LIST "" Entw*')).toBe('* LIST (\\HasNoChildren) "/" Entw&APw-rfe\r\na2 OK LIST completed\r\n');
    expect(await c.cmd('a3 CREATE &Jjo')).toMatch(/^a3 BAD /);
    await c.cmd('a4 ENABLE UTF8=ACCEPT');
    expect(await c.cmd('a5 LIST "" Entw*')).toBe('* LIST (\\HasNoChildren) "/" "Entw\xc3\xbcrfe"\r\na5 OK LIST completed\r\n');
    c.close();
  });

  it('subscriptions: LSUB, LIST (SUBSCRIBED), RECURSIVEMATCH, \\NonExistent', async () => {
    const { c } = await fresh();
    await c.cmd('a1 CREATE Lists/ietf');
    await c.cmd('a2 SUBSCRIBE Lists/ietf');
    await c.cmd('a3 SUBSCRIBE Gone');
    expect(await c.cmd('a4 LSUB "" *')).toBe('* LSUB () "/" INBOX\r\n* LSUB (\\Noselect) "/" Gone\r\n* LSUB () "/" Lists/ietf\r\na4 OK LSUB completed\r\n');
    expect(await c.cmd('a5 LSUB "" %')).toBe('* LSUB () "/" INBOX\r\n* LSUB (\\Noselect) "/" Gone\r\n* LSUB (\\Noselect) "/" Lists\r\na5 OK LSUB completed\r\n');
    expect(await c.cmd('a6 LIST (SUBSCRIBED) "" *')).toBe(
      '* LIST (\\HasNoChildren \\Subscribed) "/" INBOX\r\n* LIST (\\NonExistent \\HasNoChildren \\Subscribed) "/" Gone\r\n* LIST (\\HasNoChildren \\Subscribed) "/" Lists/ietf\r\na6 OK LIST completed\r\n',
    );
    expect(await c.cmd('a7 LIST (SUBSCRIBED RECURSIVEMATCH) "" %')).toBe(
      '* LIST (\\HasNoChildren \\Subscribed) "/" INBOX\r\n* LIST (\\NonExistent \\HasNoChildren \\Subscribed) "/" Gone\r\n* LIST (\\HasChildren) "/" Lists ("CHILDINFO" ("SUBSCRIBED"))\r\na7 OK LIST completed\r\n',
    );
    await c.cmd('a8 UNSUBSCRIBE Gone');
    expect(await c.cmd('a9 LIST "" * RETURN (SUBSCRIBED)')).toContain('* LIST (\\HasNoChildren \\Subscribed) "/" INBOX\r\n');
    c.close();
  });

  it('STATUS with every item, LIST-STATUS', async () => {
    const { c, name } = await fresh(3);
    imap.backend.deliver(name, 'INBOX', message(4), ['\\Seen', '\\Deleted']);
    const size = imap.backend.snapshot(name, 'INBOX').messages.reduce((n, m) => n + m.size, 0);
    const st = imap.backend.snapshot(name, 'INBOX');
    expect(await c.cmd('a1 STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE DELETED)')).toBe(
      `* STATUS INBOX (MESSAGES 4 RECENT 0 UIDNEXT 5 UIDVALIDITY ${st.uidValidity} UNSEEN 3 HIGHESTMODSEQ ${st.highestModseq} SIZE ${size} DELETED 1)\r\na1 OK STATUS completed\r\n`,
    );
    expect(await c.cmd('a2 STATUS Nope (MESSAGES)')).toMatch(/^a2 NO \[NONEXISTENT\]/);
    await c.cmd('a3 CREATE Empty');
    expect(await c.cmd('a4 LIST "" * RETURN (STATUS (MESSAGES UNSEEN))')).toBe(
      '* LIST (\\HasNoChildren) "/" Empty\r\n* STATUS Empty (MESSAGES 0 UNSEEN 0)\r\n'.replace(/^/, '* LIST (\\HasNoChildren) "/" INBOX\r\n* STATUS INBOX (MESSAGES 4 UNSEEN 3)\r\n') + 'a4 OK LIST completed\r\n',
    );
    c.close();
  });
});

describe('SELECT, EXAMINE, CLOSE, UNSELECT', () => {
  it('answers SELECT like RFC 3501 §6.3.1, with HIGHESTMODSEQ', async () => {
    const { c, name } = await fresh(3);
    imap.backend.deliver(name, 'INBOX', message(4), ['$Forwarded']);
    const st = imap.backend.snapshot(name, 'INBOX');
    expect(await c.cmd('a1 SELECT INBOX')).toBe(
      [
        '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)',
        '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded \\*)] Flags permitted',
        '* 4 EXISTS',
        '* 0 RECENT',
        '* OK [UNSEEN 1] First unseen',
        `* OK [UIDVALIDITY ${st.uidValidity}] UIDs valid`,
        '* OK [UIDNEXT 5] Predicted next UID',
        `* OK [HIGHESTMODSEQ ${st.highestModseq}] Highest`,
        'a1 OK [READ-WRITE] SELECT completed',
        '',
      ].join('\r\n'),
    );
    expect(await c.cmd('a2 EXAMINE INBOX')).toMatch(/\* OK \[PERMANENTFLAGS \(\)\] No permanent flags permitted\r\n[^]*a2 OK \[READ-ONLY\] EXAMINE completed\r\n$/);
    expect(await c.cmd('a3 STORE 1 +FLAGS (\\Seen)')).toBe('a3 NO [CANNOT] The mailbox is read-only\r\n');
    expect(await c.cmd('a4 SELECT Nope')).toMatch(/^a4 NO \[NONEXISTENT\]/);
    expect(await c.cmd('a5 FETCH 1 FLAGS')).toBe('a5 BAD FETCH: select a mailbox first\r\n');
    c.close();
  });

  it('CLOSE expunges silently, UNSELECT does not', async () => {
    const { c, name } = await fresh(3);
    await c.cmd('a1 SELECT INBOX');
    await c.cmd('a2 STORE 1:2 +FLAGS.SILENT (\\Deleted)');
    expect(await c.cmd('a3 UNSELECT')).toBe('a3 OK UNSELECT completed\r\n');
    expect(imap.backend.snapshot(name, 'INBOX').messages).toHaveLength(3);
    await c.cmd('a4 SELECT INBOX');
    expect(await c.cmd('a5 CLOSE')).toBe('a5 OK CLOSE completed\r\n');
    expect(imap.backend.snapshot(name, 'INBOX').messages.map((m) => m.uid)).toEqual([3]);
    c.close();
  });

  it('IMAP4rev2: LIST in SELECT, no RECENT or UNSEEN, ESEARCH answers, [CLOSED]', async () => {
    const { c } = await fresh(2);
    await c.cmd('a1 ENABLE IMAP4rev2');
    const sel = await c.cmd('a2 SELECT INBOX');
    expect(sel).toContain('* LIST () "/" INBOX\r\n');
    expect(sel).not.toContain('RECENT');
    expect(sel).not.toContain('UNSEEN');
    expect(await c.cmd('a3 SEARCH ALL')).toBe('* ESEARCH (TAG "a3") ALL 1:2\r\na3 OK SEARCH completed\r\n');
    expect(await c.cmd('a4 SELECT INBOX')).toMatch(/^\* OK \[CLOSED\] Previous mailbox closed\r\n/);
    c.close();
  });
});

describe('APPEND, MULTIAPPEND, APPENDUID', () => {
  it('appends with flags and date, answers APPENDUID, refuses unknown mailboxes with TRYCREATE', async () => {
    const { c, name } = await fresh();
    const validity = imap.backend.snapshot(name, 'INBOX').uidValidity;
    const m = message(1).toString('latin1');
    c.send(`a1 APPEND INBOX (\\Seen $Label) " 7-Feb-1994 21:52:25 -0800" {${m.length}}\r\n`);
    expect(await c.line()).toBe('+ Ready for literal data');
    c.send(`${m}\r\n`);
    expect(await c.until('a1')).toBe(`a1 OK [APPENDUID ${validity} 1] APPEND completed\r\n`);
    const meta = imap.backend.snapshot(name, 'INBOX').messages[0]!;
    expect(meta.flags).toEqual(['\\Seen', '$Label']);
    expect(meta.internalDate).toBe(Date.UTC(1994, 1, 8, 5, 52, 25));
    // MULTIAPPEND with non-synchronising literals, in one go.
    expect(await c.cmd(`a2 APPEND INBOX {${m.length}+}\r\n${m} (\\Draft) {${m.length}+}\r\n${m}`)).toBe(`a2 OK [APPENDUID ${validity} 2:3] APPEND completed\r\n`);
    expect(await c.cmd(`a3 APPEND Nope {${m.length}+}\r\n${m}`)).toBe('a3 NO [TRYCREATE] No such mailbox\r\n');
    expect(await c.cmd('a4 APPEND INBOX {0+}\r\n')).toMatch(/^a4 NO /);
    expect(await c.cmd('a5 APPEND INBOX (\\Bogus) {1+}\r\nx')).toBe('a5 BAD invalid flag \\Bogus\r\n');
    c.close();
  });

  it('refuses a message above APPENDLIMIT before reading it', async () => {
    const small = await startTestImap({ limits: { appendLimit: 1000 } });
    const c = await RawClient.connect(small.port);
    await c.cmd('l LOGIN alice "alice password"');
    expect(await c.cmd('a1 APPEND INBOX {1001}')).toBe('a1 NO [TOOBIG] message too big (the limit is 1000 bytes)\r\n');
    expect(await c.cmd('a2 NOOP')).toBe('a2 OK NOOP completed\r\n');
    // Non-synchronising: the bytes are on their way, so the connection ends.
    c.send('a3 APPEND INBOX {5000+}\r\n');
    expect(await c.closedByServer()).toMatch(/a3 NO \[TOOBIG\].*\r\n\* BYE /);
    await small.close();
  });

  it('reports EXISTS for an APPEND into the selected mailbox before the tagged OK', async () => {
    const { c } = await fresh(1);
    await c.cmd('a1 SELECT INBOX');
    const m = message(2).toString('latin1');
    expect(await c.cmd(`a2 APPEND INBOX {${m.length}+}\r\n${m}`)).toMatch(/^\* 2 EXISTS\r\na2 OK \[APPENDUID \d+ 2\] APPEND completed\r\n$/);
    c.close();
  });
});

describe('FETCH', () => {
  it('every data item of RFC 3501, byte-exact', async () => {
    const { c, name } = await fresh();
    imap.backend.deliver(name, 'INBOX', MULTIPART, ['\\Flagged'], Date.UTC(2024, 0, 2, 9));
    await c.cmd('a0 SELECT INBOX');
    const size = MULTIPART.length;
    const out = await c.cmd('a1 FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE UID)');
    expect(out).toBe(`* 1 FETCH (FLAGS (\\Flagged) INTERNALDATE "02-Jan-2024 09:00:00 +0000" RFC822.SIZE ${size} UID 1)\r\na1 OK FETCH completed\r\n`);
    expect(await c.cmd('a2 FETCH 1 ENVELOPE')).toBe(
      '* 1 FETCH (ENVELOPE ("Tue, 2 Jan 2024 10:00:00 +0100" "=?utf-8?q?Caf=C3=A9?= report" (("Ann Example" NIL "ann" "example.org")) (("Ann Example" NIL "ann" "example.org")) (("Ann Example" NIL "ann" "example.org")) ((NIL NIL "bob" "example.net")) NIL NIL NIL "<mp1@example.org>"))\r\na2 OK FETCH completed\r\n',
    );
    expect(await c.cmd('a3 FETCH 1 BODYSTRUCTURE')).toBe(
      '* 1 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 17 0 NIL NIL NIL NIL)("application" "octet-stream" ("name" "x.bin") NIL NIL "base64" 8 NIL ("attachment" ("filename" "x.bin")) NIL NIL) "mixed" ("boundary" "b1") NIL NIL NIL))\r\na3 OK FETCH completed\r\n',
    );
    expect(await c.cmd('a4 FETCH 1 BODY')).toBe(
      '* 1 FETCH (BODY (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 17 0)("application" "octet-stream" ("name" "x.bin") NIL NIL "base64" 8) "mixed"))\r\na4 OK FETCH completed\r\n',
    );
    expect(await c.cmd('a5 FETCH 1 (BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[HEADER.FIELDS (Subject To)])')).toBe(
      '* 1 FETCH (BODY[1] {17}\r\nCaf=C3=A9 au lait BODY[2.MIME] {142}\r\nContent-Type: application/octet-stream; name="x.bin"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="x.bin"\r\n\r\n BODY[HEADER.FIELDS (Subject To)] {62}\r\nTo: bob@example.net\r\nSubject: =?utf-8?q?Caf=C3=A9?= report\r\n\r\n)\r\na5 OK FETCH completed\r\n',
    );
    expect(await c.cmd('a6 FETCH 1 (BODY.PEEK[]<0.4> BODY.PEEK[TEXT]<5.3> BODY.PEEK[9] BODY.PEEK[]<99999.5>)')).toBe(
      '* 1 FETCH (BODY[]<0> {4}\r\nFrom BODY[TEXT]<5> {3}\r\n\nCo BODY[9] {0}\r\n BODY[]<99999> {0}\r\n)\r\na6 OK FETCH completed\r\n',
    );
    expect(await c.cmd('a7 FETCH 1 (BINARY.PEEK[1] BINARY.PEEK[2] BINARY.SIZE[1] BINARY.SIZE[2])')).toBe(
      '* 1 FETCH (BINARY[1] ~{13}\r\nCaf\xc3\xa9 au lait BINARY[2] ~{4}\r\n\0\x01\x02\x03 BINARY.SIZE[1] 13 BINARY.SIZE[2] 4)\r\na7 OK FETCH completed\r\n',
    );
    const header = MULTIPART.toString('latin1', 0, MULTIPART.indexOf('\r\n\r\n') + 4);
    expect(await c.cmd('a8 FETCH 1 (RFC822.HEADER)')).toBe(`* 1 FETCH (RFC822.HEADER {${header.length}}\r\n${header})\r\na8 OK FETCH completed\r\n`);
    expect(imap.backend.snapshot(name, 'INBOX').messages[0]!.flags).toEqual(['\\Flagged']);
    // Not PEEK: \Seen gets set and the new flags come along.
    expect(await c.cmd('a9 FETCH 1 (BODY[1])')).toBe('* 1 FETCH (BODY[1] {17}\r\nCaf=C3=A9 au lait FLAGS (\\Flagged \\Seen))\r\na9 OK FETCH completed\r\n');
    expect(await c.cmd('b1 FETCH 1 PREVIEW')).toBe('* 1 FETCH (PREVIEW {13}\r\nCaf\xc3\xa9 au lait)\r\nb1 OK FETCH completed\r\n');
    expect(await c.cmd('b2 FETCH 1 RFC822')).toBe(`* 1 FETCH (RFC822 {${size}}\r\n${MULTIPART.toString('latin1')})\r\nb2 OK FETCH completed\r\n`);
    c.close();
  });

  it('macros, sequence ranges, UID FETCH always has UID, empty mailboxes answer OK', async () => {
    const { c } = await fresh(3);
    await c.cmd('a1 SELECT INBOX');
    const all = await c.cmd('a2 FETCH 2:* FAST');
    expect(all.match(/^\* \d FETCH \(FLAGS \(\) INTERNALDATE "\d\d-Jan-2024 12:00:00 \+0000" RFC822.SIZE \d+\)\r\n/gm)).toHaveLength(2);
    expect(await c.cmd('a3 UID FETCH 3 FLAGS')).toBe('* 3 FETCH (UID 3 FLAGS ())\r\na3 OK FETCH completed\r\n');
    expect(await c.cmd('a4 UID FETCH 99:* FLAGS')).toBe('* 3 FETCH (UID 3 FLAGS ())\r\na4 OK FETCH completed\r\n');
    expect(await c.cmd('a5 FETCH 4 FLAGS')).toBe('a5 BAD invalid message sequence number\r\n');
    await c.cmd('a6 CREATE Empty');
    await c.cmd('a7 SELECT Empty');
    expect(await c.cmd('a8 FETCH 1:* (FLAGS)')).toBe('a8 OK FETCH completed\r\n');
    expect(await c.cmd('a9 UID FETCH 1:* (FLAGS)')).toBe('a9 OK FETCH completed\r\n');
    expect(await c.cmd('b1 SEARCH ALL')).toBe('* SEARCH\r\nb1 OK SEARCH completed\r\n');
    c.close();
  });
});

describe('STORE', () => {
  it('sets, adds, removes flags and keywords; .SILENT says nothing', async () => {
    const { c } = await fresh(3);
    await c.cmd('a1 SELECT INBOX');
    expect(await c.cmd('a2 STORE 1:2 +FLAGS (\\Deleted $Junk)')).toBe(
      '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk)\r\n* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk \\*)] Flags permitted\r\n* 1 FETCH (FLAGS (\\Deleted $Junk))\r\n* 2 FETCH (FLAGS (\\Deleted $Junk))\r\na2 OK STORE completed\r\n'.replace(
        /^([^]*?)(\* 1 FETCH[^]*?)(a2 OK)/,
        '$2$1$3',
      ),
    );
    expect(await c.cmd('a3 STORE 1 -FLAGS.SILENT (\\Deleted)')).toBe('a3 OK STORE completed\r\n');
    expect(await c.cmd('a4 UID STORE 2 FLAGS (\\seen)')).toBe('* 2 FETCH (UID 2 FLAGS (\\Seen))\r\na4 OK STORE completed\r\n');
    expect(await c.cmd('a5 FETCH 1:3 FLAGS')).toBe('* 1 FETCH (FLAGS ($Junk))\r\n* 2 FETCH (FLAGS (\\Seen))\r\n* 3 FETCH (FLAGS ())\r\na5 OK FETCH completed\r\n');
    expect(await c.cmd('a6 STORE 1 +FLAGS (\\Recent)')).toBe('* 1 FETCH (FLAGS ($Junk))\r\na6 OK STORE completed\r\n');
    c.close();
  });
});

describe('EXPUNGE, UID EXPUNGE, COPY, MOVE', () => {
  it('EXPUNGE reports every removed sequence number; UID EXPUNGE only the given UIDs', async () => {
    const { c } = await fresh(5);
    await c.cmd('a1 SELECT INBOX');
    await c.cmd('a2 STORE 1,3,4 +FLAGS.SILENT (\\Deleted)');
    expect(await c.cmd('a3 UID EXPUNGE 3:5')).toBe('* 4 EXPUNGE\r\n* 3 EXPUNGE\r\na3 OK EXPUNGE completed\r\n');
    expect(await c.cmd('a4 EXPUNGE')).toBe('* 1 EXPUNGE\r\na4 OK EXPUNGE completed\r\n');
    expect(await c.cmd('a5 UID SEARCH ALL')).toBe('* SEARCH 2 5\r\na5 OK SEARCH completed\r\n');
    c.close();
  });

  it('COPY and MOVE answer COPYUID; MOVE expunges in the source; unknown targets get TRYCREATE', async () => {
    const { c, name } = await fresh(4);
    await c.cmd('a1 CREATE Archive');
    const validity = imap.backend.snapshot(name, 'Archive').uidValidity;
    await c.cmd('a2 SELECT INBOX');
    expect(await c.cmd('a3 COPY 1:2 Archive')).toBe(`a3 OK [COPYUID ${validity} 1:2 1:2] COPY completed\r\n`);
    expect(await c.cmd('a4 UID MOVE 3:4 Archive')).toBe(`* OK [COPYUID ${validity} 3:4 3:4] Moved\r\n* 4 EXPUNGE\r\n* 3 EXPUNGE\r\na4 OK MOVE completed\r\n`);
    expect(await c.cmd('a5 MOVE 1 Nope')).toBe('a5 NO [TRYCREATE] No such mailbox\r\n');
    expect(await c.cmd('a6 UID COPY 99 Archive')).toBe('a6 OK No messages copied\r\n');
    expect(imap.backend.snapshot(name, 'Archive').messages.map((m) => m.uid)).toEqual([1, 2, 3, 4]);
    c.close();
  });
});

describe('SEARCH, ESEARCH, SEARCHRES', () => {
  let c: RawClient;
  beforeEach(async () => {
    const f = await fresh(0);
    c = f.c;
    imap.backend.deliver(f.name, 'INBOX', message(1, 'Cc: carol@example.com\r\n'), ['\\Seen'], Date.UTC(2024, 0, 10, 12));
    imap.backend.deliver(f.name, 'INBOX', MULTIPART, ['\\Flagged'], Date.UTC(2024, 1, 10, 12));
    imap.backend.deliver(f.name, 'INBOX', message(3, 'X-Mailer: Fuzz 1.0\r\n'), ['$Important'], Date.UTC(2024, 2, 10, 12));
    await c.cmd('s SELECT INBOX');
  });

  it('every key with its semantics', async () => {
    const q = async (criteria: string) => {
      const out = await c.cmd(`q SEARCH ${criteria}`);
      return out.split('\r\n')[0]!;
    };
    expect(await q('ALL')).toBe('* SEARCH 1 2 3');
    expect(await q('SEEN')).toBe('* SEARCH 1');
    expect(await q('UNSEEN')).toBe('* SEARCH 2 3');
    expect(await q('FLAGGED')).toBe('* SEARCH 2');
    expect(await q('KEYWORD $important')).toBe('* SEARCH 3');
    expect(await q('UNKEYWORD $Important')).toBe('* SEARCH 1 2');
    expect(await q('FROM "sender1@"')).toBe('* SEARCH 1');
    expect(await q('FROM ann')).toBe('* SEARCH 2');
    expect(await q('CC CAROL')).toBe('* SEARCH 1');
    expect(await q('SUBJECT "caf\xc3\xa9"')).toBe('* SEARCH 2');
    expect(await q('HEADER X-Mailer fuzz')).toBe('* SEARCH 3');
    expect(await q('HEADER X-Mailer ""')).toBe('* SEARCH 3');
    expect(await q('BODY "au lait"')).toBe('* SEARCH 2');
    expect(await q('BODY "C3=A9"')).toBe('* SEARCH');
    expect(await q('TEXT "message 3"')).toBe('* SEARCH 3');
    expect(await q('BEFORE 10-Feb-2024')).toBe('* SEARCH 1');
    expect(await q('ON 10-Feb-2024')).toBe('* SEARCH 2');
    expect(await q('SINCE 10-Feb-2024')).toBe('* SEARCH 2 3');
    expect(await q('SENTBEFORE 1-Jan-2000')).toBe('* SEARCH 1 3');
    expect(await q('SENTON 2-Jan-2024')).toBe('* SEARCH 2');
    expect(await q('LARGER 400')).toBe('* SEARCH 2');
    expect(await q('SMALLER 400')).toBe('* SEARCH 1 3');
    expect(await q('OR SEEN FLAGGED')).toBe('* SEARCH 1 2');
    expect(await q('NOT (SEEN FLAGGED)')).toBe('* SEARCH 1 2 3');
    expect(await q('2:* UNFLAGGED')).toBe('* SEARCH 3');
    expect(await q('UID 3')).toBe('* SEARCH 3');
    expect(await q('NEW')).toBe('* SEARCH');
    expect(await q('OLD')).toBe('* SEARCH 1 2 3');
    expect(await q('YOUNGER 60')).toBe('* SEARCH');
    expect(await q('OLDER 60')).toBe('* SEARCH 1 2 3');
    expect(await q('CHARSET ISO-8859-1 SUBJECT {4+}\r\nCAF\xc9')).toBe('* SEARCH 2');
    expect(await c.cmd('x SEARCH CHARSET X-NOPE ALL')).toBe('x NO [BADCHARSET (US-ASCII UTF-8)] unsupported charset X-NOPE\r\n');
  });

  it('ESEARCH RETURN options, SAVE and $', async () => {
    expect(await c.cmd('a1 SEARCH RETURN (MIN MAX COUNT) UNSEEN')).toBe('* ESEARCH (TAG "a1") MIN 2 MAX 3 COUNT 2\r\na1 OK SEARCH completed\r\n');
    expect(await c.cmd('a2 UID SEARCH RETURN () ALL')).toBe('* ESEARCH (TAG "a2") UID ALL 1:3\r\na2 OK SEARCH completed\r\n');
    expect(await c.cmd('a3 SEARCH RETURN (COUNT) KEYWORD none')).toBe('* ESEARCH (TAG "a3") COUNT 0\r\na3 OK SEARCH completed\r\n');
    expect(await c.cmd('a4 SEARCH RETURN (SAVE) UNSEEN')).toBe('a4 OK SEARCH completed\r\n');
    expect(await c.cmd('a5 FETCH $ (UID)')).toBe('* 2 FETCH (UID 2)\r\n* 3 FETCH (UID 3)\r\na5 OK FETCH completed\r\n');
    expect(await c.cmd('a6 SEARCH RETURN (SAVE MIN) ALL')).toBe('* ESEARCH (TAG "a6") MIN 1\r\na6 OK SEARCH completed\r\n');
    expect(await c.cmd('a7 UID SEARCH $')).toBe('* SEARCH 1\r\na7 OK SEARCH completed\r\n');
  });

  it('CONDSTORE: MODSEQ key and the highest modseq in the answer', async () => {
    await c.cmd('m1 STORE 3 +FLAGS.SILENT (\\Answered)');
    // Deliveries took modseqs 2, 3, 4; the STORE gave message 3 modseq 5.
    expect(await c.cmd('m2 SEARCH MODSEQ 3')).toBe('* SEARCH 2 3 (MODSEQ 5)\r\nm2 OK SEARCH completed\r\n');
    expect(await c.cmd('m3 SEARCH RETURN (ALL) MODSEQ 5')).toBe('* ESEARCH (TAG "m3") ALL 3 MODSEQ 5\r\nm3 OK SEARCH completed\r\n');
  });

  it('SORT and THREAD', async () => {
    expect(await c.cmd('t1 SORT (SUBJECT) UTF-8 ALL')).toBe('* SORT 2 1 3\r\nt1 OK SORT completed\r\n');
    expect(await c.cmd('t2 SORT (REVERSE ARRIVAL) UTF-8 ALL')).toBe('* SORT 3 2 1\r\nt2 OK SORT completed\r\n');
    expect(await c.cmd('t3 UID SORT (SIZE) UTF-8 NOT FLAGGED')).toBe('* SORT 3 1\r\nt3 OK SORT completed\r\n');
    expect(await c.cmd('t4 SORT (DISPLAYFROM) UTF-8 ALL')).toBe('* SORT 2 1 3\r\nt4 OK SORT completed\r\n');
    expect(await c.cmd('t5 THREAD ORDEREDSUBJECT UTF-8 ALL')).toBe('* THREAD (1)(3)(2)\r\nt5 OK THREAD completed\r\n');
    expect(await c.cmd('t6 THREAD REFERENCES UTF-8 ALL')).toBe('* THREAD (1)(3)(2)\r\nt6 OK THREAD completed\r\n');
  });
});

describe('parser limits and bad input over the socket', () => {
  it('BAD with a reason, then goes on', async () => {
    const { c } = await fresh();
    expect(await c.cmd('a1 FETCH 1 FLAGS')).toBe('a1 BAD FETCH: select a mailbox first\r\n');
    expect(await c.cmd('a2 SELECT')).toBe('a2 BAD missing arguments\r\n');
    expect(await c.cmd('a3 LOGIN "a\0b" c')).toMatch(/^a3 BAD /);
    c.send('\r\n\r\n');
    expect(await c.cmd('a4 NOOP')).toBe('a4 OK NOOP completed\r\n');
    expect(await c.cmd(`a5 LIST "" ${'('.repeat(40)}`)).toMatch(/^a5 BAD /);
    // Syntax first: the nesting limit holds whatever the state.
    expect(await c.cmd(`a6 SEARCH ${'('.repeat(40)}ALL${')'.repeat(40)}`)).toBe('a6 BAD [LIMIT] too deeply nested\r\n');
    await c.cmd('a7 SELECT INBOX');
    expect(await c.cmd(`a8 SEARCH ${'('.repeat(40)}ALL${')'.repeat(40)}`)).toBe('a8 BAD [LIMIT] too deeply nested\r\n');
    c.close();
  });

  it('ends the connection on a line past the limit', async () => {
    const c = await RawClient.connect(imap.port);
    c.send(`a1 LOGIN ${'x'.repeat(9000)}`);
    expect(await c.closedByServer()).toMatch(/BAD \[TOOBIG\] command line too long\r\n\* BYE /);
  });

  it('allows one list level before login (ID), no more', async () => {
    const c = await RawClient.connect(imap.port);
    expect(await c.cmd('a1 ID ("a" "b")')).toMatch(/a1 OK/);
    expect(await c.cmd('a2 ID (("a" "b"))')).toMatch(/^a2 BAD/);
    c.close();
  });
});
