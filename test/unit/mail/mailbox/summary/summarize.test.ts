import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../../../../core/util/codec.js';
import { renderBody, renderBodyStructure } from '../../../../../mail/imap/format/bodystructure.js';
import { renderEnvelope } from '../../../../../mail/imap/format/envelope.js';
import { summarize } from '../../../../../mail/mailbox/summary/summarize.js';
import type { BodyPart, MessageSummary } from '../../../../../mail/mailbox/summary/types.js';

const CORPUS = fileURLToPath(new URL('../../../../fixtures/messages/', import.meta.url));
const corpus = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.eml'))
  .sort()
  .map((f) => readFileSync(CORPUS + f));
const crlf = (s: string): Buffer => Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'utf8');

/** Ranges nest: every part inside its parent's body, siblings in order, nothing past the end. */
function checkRanges(p: BodyPart, start: number, end: number): void {
  expect(p.headerStart).toBeGreaterThanOrEqual(start);
  expect(p.headerStart).toBeLessThanOrEqual(p.bodyStart);
  expect(p.bodyStart).toBeLessThanOrEqual(p.end);
  expect(p.end).toBeLessThanOrEqual(end);
  expect(p.size).toBeGreaterThanOrEqual(p.end - p.bodyStart);
  let from = p.bodyStart;
  for (const c of p.parts ?? []) {
    checkRanges(c, from, p.end);
    from = c.end;
  }
}

function checkSummary(raw: Buffer, s: MessageSummary): void {
  expect(s.body.headerStart).toBe(0);
  expect(s.body.end).toBe(raw.length);
  expect(s.rawSize).toBe(raw.length);
  expect(s.size).toBeGreaterThanOrEqual(raw.length);
  checkRanges(s.body, 0, raw.length);
  expect([...s.preview].length).toBeLessThanOrEqual(200);
  // Rendering never fails either.
  renderEnvelope(s.envelope);
  renderBodyStructure(s.body);
  renderBody(s.body);
}

describe('summarize: envelope', () => {
  it('defaults Sender and Reply-To to From, keeps raw strings, collects repeated address fields', () => {
    const s = summarize(crlf('From: A <a@x>\nTo: b@x\nTo: c@x\nSubject: =?utf-8?q?caf=C3=A9?=\nSubject: last\nDate: d\n\nbody\n'));
    expect(s.envelope.sender).toEqual(s.envelope.from);
    expect(s.envelope.replyTo).toEqual(s.envelope.from);
    expect(s.envelope.to!.map((a) => a.mailbox)).toEqual(['b', 'c']);
    expect(s.envelope.subject).toBe('last');
    expect(s.envelope.date).toBe('d');
  });

  it('keeps 8-bit header bytes byte for byte, and the whole header for header FETCHes', () => {
    const raw = Buffer.from('Subject: caf\xc3\xa9 \xe9\r\n\r\nbody', 'latin1');
    const s = summarize(raw);
    expect(Buffer.from(s.envelope.subject!, 'latin1')).toEqual(Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9, 0x20, 0xe9]));
    expect(Buffer.from(s.header, 'latin1')).toEqual(raw.subarray(0, raw.length - 4));
  });
});

describe('summarize: preview', () => {
  it('decodes quoted-printable UTF-8 and collapses whitespace', () => {
    const s = summarize(crlf('Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nCaf=C3=A9   cr=\n=C3=A8me\n\n\tdone\n'));
    expect(s.preview).toBe('Café crème done');
  });

  it('prefers text/plain, skips attachments, strips HTML otherwise', () => {
    const html = Buffer.from('<html><head><title>T</title><style>p{}</style></head><body><p>Hi &amp; welcome&nbsp;&#8212; <b>you</b></p></body></html>').toString('base64');
    const s = summarize(
      crlf(`Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain
Content-Disposition: attachment; filename=a.txt

attached
--b
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

${html}
--b--
`),
    );
    expect(s.preview).toBe('Hi & welcome — you');
  });

  it('reads declared charsets and cuts at 200 characters (code points)', () => {
    expect(summarize(Buffer.from('Content-Type: text/plain; charset=iso-8859-1\r\n\r\nGr\xfc\xdfe\r\n', 'latin1')).preview).toBe('Grüße');
    const long = summarize(crlf(`Content-Type: text/plain; charset=utf-8\n\n${'😀'.repeat(300)}\n`));
    expect([...long.preview]).toHaveLength(200);
    expect(long.preview).toBe('😀'.repeat(200));
  });

  it('is empty without a text part', () => {
    expect(summarize(crlf('Content-Type: image/png\n\nxx\n')).preview).toBe('');
  });
});

