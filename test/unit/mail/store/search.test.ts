import { describe, expect, it } from 'vitest';
import { flagSet } from '../../../../mail/mailbox/flags.js';
import type { MessageMeta } from '../../../../mail/mailbox/message-meta.js';
import { summarize } from '../../../../mail/mailbox/summary/summarize.js';
import type { MessageEntry } from '../../../../mail/mailbox/uid-index.js';
import { matches, needsBodies, splitByTier, type SearchKey } from '../../../../mail/store/search.js';

const raw = Buffer.from(
  [
    'From: =?iso-8859-1?q?J=F6rg?= <jorg@example.org>',
    'To: team@example.net',
    'Subject: Weekly  sync',
    'Date: Wed, 03 Jan 2024 23:30:00 -0500',
    'X-Tracker: ticket 42',
    'Content-Type: multipart/mixed; boundary=b',
    '',
    '--b',
    'Content-Type: text/plain; charset=iso-8859-1',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Caf=E9 at noon',
    '--b',
    'Content-Type: application/octet-stream',
    '',
    'SECRETBLOB',
    '--b--',
    '',
  ].join('\r\n'),
);
const summary = summarize(raw);
const meta: MessageMeta = { bodyKey: Buffer.alloc(32), bodyId: 'x', header: raw.subarray(0, summary.body.bodyStart), summary };
const entry: MessageEntry = { id: 'a'.repeat(32), uid: 7, modseq: 5n, flags: flagSet(['\\Seen', '$Work']), size: 500, date: Date.UTC(2024, 0, 4, 1) };
const data = { entry, meta, body: raw };
const yes = (key: SearchKey): void => expect(matches(key, data), JSON.stringify(key, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).toBe(true);
const no = (key: SearchKey): void => expect(matches(key, data)).toBe(false);

describe('search keys', () => {
  it('match flags, UIDs, sizes and MODSEQ from the index entry', () => {
    yes({ type: 'flag', flag: '\\SEEN', present: true });
    yes({ type: 'flag', flag: '$work', present: true });
    no({ type: 'flag', flag: '\\Flagged', present: true });
    yes({ type: 'uid', ranges: [[5, 9]] });
    yes({ type: 'size', larger: true, octets: 499 });
    no({ type: 'size', larger: false, octets: 500 });
    yes({ type: 'modseq', modseq: 5n });
    no({ type: 'modseq', modseq: 6n });
  });

  it('compare INTERNALDATE by UTC day, and the Date header by the day it names', () => {
    yes({ type: 'date', sent: false, cmp: 'on', day: '2024-01-04' });
    yes({ type: 'date', sent: false, cmp: 'since', day: '2024-01-04' });
    no({ type: 'date', sent: false, cmp: 'before', day: '2024-01-04' });
    yes({ type: 'date', sent: true, cmp: 'on', day: '2024-01-03' });
    yes({ type: 'date', sent: true, cmp: 'before', day: '2024-01-04' });
  });

  it('match decoded header text, case and spacing aside', () => {
    yes({ type: 'header', field: 'from', text: 'JÖRG' });
    yes({ type: 'header', field: 'subject', text: 'weekly sync' });
    yes({ type: 'headerField', name: 'x-tracker', text: 'TICKET 42' });
    yes({ type: 'headerField', name: 'X-Tracker', text: '' });
    no({ type: 'headerField', name: 'X-Other', text: '' });
  });

  it('search decoded text parts for BODY and TEXT, not attachments', () => {
    yes({ type: 'text', body: true, text: 'café' });
    no({ type: 'text', body: true, text: 'secretblob' });
    no({ type: 'text', body: true, text: 'weekly' });
    yes({ type: 'text', body: false, text: 'weekly' });
  });

  it('combine with NOT, AND, OR, and split the index conjuncts off', () => {
    const key: SearchKey = { type: 'and', keys: [{ type: 'flag', flag: '\\Seen', present: true }, { type: 'or', keys: [{ type: 'text', body: true, text: 'nope' }, { type: 'not', key: { type: 'all' } }] }] };
    no(key);
    expect(needsBodies(key)).toBe(true);
    const { index, rest } = splitByTier(key);
    expect(index).toHaveLength(1);
    expect(rest).toHaveLength(1);
  });
});
