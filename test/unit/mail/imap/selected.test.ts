import { describe, expect, it } from 'vitest';
import { SelectedMailbox } from '../../../../mail/imap/session/selected.js';
import { MemoryBackend } from '../../../integration/mail/imap/harness/memory-backend.js';

const MSG = (n: number) => Buffer.from(`Subject: ${n}\r\n\r\nbody ${n}\r\n`);

async function view(messages: number) {
  const backend = new MemoryBackend();
  backend.addUser('u', 'pw');
  for (let i = 1; i <= messages; i++) backend.deliver('u', 'INBOX', MSG(i));
  const account = await backend.open(await backend.login('u', 'pw'));
  const mailbox = await account.open('INBOX', { readOnly: false });
  const sel = new SelectedMailbox('INBOX', mailbox, false, await mailbox.refresh(), () => undefined);
  const out: string[] = [];
  const sink = { write: (s: string) => void out.push(s) };
  return { backend, mailbox, sel, out, sink, other: await (await backend.open(await backend.login('u', 'pw'))).open('INBOX', { readOnly: false }) };
}

const plain = { expunge: true, qresync: false, condstore: false };

describe('selected mailbox view', () => {
  it('reports expunges from the end, then EXISTS, then flag changes with new numbers', async () => {
    const { backend, sel, out, sink, other } = await view(5);
    await other.store([2, 4], 'add', ['\\Deleted']);
    await other.expunge();
    backend.deliver('u', 'INBOX', MSG(6));
    await other.store([5], 'add', ['\\Seen']);
    sel.update(sink, plain);
    expect(out.join('')).toBe('* 4 EXPUNGE\r\n* 2 EXPUNGE\r\n* 4 EXISTS\r\n* 3 FETCH (FLAGS (\\Seen))\r\n');
    expect(sel.count).toBe(4);
    expect([0, 1, 2, 3].map((i) => sel.meta(i).uid)).toEqual([1, 3, 5, 6]);
  });

  it('holds expunges back while not allowed, keeping sequence numbers, and sends them later', async () => {
    const { sel, out, sink, other } = await view(3);
    await other.store([2], 'add', ['\\Deleted']);
    await other.expunge();
    sel.update(sink, { ...plain, expunge: false });
    // The message is gone from the store: nothing to say about it until EXPUNGE may be sent.
    expect(out).toEqual([]);
    expect(sel.count).toBe(3);
    expect(sel.seqOf(3)).toBe(3);
    sel.update(sink, plain);
    expect(out).toEqual(['* 2 EXPUNGE\r\n']);
    expect(sel.seqOf(3)).toBe(2);
  });

  it('with QRESYNC: VANISHED, and every FETCH with its UID and MODSEQ', async () => {
    const { sel, out, sink, other } = await view(4);
    await other.store([1, 3], 'add', ['\\Deleted']);
    await other.store([2], 'add', ['$Later']);
    await other.expunge();
    sel.update(sink, { expunge: true, qresync: true, condstore: true });
    expect(out[0]).toBe('* VANISHED 1,3\r\n');
    expect(out.slice(1, 3)).toEqual(['* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Later)\r\n', expect.stringMatching(/^\* OK \[PERMANENTFLAGS /)]);
    expect(out[3]).toMatch(/^\* 1 FETCH \(UID 2 FLAGS \(\$Later\) MODSEQ \(\d+\)\)\r\n$/);
  });

  it('resolves sequence numbers, UIDs (n:* past the last UID) and the saved result', async () => {
    const { sel, other, sink } = await view(5);
    await other.store([2, 3], 'add', ['\\Deleted']);
    await other.expunge();
    sel.update(sink, plain);
    expect(sel.resolve({ kind: 'ranges', ranges: [{ from: 2, to: '*' }] }, false)).toEqual([1, 2]);
    expect(sel.resolve({ kind: 'ranges', ranges: [{ from: 3, to: 4 }] }, true)).toEqual([1]);
    expect(sel.resolve({ kind: 'ranges', ranges: [{ from: 99, to: '*' }] }, true)).toEqual([2]);
    expect(() => sel.resolve({ kind: 'ranges', ranges: [{ from: 4, to: 4 }] }, false)).toThrow('invalid message sequence number');
    sel.saved = [5, 2, 1];
    expect(sel.resolve({ kind: 'saved' }, false)).toEqual([2, 0]);
  });

  it('does not report again what this session answered itself (absorb)', async () => {
    const { sel, out, sink, mailbox } = await view(2);
    await mailbox.store([1], 'add', ['\\Flagged']);
    sel.absorb([1]);
    sel.update(sink, plain);
    expect(out).toEqual([]);
  });
});
