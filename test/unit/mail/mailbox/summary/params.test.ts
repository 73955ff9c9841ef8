import { describe, expect, it } from 'vitest';
import { contentFields, parseContentType } from '../../../../../mail/mailbox/summary/content.js';
import { parseHeaderBlock } from '../../../../../mail/mailbox/summary/headers.js';

const ct = (v: string) => parseContentType(Buffer.from(v, 'latin1'));
const fieldsOf = (header: string) => contentFields(parseHeaderBlock(Buffer.from(header + '\r\n\r\n', 'latin1'), 0, () => false).fields);

describe('Content-Type', () => {
  it('keeps the case as written and reads quoted and token values', () => {
    expect(ct('TEXT/Plain; Charset="UTF-8"; format=flowed (comment)')).toEqual({
      type: 'TEXT',
      subtype: 'Plain',
      params: ['Charset', 'UTF-8', 'format', 'flowed'],
    });
  });

  it('gives up on broken types (no parameters then)', () => {
    expect(ct('text/plain garbage; a=b')).toEqual({ type: '', subtype: '', params: [] });
    expect(ct('text')).toEqual({ type: 'text', subtype: '', params: [] });
    expect(ct('/plain')).toEqual({ type: '', subtype: '', params: [] });
  });

  it('merges RFC 2231 continuations, keeping the charset prefix of extended values', () => {
    expect(ct("a/b; name*1*=%20two; name*0*=utf-8'en'one; x*0=p; x*1=q; plain=1").params).toEqual([
      'plain',
      '1',
      'name*',
      "utf-8'en'one%20two",
      'x',
      'pq',
    ]);
  });

  it('percent-escapes plain segments merged into an extended value', () => {
    expect(ct("a/b; f*0*=us-ascii''a; f*1=\"50%\"").params).toEqual(['f*', "us-ascii''a50%25"]);
  });

  it('keeps continuations with a missing index apart', () => {
    expect(ct('a/b; n*0=a; n*2=c').params).toEqual(['n*0', 'a', 'n*2', 'c']);
  });

  it('skips broken parameters up to the next ";" and reads unquoted encoded words', () => {
    // "; ;z=1" is broken at its second ";": recovery skips to the one after "z=1".
    expect(ct('a/b; =x; y=; ;z=1; t==?utf-8?q?a_b?= ; w').params).toEqual(['', 'x', 'y', '', 't', '=?utf-8?q?a_b?=']);
  });
});

describe('contentFields', () => {
  it('takes the first of each field, but a later Content-Disposition replaces one without parameters', () => {
    const c = fieldsOf(
      [
        'Content-Type: text/html',
        'Content-Type: text/plain',
        'Content-Disposition: inline',
        'Content-Disposition: attachment; filename=a.txt',
        'Content-Disposition: inline; filename=b.txt',
        'Content-Transfer-Encoding: base64 (comment)',
        'Content-Language: en, de-DE',
        'Content-Location: http://x/\r\n y',
        'Content-MD5: abc',
        'Content-ID: <id>',
        'Content-Description: d',
      ].join('\r\n'),
    );
    expect(c).toMatchObject({
      type: 'text',
      subtype: 'html',
      disposition: 'attachment',
      dispositionParams: ['filename', 'a.txt'],
      encoding: 'base64',
      language: ['en', 'de-DE'],
      location: 'http://x/\r\n y',
      md5: 'abc',
      id: '<id>',
      description: 'd',
    });
  });

  it('rejects a transfer encoding followed by garbage', () => {
    expect(fieldsOf('Content-Transfer-Encoding: 8bit x').encoding).toBeNull();
  });
});
