// The common layer against real clients: a minimal PUT/GET server built from it, driven by
// the AWS SDK for JavaScript (header signing, aws-chunked with trailer) and presigned URLs.
import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestBody } from '../../../../../core/api/common/body.js';
import { addTrailerChecksums, ChecksumSet, parseChecksumHeaders } from '../../../../../core/api/common/checksum.js';
import { ApiError } from '../../../../../core/api/common/errors.js';
import { newRequestId, parseQuery, sendError, splitTarget } from '../../../../../core/api/common/http.js';
import { verifySignature } from '../../../../../core/api/common/signature.js';

const KEY_ID = 'GK0123456789abcdef01234567';
const SECRET = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

const objects = new Map<string, { data: Buffer; trailers: ReadonlyMap<string, string> }>();
let server: http.Server;
let endpoint: string;

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const requestId = newRequestId();
  try {
    const { path, query } = splitTarget(req.url ?? '/');
    const auth = await verifySignature(
      { method: req.method ?? 'GET', path, query: parseQuery(query), headers: req.headers },
      { region: 'garage', service: 's3', lookupSecret: async (id) => (id === KEY_ID ? SECRET : undefined) },
    );
    if (auth.accessKeyId === undefined) throw new ApiError('AccessDenied');
    if (req.method === 'GET') {
      const object = objects.get(path);
      if (object === undefined) throw new ApiError('NoSuchKey');
      res.writeHead(200, { 'content-length': object.data.length });
      res.end(object.data);
      return;
    }
    const checksums = parseChecksumHeaders({ ...req.headers, ...auth.queryHeaders });
    const body = requestBody(req, auth.payload, req.headers);
    const set = new ChecksumSet(checksums.algorithm === undefined ? [] : [checksums.algorithm]);
    const parts: Buffer[] = [];
    for await (const chunk of body.chunks) {
      set.update(chunk);
      parts.push(chunk);
    }
    const digests = set.verify(addTrailerChecksums(checksums, body.trailers));
    objects.set(path, { data: Buffer.concat(parts), trailers: body.trailers });
    res.writeHead(200, { etag: `"${digests.md5!.toString('hex')}"` });
    res.end();
  } catch (err) {
    sendError(res, err, requestId);
  }
}

function client(secretAccessKey = SECRET, requestChecksumCalculation: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED' = 'WHEN_SUPPORTED'): S3Client {
  return new S3Client({
    endpoint,
    region: 'garage',
    forcePathStyle: true,
    credentials: { accessKeyId: KEY_ID, secretAccessKey },
    requestChecksumCalculation,
  });
}

async function s3Error(p: Promise<unknown>): Promise<S3ServiceException> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(S3ServiceException);
  return err as S3ServiceException;
}

beforeAll(async () => {
  server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.close();
});

describe('AWS SDK for JavaScript', () => {
  it('PUTs a buffer (signed SHA-256 payload, CRC32 header)', async () => {
    const data = Buffer.from('hello world');
    const out = await client().send(new PutObjectCommand({ Bucket: 'b', Key: 'small', Body: data }));
    expect(out.ETag).toBe(`"${createHash('md5').update(data).digest('hex')}"`);
    expect(objects.get('/b/small')?.data.equals(data)).toBe(true);
  });

  it('PUTs a stream (aws-chunked, unsigned payload, CRC32 trailer)', async () => {
    const data = Buffer.alloc(300_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    const body = Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]);
    await client().send(new PutObjectCommand({ Bucket: 'b', Key: 'streamed', Body: body, ContentLength: data.length }));
    const stored = objects.get('/b/streamed')!;
    expect(stored.data.equals(data)).toBe(true);
    expect(stored.trailers.has('x-amz-checksum-crc32')).toBe(true);
  });

  it('gets BadDigest for a wrong checksum', async () => {
    const put = client().send(new PutObjectCommand({ Bucket: 'b', Key: 'bad', Body: Buffer.from('x'), ChecksumCRC32: 'AAAAAA==' }));
    expect((await s3Error(put)).name).toBe('BadDigest');
  });

  it('gets SignatureDoesNotMatch for a wrong secret, and can read the XML error', async () => {
    const e = await s3Error(client('wrong').send(new GetObjectCommand({ Bucket: 'b', Key: 'small' })));
    expect([e.name, e.$metadata.httpStatusCode]).toEqual(['SignatureDoesNotMatch', 403]);
  });

  it('round-trips through presigned PUT and GET URLs', async () => {
    // By default the SDK presigns the CRC32 of an empty body into the URL, which (as on AWS) fails any other body.
    const presigner = client(SECRET, 'WHEN_REQUIRED');
    const defaultUrl = await getSignedUrl(client(), new PutObjectCommand({ Bucket: 'b', Key: 'k' }), { expiresIn: 60 });
    expect((await fetch(defaultUrl, { method: 'PUT', body: 'x' })).status).toBe(400);
    const putUrl = await getSignedUrl(presigner, new PutObjectCommand({ Bucket: 'b', Key: 'presigned key+1', Metadata: { who: 'me' } }), {
      expiresIn: 60,
    });
    const put = await fetch(putUrl, { method: 'PUT', body: 'presigned body' });
    expect(put.status).toBe(200);
    const getUrl = await getSignedUrl(presigner, new GetObjectCommand({ Bucket: 'b', Key: 'presigned key+1' }), { expiresIn: 60 });
    const get = await fetch(getUrl);
    expect([get.status, await get.text()]).toEqual([200, 'presigned body']);
    const tampered = await fetch(getUrl.replace('presigned%20key', 'presigned%20kez'));
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });
});

describe('errors in the middle of a body', () => {
  it('still reach the client as an XML error, with the connection left usable', async () => {
    const signer = new SignatureV4({
      credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET },
      region: 'garage',
      service: 's3',
      sha256: Sha256,
      uriEscapePath: false,
    });
    const { port } = server.address() as AddressInfo;
    const signed = await signer.sign({
      method: 'PUT',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port,
      path: '/b/chunked',
      query: {},
      headers: {
        host: `127.0.0.1:${port}`,
        'content-encoding': 'aws-chunked',
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'x-amz-decoded-content-length': String(2 * 1024 * 1024),
      },
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(`${endpoint}/b/chunked`, { method: 'PUT', headers: signed.headers, agent });
      req.on('response', resolve);
      req.on('error', reject);
      // A good 1 MiB chunk, then a broken chunk header, then more data the server must skip.
      req.write(Buffer.concat([Buffer.from('100000\r\n'), Buffer.alloc(1024 * 1024, 1), Buffer.from('\r\n')]));
      req.write('not-hex\r\n');
      req.end(Buffer.alloc(1024 * 1024, 2));
    });
    const text = await new Promise<string>((resolve) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    expect(res.statusCode).toBe(400);
    expect(text).toContain('<Code>InvalidRequest</Code>');
    expect(objects.has('/b/chunked')).toBe(false);
    agent.destroy();
  });
});
