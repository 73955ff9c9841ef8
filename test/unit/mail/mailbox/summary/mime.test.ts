/**
 * The MIME structure and its byte offsets: slicing the raw message at the recorded
 * offsets must give each part's MIME header and body exactly (what BODY[n.MIME] and
 * BODY[n] serve), with sizes and line counts as IMAP counts them.
 */
import { describe, expect, it } from 'vitest';
import { summarize } from '../../../../../mail/mailbox/summary/summarize.js';
import type { BodyPart } from '../../../../../mail/mailbox/summary/types.js';

const crlf = (s: string): Buffer => Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'latin1');
const header = (raw: Buffer, p: BodyPart): string => raw.toString('latin1', p.headerStart, p.bodyStart);
const body = (raw: Buffer, p: BodyPart): string => raw.toString('latin1', p.bodyStart, p.end);

describe('MIME structure', () => {
  it('records header and body of every part, the CRLF before a boundary belonging to the boundary', () => {
    const raw = crlf(`Subject: x
Content-Type: multipart/mixed; boundary="b"

preamble
--b
Content-Type: text/plain

one
line two
--b
Content-Type: application/octet-stream

AAAA
--b--
epilogue
`);
    const root = summarize(raw).body;
    expect(root.kind).toBe('multipart');
    expect(header(raw, root)).toBe('Subject: x\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n');
    expect(root.end).toBe(raw.length);
    const [text, bin] = root.parts!;
    expect(header(raw, text!)).toBe('Content-Type: text/plain\r\n\r\n');
    expect(body(raw, text!)).toBe('one\r\nline two');
    expect([text!.size, text!.lines]).toEqual([13, 1]);
    expect(body(raw, bin!)).toBe('AAAA');
    expect(bin!.type + '/' + bin!.subtype).toBe('application/octet-stream');
  });

  it('counts bare LF as CRLF in sizes, never in offsets', () => {
    const raw = Buffer.from('Content-Type: multipart/mixed; boundary=b\n\n--b\n\na\nb\n--b--\n');
    const s = summarize(raw);
    const part = s.body.parts![0]!;
    expect(body(raw, part)).toBe('a\nb');
    expect([part.size, part.lines]).toEqual([4, 1]);
    expect(s.size).toBe(raw.length + 7);
    expect(s.bareLf).toBe(true);
  });

  it('reads message/rfc822 parts down to the embedded message, with its envelope', () => {
    const raw = crlf(`Content-Type: multipart/mixed; boundary=o

--o
Content-Type: message/rfc822

Subject: inner
Content-Type: multipart/alternative; boundary=i

--i

plain
--i--
--o--
`);
    const msg = summarize(raw).body.parts![0]!;
    expect(msg.kind).toBe('message');
    expect(msg.envelope!.subject).toBe('inner');
    const inner = msg.parts![0]!;
    expect(header(raw, inner)).toBe('Subject: inner\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n');
    expect(body(raw, inner.parts![0]!)).toBe('plain');
    expect(msg.lines).toBe(7);
  });

  it('ends every inner part at an outer boundary, and lets the longest boundary win', () => {
    const raw = crlf(`Content-Type: multipart/mixed; boundary=ab

--ab
Content-Type: multipart/mixed; boundary=a

--a

inner
--ab

second
--ab--
`);
    const root = summarize(raw).body;
    expect(root.parts).toHaveLength(2);
    expect(body(raw, root.parts![0]!.parts![0]!)).toBe('inner');
    expect(body(raw, root.parts![1]!)).toBe('second');
  });

  it('ends the last part at the end of the message when the close delimiter is missing', () => {
    const raw = crlf('Content-Type: multipart/mixed; boundary=b\n\n--b\n\nunfinished\n');
    const part = summarize(raw).body.parts![0]!;
    expect(body(raw, part)).toBe('unfinished\r\n');
    expect(part.end).toBe(raw.length);
  });

  it('gives a multipart without parts no children, and defaults to text/plain', () => {
    const s = summarize(crlf('Content-Type: multipart/mixed\n\nno boundary\n'));
    expect(s.body).toMatchObject({ kind: 'multipart', parts: [] });
    expect(summarize(crlf('Subject: x\n\nhello\n')).body).toMatchObject({ kind: 'single', type: 'text', subtype: 'plain', size: 7, lines: 1 });
  });

  it('ignores Content-* headers of a message that is not MIME', () => {
    const part = summarize(crlf('Content-Transfer-Encoding: base64\nContent-Disposition: attachment\n\neA==\n')).body;
    expect(part).toMatchObject({ type: 'text', encoding: null, disposition: null });
  });

  it('treats parts of a multipart/digest without Content-Type as messages', () => {
    const raw = crlf('Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: m\n\nx\n--d--\n');
    const part = summarize(raw).body.parts![0]!;
    expect(part.kind).toBe('message');
    expect(part.envelope!.subject).toBe('m');
  });

  it('stops nesting at 100 levels', () => {
    const levels = 110;
    let s = '';
    for (let i = 0; i < levels; i++) s += `Content-Type: multipart/mixed; boundary="n${i}x"\n\n--n${i}x\n`;
    let p = summarize(crlf(s + 'Content-Type: text/plain\n\nbottom\n')).body;
    let depth = 0;
    while (p.kind === 'multipart') {
      p = p.parts![0]!;
      depth++;
    }
    expect(depth).toBe(99);
    expect(p).toMatchObject({ kind: 'single', type: 'application', subtype: 'octet-stream' });
  });

  it('keeps a part header cut by a boundary line, without the line break before it', () => {
    const raw = crlf('Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n--b--\n');
    const part = summarize(raw).body.parts![0]!;
    expect(header(raw, part)).toBe('Content-Type: text/plain');
    expect(part.size).toBe(0);
  });
});
