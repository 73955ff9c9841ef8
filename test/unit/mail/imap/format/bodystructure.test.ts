import { describe, expect, it } from 'vitest';
import { renderBody, renderBodyStructure } from '../../../../../mail/imap/format/bodystructure.js';
import { renderEnvelope } from '../../../../../mail/imap/format/envelope.js';
import { summarize } from '../../../../../mail/mailbox/summary/summarize.js';

const crlf = (s: string): Buffer => Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'latin1');
const bs = (raw: Buffer): string => renderBodyStructure(summarize(raw).body).toString('latin1');
const body = (raw: Buffer): string => renderBody(summarize(raw).body).toString('latin1');

describe('BODYSTRUCTURE and BODY', () => {
  it('renders a text part with the default charset, size and lines', () => {
    const raw = crlf('Subject: x\n\nhello\nworld\n');
    expect(bs(raw)).toBe('("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 2 NIL NIL NIL NIL)');
    expect(body(raw)).toBe('("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 2)');
  });

  it('renders multiparts with their extension data, types in the case written', () => {
    const raw = crlf(`MIME-Version: 1.0
Content-Type: MULTIPART/Mixed; BOUNDARY="b"
Content-Language: en

--b
Content-Type: Text/HTML; Charset=UTF-8
Content-Transfer-Encoding: Base64
Content-ID: <id@x>
Content-Description: a page
Content-MD5: bWQ1
Content-Disposition: inline; filename=page.html
Content-Language: en, fr
Content-Location: http://x/page

PHA+
--b
Content-Type: application/pdf; name="a b.pdf"

%PDF
--b--
`);
    expect(bs(raw)).toBe(
      '(("Text" "HTML" ("Charset" "UTF-8") "<id@x>" "a page" "Base64" 4 0 "bWQ1" ("inline" ("filename" "page.html")) ("en" "fr") "http://x/page")' +
        '("application" "pdf" ("name" "a b.pdf") NIL NIL "7bit" 4 NIL NIL NIL NIL)' +
        ' "Mixed" ("BOUNDARY" "b") NIL ("en") NIL)',
    );
    expect(body(raw)).toBe('(("Text" "HTML" ("Charset" "UTF-8") "<id@x>" "a page" "Base64" 4 0)("application" "pdf" ("name" "a b.pdf") NIL NIL "7bit" 4) "Mixed")');
  });

  it('shows one empty text part for a multipart without parts', () => {
    const raw = crlf('Content-Type: multipart/mixed\n\nx\n');
    expect(bs(raw)).toBe('(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" NIL NIL NIL NIL)');
    expect(body(raw)).toBe('(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) "mixed")');
  });

  it('renders message/rfc822 with the envelope and structure of its message', () => {
    const raw = crlf('Content-Type: Message/RFC822\n\nSubject: inner\nFrom: a@b\n\nbody\n');
    expect(bs(raw)).toBe(
      '("message" "rfc822" NIL NIL NIL "7bit" 35 (NIL "inner" ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) NIL NIL NIL NIL NIL)' +
        ' ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1 NIL NIL NIL NIL) 4 NIL NIL NIL NIL)',
    );
  });

  it('shows a "multipart" that is not read as one as application/octet-stream', () => {
    expect(bs(crlf('Content-Type: multipart; boundary=x\n\nx\n'))).toBe('("" "" NIL NIL NIL "7bit" 3 NIL NIL NIL NIL)');
    expect(bs(crlf('Content-Type: multipart\n\nx\n'))).toBe('("application" "octet-stream" NIL NIL NIL "7bit" 3 NIL NIL NIL NIL)');
  });

  it('sends 8-bit parameters as literals', () => {
    expect(bs(Buffer.from('Content-Type: application/x; name="caf\xc3\xa9"\r\n\r\n', 'latin1'))).toBe(
      '("application" "x" ("name" {5}\r\ncaf\xc3\xa9) NIL NIL "7bit" 0 NIL NIL NIL NIL)',
    );
  });
});

describe('ENVELOPE', () => {
  it('renders every field, groups, NIL for what is missing, literals for 8-bit', () => {
    const raw = Buffer.from(
      'Date: Mon, 1 Jan 2024\r\n 10:00:00 +0000\r\nSubject:  Hi  there\r\nFrom: "Zo\xc3\xab" <z@x>\r\nTo: Team: a@x;\r\nIn-Reply-To: <p@x>\r\nMessage-ID: <m@x>\r\n\r\n',
      'latin1',
    );
    expect(renderEnvelope(summarize(raw).envelope).toString('latin1')).toBe(
      '("Mon, 1 Jan 2024 10:00:00 +0000" {8}\r\nHi there (({4}\r\nZo\xc3\xab NIL "z" "x")) (({4}\r\nZo\xc3\xab NIL "z" "x")) (({4}\r\nZo\xc3\xab NIL "z" "x"))' +
        ' ((NIL NIL "Team" NIL)(NIL NIL "a" "x")(NIL NIL NIL NIL)) NIL NIL "<p@x>" "<m@x>")',
    );
  });

  it('is all NIL for a message without header', () => {
    expect(renderEnvelope(summarize(Buffer.from('\r\nbody')).envelope).toString()).toBe('(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)');
  });
});
