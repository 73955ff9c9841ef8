import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../../../core/api/common/errors.js';
import {
  etagMatches,
  formatHttpDate,
  newRequestId,
  parseHttpDate,
  parseQuery,
  parseRange,
  percentDecode,
  sendError,
  sendXml,
  splitTarget,
  uriEncode,
} from '../../../../../core/api/common/http.js';

function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return e as ApiError;
  }
  throw new Error('expected an ApiError');
}

describe('request target and query', () => {
  it('splits origin-form and absolute-form targets', () => {
    expect(splitTarget('/b/k%20x?list-type=2&prefix=a')).toEqual({ path: '/b/k%20x', query: 'list-type=2&prefix=a' });
    expect(splitTarget('/')).toEqual({ path: '/', query: '' });
    expect(splitTarget('http://host:3900/b/k?x')).toEqual({ path: '/b/k', query: 'x' });
    expect(splitTarget('http://host:3900')).toEqual({ path: '/', query: '' });
  });

  it('decodes keys and values and keeps the raw forms', () => {
    expect(parseQuery('prefix=a%2Fb+c&uploads&delimiter=%E2%82%AC&&x=')).toEqual([
      { key: 'prefix', value: 'a/b c', rawKey: 'prefix', rawValue: 'a%2Fb+c' },
      { key: 'uploads', value: '', rawKey: 'uploads', rawValue: '' },
      { key: 'delimiter', value: '€', rawKey: 'delimiter', rawValue: '%E2%82%AC' },
      { key: 'x', value: '', rawKey: 'x', rawValue: '' },
    ]);
  });

  it('rejects a duplicate key with InvalidArgument', () => {
    const e = thrown(() => parseQuery('a=1&b=2&a=3'));
    expect([e.code, e.status]).toEqual(['InvalidArgument', 400]);
  });

  it('percent-decodes bytes, leaving malformed escapes alone', () => {
    expect(percentDecode('%41%zz%4').toString('latin1')).toBe('A%zz%4');
    expect(percentDecode('a+b', false).toString()).toBe('a+b');
    // Node hands raw non-ASCII bytes over as one char per byte.
    expect(percentDecode(Buffer.from('é').toString('latin1')).toString('utf8')).toBe('é');
  });

  it('URI-encodes as AWS does', () => {
    expect(uriEncode(Buffer.from("a b/c~d-e_f.g*'€"), true)).toBe('a%20b%2Fc~d-e_f.g%2A%27%E2%82%AC');
    expect(uriEncode(Buffer.from('/a b/c'), false)).toBe('/a%20b/c');
  });

  it('makes 16-byte hex request ids', () => {
    expect(newRequestId()).toMatch(/^[0-9a-f]{32}$/);
    expect(newRequestId()).not.toBe(newRequestId());
  });
});

describe('parseRange', () => {
  const size = 1000;

  it('parses the three forms', () => {
    expect(parseRange('bytes=0-99', size)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=900-', size)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-100', size)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=999-999', size)).toEqual({ start: 999, end: 999 });
  });

  it('clamps to the object', () => {
    expect(parseRange('bytes=500-5000', size)).toEqual({ start: 500, end: 999 });
    expect(parseRange('bytes=-5000', size)).toEqual({ start: 0, end: 999 });
    expect(parseRange('bytes=0-99999999999999999999', size)).toEqual({ start: 0, end: 999 });
  });

  it('ignores absent, invalid and multiple ranges', () => {
    for (const h of [undefined, '', 'bytes=', 'bytes=-', 'bytes=5-2', 'items=0-1', 'bytes=a-b', 'bytes=0-1,5-6', 'bytes=1-2-3']) {
      expect(parseRange(h, size)).toBeUndefined();
    }
  });

  it('answers 416 with Content-Range when unsatisfiable', () => {
    for (const [h, s] of [
      ['bytes=1000-', size],
      ['bytes=1000-2000', size],
      ['bytes=-0', size],
      ['bytes=0-', 0],
      ['bytes=-5', 0],
    ] as const) {
      const e = thrown(() => parseRange(h, s));
      expect([e.code, e.status, e.headers['content-range']]).toEqual(['InvalidRange', 416, `bytes */${s}`]);
    }
  });
});

