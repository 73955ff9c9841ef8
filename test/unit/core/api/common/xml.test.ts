import { describe, expect, it } from 'vitest';
import { ApiError, renderErrorXml, toApiError } from '../../../../../core/api/common/errors.js';
import { asArray, escapeXml, parseXml, xmlDocument } from '../../../../../core/api/common/xml.js';

const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return e as ApiError;
  }
  throw new Error('expected an ApiError');
}

describe('xml writer', () => {
  it('escapes markup, controls and CR', () => {
    expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    expect(escapeXml('x\r\ny\u0001\tz')).toBe('x&#13;\ny&#1;\tz');
    expect(escapeXml('plain')).toBe('plain');
  });

  it('writes S3-style documents', () => {
    const xml = xmlDocument(
      'ListBucketResult',
      {
        Name: 'bucket',
        Prefix: '',
        KeyCount: 2,
        IsTruncated: false,
        Marker: undefined,
        Contents: [
          { Key: 'a&b', LastModified: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)), Size: 10n },
          { Key: '0001', Size: 0 },
        ],
        CommonPrefixes: [],
      },
      { namespace: true },
    );
    expect(xml).toBe(
      DECL +
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name><Prefix></Prefix>' +
        '<KeyCount>2</KeyCount><IsTruncated>false</IsTruncated>' +
        '<Contents><Key>a&amp;b</Key><LastModified>2024-01-02T03:04:05.006Z</LastModified><Size>10</Size></Contents>' +
        '<Contents><Key>0001</Key><Size>0</Size></Contents></ListBucketResult>',
    );
  });

  it('writes attributes and a text root', () => {
    expect(xmlDocument('LocationConstraint', 'garage', { namespace: true })).toBe(
      `${DECL}<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">garage</LocationConstraint>`,
    );
    const grantee = { '@': { 'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', 'xsi:type': 'CanonicalUser' }, ID: 'k' };
    expect(xmlDocument('Grant', { Grantee: grantee })).toBe(
      `${DECL}<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>k</ID></Grantee></Grant>`,
    );
  });
});

describe('xml parser', () => {
  it('keeps every value a string, exactly as sent', () => {
    const del = parseXml(
      `<?xml version="1.0" encoding="UTF-8"?>
      <Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
        <Quiet>true</Quiet>
        <Object><Key>0001</Key></Object>
        <Object><Key> spaced &amp; &#13;escaped </Key><VersionId>1e5</VersionId></Object>
      </Delete>`,
      'Delete',
    );
    expect(del).toEqual({
      Quiet: 'true',
      Object: [{ Key: '0001' }, { Key: ' spaced & \rescaped ', VersionId: '1e5' }],
    });
  });

  it('gives arrays for one or many children', () => {
    const one = parseXml('<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>', 'CompleteMultipartUpload');
    expect(asArray(one.Part)).toEqual([{ PartNumber: '1' }]);
    expect(asArray(one.Missing)).toEqual([]);
    expect(parseXml(Buffer.from('<Delete/>'), 'Delete')).toEqual({});
    expect(parseXml('<Delete>\n</Delete>', 'Delete')).toEqual({});
  });

  it('rejects malformed documents with MalformedXML', () => {
    for (const text of [
      '',
      'not xml',
      '<Delete><Object></Delete>',
      '<Delete>',
      '<Delete/><Delete/>',
      '<Other/>',
      '<Delete>text</Delete>',
      '<!DOCTYPE d [<!ENTITY e "x">]><Delete>&e;</Delete>',
      '<Delete><__proto__>x</__proto__></Delete>',
    ]) {
      const e = thrown(() => parseXml(text, 'Delete'));
      expect([e.code, e.status]).toEqual(['MalformedXML', 400]);
    }
  });
});

describe('errors', () => {
  it('carries status, code, resource and headers', () => {
    const e = new ApiError('NoSuchUpload', undefined, { resource: '/b/k' });
    expect([e.status, e.code, e.resource, e.name]).toEqual([404, 'NoSuchUpload', '/b/k', 'ApiError']);
    expect(new ApiError('InvalidRange', 'x', { headers: { 'content-range': 'bytes */0' } }).headers).toEqual({ 'content-range': 'bytes */0' });
    expect(new ApiError('NotModified').status).toBe(304);
    expect(toApiError(new Error('boom')).code).toBe('InternalError');
  });

  it('renders S3 error XML, escaped', () => {
    const e = new ApiError('NoSuchKey', 'No <such> key', { resource: '/b/a&b' });
    expect(renderErrorXml(e, 'abc')).toBe(
      `${DECL}<Error><Code>NoSuchKey</Code><Message>No &lt;such&gt; key</Message><Resource>/b/a&amp;b</Resource><RequestId>abc</RequestId></Error>`,
    );
    expect(renderErrorXml(new ApiError('AccessDenied'), 'r')).toBe(
      `${DECL}<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>r</RequestId></Error>`,
    );
  });
});
