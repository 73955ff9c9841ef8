import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../../../core/api/common/errors.js';
import { parseQuery, splitTarget } from '../../../../../core/api/common/http.js';
import { verifySignature, type SignedRequest, type VerifyOptions } from '../../../../../core/api/common/signature.js';

const KEY_ID = 'GK31c2f218a2e44f485b94239e';
const SECRET = 'b892c0665f0ada8a4755dae98baa3b133590e11dae3bcc1f5d0b7da2c8ac6f4f';
const NOW = Date.UTC(2024, 4, 17, 12, 30, 0);
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function options(overrides: Partial<VerifyOptions> = {}): VerifyOptions {
  return {
    region: 'garage',
    service: 's3',
    lookupSecret: async (id) => (id === KEY_ID ? SECRET : undefined),
    now: NOW,
    ...overrides,
  };
}

function signer(service = 's3', secretAccessKey = SECRET): SignatureV4 {
  // As the AWS SDKs do: S3 signs the path as sent, other services URI-encode it once more.
  const uriEscapePath = service !== 's3';
  return new SignatureV4({ credentials: { accessKeyId: KEY_ID, secretAccessKey }, region: 'garage', service, sha256: Sha256, uriEscapePath });
}

interface Draft {
  method?: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

function httpRequest(d: Draft) {
  return {
    method: d.method ?? 'GET',
    protocol: 'http:',
    hostname: 'localhost',
    port: 3900,
    path: d.path,
    query: { ...d.query },
    headers: { host: 'localhost:3900', ...d.headers },
  };
}

/** What the server sees of a request smithy signed: the target as it goes on the wire, lower-case headers. */
function received(signed: { method: string; path: string; query?: Record<string, unknown>; headers: Record<string, string> }): SignedRequest {
  const qs = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encode(k)}=${encode(String(v))}`)
    .join('&');
  const { path, query } = splitTarget(qs === '' ? signed.path : `${signed.path}?${qs}`);
  const headers: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = v;
  return { method: signed.method, path, query: parseQuery(query), headers };
}

function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

async function signHeader(d: Draft, service = 's3', secret = SECRET): Promise<SignedRequest> {
  const signed = await signer(service, secret).sign(httpRequest(d), { signingDate: new Date(NOW) });
  return received(signed as never);
}

async function presign(d: Draft, expiresIn = 3600): Promise<SignedRequest> {
  const signed = await signer().presign(httpRequest(d), { signingDate: new Date(NOW), expiresIn });
  return received(signed as never);
}

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('AWS documentation vectors', () => {
  const awsOptions = options({
    region: 'us-east-1',
    lookupSecret: async (id) => (id === 'AKIAIOSFODNN7EXAMPLE' ? 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' : undefined),
    now: Date.UTC(2013, 4, 24),
  });

  it('verifies the GET Object example', async () => {
    const signature = 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41';
    const req: SignedRequest = {
      method: 'GET',
      path: '/test.txt',
      query: [],
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        range: 'bytes=0-9',
        'x-amz-content-sha256': EMPTY_SHA256,
        'x-amz-date': '20130524T000000Z',
        authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=${signature}`,
      },
    };
    const v = await verifySignature(req, awsOptions);
    expect(v.accessKeyId).toBe('AKIAIOSFODNN7EXAMPLE');
    expect(v.payload).toEqual({ kind: 'sha256', hex: EMPTY_SHA256 });
  });

  it('verifies the chunked upload seed signature and hands over the chain', async () => {
    const seed = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
    const req: SignedRequest = {
      method: 'PUT',
      path: '/examplebucket/chunkObject.txt',
      query: [],
      headers: {
        host: 's3.amazonaws.com',
        'x-amz-date': '20130524T000000Z',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': '66560',
        'content-length': '66824',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,' +
          'SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,' +
          `Signature=${seed}`,
      },
    };
    const v = await verifySignature(req, awsOptions);
    expect(v.payload).toMatchObject({
      kind: 'streaming-signed',
      seedSignature: seed,
      scope: '20130524/us-east-1/s3/aws4_request',
      date: '20130524T000000Z',
      trailer: false,
    });
  });
});

