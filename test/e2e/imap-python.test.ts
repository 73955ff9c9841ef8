/**
 * Python's imaplib (Debian's /usr/bin/python3) against our IMAP server: a script
 * doing what a scripted mail tool does, printing what it saw as JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, requireTool, run } from '../helpers/tools.js';
import { message, startTestImap, USER, PASSWORD, type TestImap } from '../integration/mail/imap/harness/server.js';

const PYTHON = '/usr/bin/python3';
const hasPython = requireTool(PYTHON, 'python3');
let imap: TestImap;

const SCRIPT = String.raw`
import imaplib, json, sys
port = int(sys.argv[1])
out = {}
m = imaplib.IMAP4('127.0.0.1', port)
out['caps_before'] = sorted(m.capabilities)
out['login'] = m.login(sys.argv[2], sys.argv[3])[0]
caps = m.capability()[1][0].decode().split()
out['caps_after'] = 'UIDPLUS' in caps and 'IDLE' in caps
typ, boxes = m.list()
out['list'] = [b.decode() for b in boxes]
out['create'] = m.create('Python/Sub')[0]
out['create_utf7'] = m.create('"Entw&APw-rfe"')[0]
typ, data = m.select('INBOX')
out['exists'] = int(data[0])
typ, data = m.search(None, 'ALL')
out['search_all'] = data[0].decode()
typ, data = m.search(None, '(FROM "sender2" UNSEEN)')
out['search_from'] = data[0].decode()
typ, data = m.fetch('1:2', '(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
out['fetch'] = [[p.decode('latin1') if isinstance(p, bytes) else p for p in item] if isinstance(item, tuple) else item.decode() for item in data]
typ, data = m.fetch('3', '(RFC822)')
out['rfc822'] = data[0][1].decode('latin1')
out['store'] = [d.decode() for d in m.store('1', '+FLAGS', '(\\Flagged \\Seen)')[1]]
typ, data = m.append('INBOX', '(\\Draft)', imaplib.Time2Internaldate(1700000000), b'Subject: from python\r\n\r\nhello\r\n')
out['append'] = data[0].decode()
out['uid_search'] = m.uid('SEARCH', None, 'SUBJECT "from python"')[1][0].decode()
out['copy'] = m.copy('1:2', 'Python/Sub')[1][0].decode()
out['status'] = m.status('Python/Sub', '(MESSAGES UIDNEXT UNSEEN)')[1][0].decode()
m.store('2', '+FLAGS', '(\\Deleted)')
typ, data = m.expunge()
out['expunge'] = [d.decode() if d else None for d in data]
out['close'] = m.close()[0]
out['rename'] = m.rename('Python/Sub', 'Python/Renamed')[0]
out['lsub'] = m.lsub()[0]
out['delete'] = m.delete('Python/Renamed')[0]
typ, data = m.select('Nope')
out['select_missing'] = typ + ' ' + data[0].decode()
out['logout'] = m.logout()[0]
print(json.dumps(out))
`;

beforeAll(async () => {
  if (!hasPython) return;
  imap = await startTestImap();
  for (let i = 1; i <= 3; i++) imap.backend.deliver(USER, 'INBOX', message(i));
});
afterAll(async () => {
  await imap?.close();
});

describe.skipIf(!hasPython)('Python imaplib', () => {
  it('logs in, lists, creates, selects, searches, fetches, stores, appends, copies, expunges, renames, deletes', async () => {
    const r = await run(PYTHON, ['-c', SCRIPT, String(imap.port), USER, PASSWORD], { timeoutMs: 60_000 });
    expect(r.code, describeRun(PYTHON, ['-c', '<script>'], r)).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out['caps_before']).toEqual(expect.arrayContaining(['IMAP4REV1', 'AUTH=PLAIN', 'LITERAL+']));
    expect(out['login']).toBe('OK');
    expect(out['caps_after']).toBe(true);
    expect(out['list']).toEqual(['(\\HasNoChildren) "/" INBOX']);
    expect(out['create']).toBe('OK');
    expect(out['create_utf7']).toBe('OK');
    expect(out['exists']).toBe(3);
    expect(out['search_all']).toBe('1 2 3');
    expect(out['search_from']).toBe('2');
    const SIZE = message(1).length;
    expect(out['fetch']).toEqual([
      [`1 (UID 1 FLAGS () RFC822.SIZE ${SIZE} BODY[HEADER.FIELDS (SUBJECT)] {22}`, 'Subject: Message 1\r\n\r\n'],
      ')',
      [`2 (UID 2 FLAGS () RFC822.SIZE ${SIZE} BODY[HEADER.FIELDS (SUBJECT)] {22}`, 'Subject: Message 2\r\n\r\n'],
      ')',
    ]);
    expect(out['rfc822']).toBe(message(3).toString('latin1'));
    expect(out['store']).toEqual(['1 (FLAGS (\\Flagged \\Seen))']);
    expect(out['append']).toMatch(/^\[APPENDUID \d+ 4\] APPEND completed$/);
    expect(out['uid_search']).toBe('4');
    expect(out['copy']).toMatch(/^\[COPYUID \d+ 1:2 1:2\] COPY completed$/);
    expect(out['status']).toBe('Python/Sub (MESSAGES 2 UIDNEXT 3 UNSEEN 1)');
    expect(out['expunge']).toEqual(['2']);
    expect(out['close']).toBe('OK');
    expect(out['rename']).toBe('OK');
    expect(out['delete']).toBe('OK');
    expect(out['select_missing']).toBe('NO [NONEXISTENT] no mailbox Nope');
    expect(out['logout']).toBe('BYE');
    expect(imap.backend.mailboxNames(USER)).toEqual(['Entwürfe', 'INBOX', 'Python']);
  });
});