describe('HTTP dates', () => {
  const d = new Date(Date.UTC(1994, 10, 6, 8, 49, 37));

  it('formats IMF-fixdate', () => {
    expect(formatHttpDate(d)).toBe('Sun, 06 Nov 1994 08:49:37 GMT');
  });

  it('parses IMF-fixdate, RFC 850 and asctime', () => {
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toEqual(d);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', new Date(Date.UTC(2030, 0, 1)))).toEqual(d);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toEqual(d);
    expect(parseHttpDate('Wed, 06-Nov-24 08:49:37 GMT'.replace('Wed', 'Wednesday'), new Date(Date.UTC(2030, 0, 1)))).toEqual(
      new Date(Date.UTC(2024, 10, 6, 8, 49, 37)),
    );
  });

  it('rejects what is not a date', () => {
    for (const s of ['', 'yesterday', 'Sun, 31 Feb 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 25:49:37 GMT', '1994-11-06T08:49:37Z']) {
      expect(parseHttpDate(s)).toBeUndefined();
    }
  });
});

describe('etagMatches', () => {
  const etag = 'd41d8cd98f00b204e9800998ecf8427e';

  it('matches lists, quoted or not, and *', () => {
    expect(etagMatches(`"${etag}"`, etag, 'strong')).toBe(true);
    expect(etagMatches(`"nope", "${etag}"`, `"${etag}"`, 'strong')).toBe(true);
    expect(etagMatches(etag, etag, 'strong')).toBe(true);
    expect(etagMatches(' * ', etag, 'strong')).toBe(true);
    expect(etagMatches('"nope","other"', etag, 'weak')).toBe(false);
    expect(etagMatches('', etag, 'weak')).toBe(false);
  });

  it('uses strong comparison for If-Match and weak for If-None-Match', () => {
    expect(etagMatches(`W/"${etag}"`, etag, 'strong')).toBe(false);
    expect(etagMatches(`W/"${etag}"`, etag, 'weak')).toBe(true);
  });
});

describe('sending responses', () => {
  async function exchange(handler: http.RequestListener, method = 'GET') {
    const server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/bucket/a%20key?acl`, { method });
      return { status: res.status, headers: res.headers, body: await res.text() };
    } finally {
      server.close();
    }
  }

  it('sends S3 XML errors with the request path as resource', async () => {
    const r = await exchange((_req, res) => sendError(res, new ApiError('NoSuchKey'), 'req-1'));
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toBe('application/xml');
    expect(r.headers.get('x-amz-request-id')).toBe('req-1');
    expect(r.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>' +
        '<Resource>/bucket/a%20key</Resource><RequestId>req-1</RequestId></Error>',
    );
  });

  it('hides unexpected errors behind InternalError', async () => {
    const r = await exchange((_req, res) => sendError(res, new Error('secret detail'), 'req-2'));
    expect(r.status).toBe(500);
    expect(r.body).toContain('<Code>InternalError</Code>');
    expect(r.body).not.toContain('secret detail');
  });

  it('sends the error headers, no body for 304 and HEAD', async () => {
    const range = await exchange((_req, res) => sendError(res, thrown(() => parseRange('bytes=10-', 5)), 'r'));
    expect([range.status, range.headers.get('content-range')]).toEqual([416, 'bytes */5']);
    const notModified = await exchange((_req, res) => sendError(res, new ApiError('NotModified'), 'r'));
    expect([notModified.status, notModified.body]).toEqual([304, '']);
    const head = await exchange((_req, res) => sendError(res, new ApiError('NoSuchBucket'), 'r'), 'HEAD');
    expect([head.status, head.body]).toEqual([404, '']);
  });

  it('sends XML bodies with a length', async () => {
    const r = await exchange((_req, res) => sendXml(res, 200, '<a>é</a>', { etag: '"x"' }));
    expect([r.status, r.body, r.headers.get('content-length'), r.headers.get('etag')]).toEqual([200, '<a>é</a>', '9', '"x"']);
  });
});