describe('header authentication', () => {
  it('accepts what the AWS signer signs, query and odd characters included', async () => {
    const req = await signHeader({
      path: '/bucket/some%20key/%E2%82%AC',
      query: { 'list-type': '2', prefix: 'a b/c+d~é', delimiter: '/', 'continuation-token': '' },
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-meta-note': '  two   spaces  ' },
    });
    const v = await verifySignature(req, options());
    expect(v).toEqual({ accessKeyId: KEY_ID, payload: { kind: 'unsigned' } });
  });

  it('reports a payload hash, lower-cased', async () => {
    const hex = 'B94D27B9934D3E08A52E52D7DA7DABFAC484EFE37A5380EE9088F7ACE2EFCDE9';
    const req = await signHeader({ method: 'PUT', path: '/b/k', headers: { 'x-amz-content-sha256': hex } });
    expect((await verifySignature(req, options())).payload).toEqual({ kind: 'sha256', hex: hex.toLowerCase() });
  });

  it('reports streaming modes and the trailer header', async () => {
    const req = await signHeader({
      method: 'PUT',
      path: '/b/k',
      headers: { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', 'x-amz-trailer': 'x-amz-checksum-crc32c' },
    });
    const v = await verifySignature(req, options());
    expect(v.payload).toMatchObject({ kind: 'streaming-signed', trailer: true, date: '20240517T123000Z' });
    expect(v.trailerHeader).toBe('x-amz-checksum-crc32c');
    const unsigned = await signHeader({ method: 'PUT', path: '/b/k', headers: { 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' } });
    expect((await verifySignature(unsigned, options())).payload).toEqual({ kind: 'streaming-unsigned-trailer' });
  });

  it('rejects tampering with a signed header, the path, the query, the method', async () => {
    const base = await signHeader({ path: '/b/k', query: { a: '1' }, headers: { 'x-amz-content-sha256': EMPTY_SHA256, 'x-amz-meta-a': 'x' } });
    const variants: SignedRequest[] = [
      { ...base, headers: { ...base.headers, 'x-amz-meta-a': 'y' } },
      { ...base, path: '/b/k2' },
      { ...base, query: parseQuery('a=2') },
      { ...base, method: 'DELETE' },
    ];
    for (const req of variants) expect((await rejection(verifySignature(req, options()))).code).toBe('SignatureDoesNotMatch');
  });

  it('rejects a wrong secret, an unknown key, and a rotated secret after a cached derivation', async () => {
    const wrong = await signHeader({ path: '/b', headers: { 'x-amz-content-sha256': EMPTY_SHA256 } }, 's3', 'not-the-secret');
    expect((await rejection(verifySignature(wrong, options()))).code).toBe('SignatureDoesNotMatch');
    const good = await signHeader({ path: '/b', headers: { 'x-amz-content-sha256': EMPTY_SHA256 } });
    await verifySignature(good, options());
    const rotated = options({ lookupSecret: async () => 'rotated' });
    expect((await rejection(verifySignature(good, rotated))).code).toBe('SignatureDoesNotMatch');
    const unknown = options({ lookupSecret: async () => undefined });
    expect((await rejection(verifySignature(good, unknown))).code).toBe('InvalidAccessKeyId');
  });

  it('checks the credential scope', async () => {
    const req = await signHeader({ path: '/b', headers: { 'x-amz-content-sha256': EMPTY_SHA256 } });
    for (const o of [options({ region: 'us-east-1' }), options({ service: 'k2v' })]) {
      const e = await rejection(verifySignature(req, o));
      expect(e.code).toBe('AuthorizationHeaderMalformed');
      expect(e.status).toBe(400);
    }
  });

  it('rejects dates more than 15 minutes away', async () => {
    const req = await signHeader({ path: '/b', headers: { 'x-amz-content-sha256': EMPTY_SHA256 } });
    await verifySignature(req, options({ now: NOW + 14 * 60_000 }));
    await verifySignature(req, options({ now: NOW - 14 * 60_000 }));
    for (const now of [NOW + 16 * 60_000, NOW - 16 * 60_000]) {
      const e = await rejection(verifySignature(req, options({ now })));
      expect([e.code, e.status]).toEqual(['RequestTimeTooSkewed', 403]);
    }
  });

  it('requires x-amz-date, x-amz-content-sha256, a signed host and signed x-amz-* headers', async () => {
    const req = await signHeader({ path: '/b', headers: { 'x-amz-content-sha256': EMPTY_SHA256 } });
    const without = (name: string): SignedRequest => {
      const headers = { ...req.headers };
      delete headers[name];
      return { ...req, headers };
    };
    expect((await rejection(verifySignature(without('x-amz-date'), options()))).code).toBe('AccessDenied');
    expect((await rejection(verifySignature(without('x-amz-content-sha256'), options()))).code).toBe('InvalidRequest');
    const extra = { ...req, headers: { ...req.headers, 'x-amz-copy-source': '/other/key' } };
    expect((await rejection(verifySignature(extra, options()))).code).toBe('AccessDenied');
    const noHost = { ...req, headers: { ...req.headers, authorization: req.headers.authorization!.replace('host;', '') } };
    expect((await rejection(verifySignature(noHost, options()))).code).toBe('AuthorizationHeaderMalformed');
  });

  it('rejects other algorithms and malformed headers', async () => {
    const base: SignedRequest = { method: 'GET', path: '/', query: [], headers: { host: 'h', 'x-amz-date': '20240517T123000Z' } };
    const auth = (a: string): SignedRequest => ({ ...base, headers: { ...base.headers, authorization: a } });
    expect((await rejection(verifySignature(auth('AWS GK:abc'), options()))).code).toBe('InvalidRequest');
    expect((await rejection(verifySignature(auth('AWS4-HMAC-SHA256 Credential=x'), options()))).code).toBe(
      'AuthorizationHeaderMalformed',
    );
    const badScope = `AWS4-HMAC-SHA256 Credential=${KEY_ID}/20240517/garage/s3/aws5_request, SignedHeaders=host, Signature=00`;
    expect((await rejection(verifySignature(auth(badScope), options()))).code).toBe('AuthorizationHeaderMalformed');
  });

  it('rejects an invalid x-amz-content-sha256', async () => {
    const req = await signHeader({ path: '/b', headers: { 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD' } });
    expect((await rejection(verifySignature(req, options()))).code).toBe('InvalidArgument');
  });

  it('double-encodes the path for K2V, without normalising it', async () => {
    const req = await signHeader(
      { method: 'POST', path: '/bucket/my%20partition%2Fkey', query: { search: '' }, headers: {} },
      'k2v',
    );
    const v = await verifySignature(req, options({ service: 'k2v' }));
    expect(v.accessKeyId).toBe(KEY_ID);
    expect((await rejection(verifySignature(req, options()))).code).toBe('AuthorizationHeaderMalformed');
  });
});

describe('presigned URLs', () => {
  // As @aws-sdk/s3-request-presigner does: the payload is unsigned and goes to the query with the other x-amz-* headers.
  const draft: Draft = {
    method: 'PUT',
    path: '/bucket/photo.jpg',
    headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-meta-owner': 'alice' },
  };

  it('accepts a valid presigned URL and hands back the hoisted headers', async () => {
    const req = await presign(draft);
    const v = await verifySignature(req, options({ now: NOW + 3599_000 }));
    expect(v.accessKeyId).toBe(KEY_ID);
    expect(v.payload).toEqual({ kind: 'unsigned' });
    expect(v.queryHeaders).toEqual({ 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-meta-owner': 'alice' });
  });

  it('rejects an expired URL with 403 "Request has expired"', async () => {
    const e = await rejection(verifySignature(await presign(draft, 60), options({ now: NOW + 61_000 })));
    expect([e.code, e.status, e.message]).toEqual(['AccessDenied', 403, 'Request has expired']);
  });

  it('rejects an expiry over a week', async () => {
    const req = await presign(draft);
    const query = req.query.map((p) => (p.key === 'X-Amz-Expires' ? { ...p, value: '604801', rawValue: '604801' } : p));
    const e = await rejection(verifySignature({ ...req, query }, options()));
    expect([e.code, e.status]).toEqual(['AuthorizationQueryParametersError', 400]);
  });

  it('rejects a tampered query, signature or extra unsigned header', async () => {
    const req = await presign(draft);
    const tamper = (key: string, value: string): SignedRequest => ({
      ...req,
      query: req.query.map((p) => (p.key === key ? { ...p, value, rawValue: value } : p)),
    });
    expect((await rejection(verifySignature(tamper('x-amz-meta-owner', 'mallory'), options()))).code).toBe('SignatureDoesNotMatch');
    expect((await rejection(verifySignature(tamper('X-Amz-Signature', '0'.repeat(64)), options()))).code).toBe(
      'SignatureDoesNotMatch',
    );
    const extra = { ...req, headers: { ...req.headers, 'x-amz-acl': 'public-read' } };
    expect((await rejection(verifySignature(extra, options()))).code).toBe('AccessDenied');
  });

  it('refuses both a presigned query and an Authorization header', async () => {
    const req = await presign(draft);
    const both = { ...req, headers: { ...req.headers, authorization: 'AWS4-HMAC-SHA256 x' } };
    expect((await rejection(verifySignature(both, options()))).code).toBe('InvalidArgument');
  });
});

describe('anonymous requests', () => {
  it('says so and still reports the payload mode', async () => {
    const req: SignedRequest = { method: 'GET', path: '/b/k', query: [], headers: { host: 'h' } };
    expect(await verifySignature(req, options())).toEqual({ accessKeyId: undefined, payload: { kind: 'unsigned' } });
    const trailer = { ...req, headers: { host: 'h', 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-trailer': 'x-amz-checksum-crc32' } };
    expect(await verifySignature(trailer, options())).toEqual({
      accessKeyId: undefined,
      payload: { kind: 'streaming-unsigned-trailer' },
      trailerHeader: 'x-amz-checksum-crc32',
    });
    const signedStream = { ...req, headers: { host: 'h', 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' } };
    expect((await rejection(verifySignature(signedStream, options()))).code).toBe('InvalidRequest');
  });
});