describe('summarize: search fields', () => {
  it('decodes and lowercases subject and addresses, parses the date, lists header names', () => {
    const s = summarize(
      crlf(
        'From: =?iso-8859-1?q?J=F6rg?= <Joerg@Example.DE>\nTo: a@x\nCc: B <b@x>\nSubject: =?utf-8?b?R3LDvMOfZQ==?= World\nDate: Tue, 2 Jan 2024 09:30:00 +0100\nX-Spam: yes\nto: c@x\n\nbody\n',
      ),
    );
    expect(s.search).toEqual({
      subject: 'grüße world',
      from: 'jörg <joerg@example.de>',
      to: 'a@x, c@x',
      cc: 'b <b@x>',
      bcc: '',
      date: Date.UTC(2024, 0, 2, 8, 30),
      headerNames: ['from', 'to', 'cc', 'subject', 'date', 'x-spam'],
    });
  });
});

describe('summarize: robustness', () => {
  it('summarises every corpus message into consistent ranges', () => {
    for (const raw of corpus) checkSummary(raw, summarize(raw));
  });

  it('never throws on random bytes and is deterministic', () => {
    const bytes = fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(bytes, (raw) => {
        const s = summarize(raw);
        checkSummary(raw, s);
        expect(summarize(raw)).toEqual(s);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on MIME-shaped garbage', () => {
    const token = fc.constantFrom(
      '\r\n',
      '\n',
      '--b',
      '--b--',
      '--c',
      'Content-Type: multipart/mixed; boundary=b\r\n',
      'Content-Type: multipart/digest; boundary=c\r\n',
      'Content-Type: message/rfc822\r\n',
      'MIME-Version: 1.0\r\n',
      'From: "a (b" <c@d\r\n',
      'To: x:;,<>@"(\r\n',
      ' \t',
      '\0',
      '\xff',
      'text',
      '=?utf-8?q?x?=',
      "Content-Disposition: a; f*0*=x'y'%zz; f*1=\"",
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), (tokens) => {
        const raw = Buffer.from(tokens.join(''), 'latin1');
        checkSummary(raw, summarize(raw));
      }),
      { numRuns: 1000 },
    );
  });

  it('survives a MIME bomb: deep nesting and many parts, in reasonable time', () => {
    const deep = 'Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n'.repeat(5000);
    const wide = 'Content-Type: multipart/mixed; boundary=x\r\n\r\n' + '--x\r\n\r\n.\r\n'.repeat(20_000);
    for (const raw of [Buffer.from(deep), Buffer.from(wide)]) {
      const t = Date.now();
      checkSummary(raw, summarize(raw));
      expect(Date.now() - t).toBeLessThan(5_000);
    }
  });
});

describe('summarize: storage', () => {
  it('round-trips through msgpack unchanged', () => {
    for (const raw of corpus) {
      const s = summarize(raw);
      expect(decode(encode(s))).toEqual(s);
    }
  });

  it('summarises a 1 MiB message in a few milliseconds', () => {
    const attachment = Buffer.alloc(770_000, 0x41).toString('base64').replace(/.{76}/g, '$&\r\n');
    const raw = crlf(
      `From: a@x\nSubject: big\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhello\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n${attachment}\n--b--\n`,
    );
    expect(raw.length).toBeGreaterThan(1024 * 1024);
    for (let i = 0; i < 5; i++) summarize(raw);
    const runs: number[] = [];
    for (let i = 0; i < 21; i++) {
      const t = process.hrtime.bigint();
      summarize(raw);
      runs.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    runs.sort((a, b) => a - b);
    // The median; generous for shared machines (it is ~1 ms here).
    expect(runs[10]).toBeLessThan(20);
  });
});
