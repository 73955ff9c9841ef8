import fc from 'fast-check';
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { awsChunkedBody, requestBody, verifiedBody } from '../../../../../core/api/common/body.js';
import { ApiError } from '../../../../../core/api/common/errors.js';
import type { Payload } from '../../../../../core/api/common/signature.js';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

async function* from(pieces: readonly Buffer[]): AsyncGenerator<Buffer> {
  for (const p of pieces) yield p;
}

/** `data` cut at the given offsets. */
function split(data: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, data.length]) {
    out.push(data.subarray(prev, p));
    prev = p;
  }
  return out;
}

/** Byte equality (vitest's deep equality walks buffers element by element: far too slow here). */
function expectBytes(actual: Buffer, expected: Buffer): void {
  expect(actual.length).toBe(expected.length);
  expect(actual.equals(expected)).toBe(true);
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of chunks) out.push(c);
  return Buffer.concat(out);
}

async function failure(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

// The AWS documentation's chunked upload example (examplebucket/chunkObject.txt).
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const AWS_DATE = '20130524T000000Z';
const AWS_SCOPE = '20130524/us-east-1/s3/aws4_request';
const AWS_KEY = ['us-east-1', 's3', 'aws4_request'].reduce((k, part) => hmac(k, part), hmac(`AWS4${AWS_SECRET}`, '20130524'));
const AWS_SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
const AWS_CHUNK_SIGNATURES = [
  'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
  '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
  'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
];
const AWS_DATA = Buffer.alloc(66560, 'a');
const AWS_BODY = Buffer.concat([
  Buffer.from(`10000;chunk-signature=${AWS_CHUNK_SIGNATURES[0]}\r\n`),
  AWS_DATA.subarray(0, 65536),
  Buffer.from(`\r\n400;chunk-signature=${AWS_CHUNK_SIGNATURES[1]}\r\n`),
  AWS_DATA.subarray(65536),
  Buffer.from(`\r\n0;chunk-signature=${AWS_CHUNK_SIGNATURES[2]}\r\n\r\n`),
]);

function signedPayload(trailer = false, seedSignature = AWS_SEED): Extract<Payload, { kind: 'streaming-signed' }> {
  return { kind: 'streaming-signed', seedSignature, signingKey: AWS_KEY, scope: AWS_SCOPE, date: AWS_DATE, trailer };
}

/** Encodes `data` as aws-chunked, signing it like an AWS SDK does when `signed`. */
function encodeChunked(data: Buffer, chunkSize: number, opts: { signed: boolean; trailers?: [string, string][] }): Buffer {
  const parts: Buffer[] = [];
  let previous = AWS_SEED;
  const signChunk = (chunk: Buffer): string => {
    previous = hmac(AWS_KEY, ['AWS4-HMAC-SHA256-PAYLOAD', AWS_DATE, AWS_SCOPE, previous, EMPTY_SHA256, sha256hex(chunk)].join('\n')).toString('hex');
    return previous;
  };
  const header = (chunk: Buffer): string => `${chunk.length.toString(16)}${opts.signed ? `;chunk-signature=${signChunk(chunk)}` : ''}\r\n`;
  for (let i = 0; i < data.length; i += chunkSize) {
    const chunk = data.subarray(i, i + chunkSize);
    parts.push(Buffer.from(header(chunk)), chunk, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(header(Buffer.alloc(0))));
  if (opts.trailers !== undefined) {
    const canonical = opts.trailers.map(([k, v]) => `${k}:${v}\n`).join('');
    parts.push(Buffer.from(canonical.replace(/\n/g, '\r\n')));
    if (opts.signed) {
      const sig = hmac(AWS_KEY, ['AWS4-HMAC-SHA256-TRAILER', AWS_DATE, AWS_SCOPE, previous, sha256hex(canonical)].join('\n')).toString('hex');
      parts.push(Buffer.from(`x-amz-trailer-signature:${sig}\r\n`));
    }
  }
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

describe('verifiedBody', () => {
  const data = Buffer.from('The quick brown fox jumps over the lazy dog');
  const hex = sha256hex(data);

  it('passes a body whose SHA-256 and length match', async () => {
    const out = await collect(verifiedBody(from(split(data, [3, 10, 20])), { kind: 'sha256', hex }, data.length));
    expectBytes(out, data);
  });

  it('fails on a different body, without releasing its last chunk', async () => {
    const tampered = Buffer.from(data);
    tampered[5] ^= 1;
    const seen: Buffer[] = [];
    const read = (async () => {
      for await (const c of verifiedBody(from(split(tampered, [10, 30])), { kind: 'sha256', hex }, data.length)) seen.push(c);
    })();
    expect((await failure(read)).code).toBe('XAmzContentSHA256Mismatch');
    expect(Buffer.concat(seen).length).toBeLessThan(data.length);
  });

  it('fails on a short body (IncompleteBody) and on a long one', async () => {
    expect((await failure(collect(verifiedBody(from([data]), { kind: 'unsigned' }, data.length + 1)))).code).toBe('IncompleteBody');
    expect((await failure(collect(verifiedBody(from([data]), { kind: 'unsigned' }, data.length - 1)))).code).toBe('InvalidRequest');
  });

  it('accepts any body without a length (chunked transfer)', async () => {
    expectBytes(await collect(verifiedBody(from([data, data]), { kind: 'unsigned' }, undefined)), Buffer.concat([data, data]));
  });
});

describe('aws-chunked, signed', () => {
  it('decodes the AWS example and checks its signature chain', async () => {
    const body = awsChunkedBody(from([AWS_BODY]), signedPayload(), { contentLength: 66824, decodedContentLength: 66560 });
    expectBytes(await collect(body.chunks), AWS_DATA);
    expect(body.trailers.size).toBe(0);
  });

  it('matches our encoder (so the encoder is right for the other tests)', () => {
    expectBytes(encodeChunked(AWS_DATA, 65536, { signed: true }), AWS_BODY);
  });

  it('decodes identically however the stream is split', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: AWS_BODY.length }), { maxLength: 40 }), async (cuts) => {
        const body = awsChunkedBody(from(split(AWS_BODY, cuts)), signedPayload(), { decodedContentLength: 66560 });
        expectBytes(await collect(body.chunks), AWS_DATA);
      }),
      { numRuns: 200 },
    );
  });

  it('decodes byte by byte', async () => {
    const small = encodeChunked(Buffer.from('hello, chunked world'), 7, { signed: true });
    const bytes = [...small].map((b) => Buffer.from([b]));
    expect((await collect(awsChunkedBody(from(bytes), signedPayload()).chunks)).toString()).toBe('hello, chunked world');
  });

  it('rejects tampered data, a tampered signature, and a wrong seed', async () => {
    const data = Buffer.from(AWS_BODY);
    data[200] = 0x62;
    expect((await failure(collect(awsChunkedBody(from([data]), signedPayload()).chunks))).code).toBe('SignatureDoesNotMatch');
    const sig = Buffer.from(AWS_BODY.toString('latin1').replace(AWS_CHUNK_SIGNATURES[1]!, '0'.repeat(64)), 'latin1');
    expect((await failure(collect(awsChunkedBody(from([sig]), signedPayload()).chunks))).code).toBe('SignatureDoesNotMatch');
    const seed = signedPayload(false, '1'.repeat(64));
    expect((await failure(collect(awsChunkedBody(from([AWS_BODY]), seed).chunks))).code).toBe('SignatureDoesNotMatch');
  });

  it('never releases all the data of a chunk whose signature fails', async () => {
    const data = Buffer.from(AWS_BODY);
    data[AWS_BODY.length - 200] = 0x62; // in the second (last) data chunk
    const seen: Buffer[] = [];
    const read = (async () => {
      for await (const c of awsChunkedBody(from(split(data, [100, 70000])), signedPayload()).chunks) seen.push(c);
    })();
    expect((await failure(read)).code).toBe('SignatureDoesNotMatch');
    expect(Buffer.concat(seen).length).toBeLessThan(65536 + 1024);
  });

  it('rejects a truncated body, extra bytes, a missing signature, lengths that disagree', async () => {
    const read = (body: Buffer, lengths = {}) => failure(collect(awsChunkedBody(from([body]), signedPayload(), lengths).chunks));
    expect((await read(AWS_BODY.subarray(0, 66000))).code).toBe('IncompleteBody');
    expect((await read(AWS_BODY.subarray(0, AWS_BODY.length - 40))).code).toBe('IncompleteBody');
    expect((await read(Buffer.concat([AWS_BODY, Buffer.from('x')]))).code).toBe('InvalidRequest');
    expect((await read(Buffer.from('400\r\n'))).code).toBe('InvalidRequest');
    expect((await read(AWS_BODY, { decodedContentLength: 66561 })).code).toBe('IncompleteBody');
    expect((await read(AWS_BODY, { decodedContentLength: 1000 })).code).toBe('InvalidRequest');
    expect((await read(AWS_BODY, { contentLength: 66825 })).code).toBe('IncompleteBody');
  });

  it('bounds the chunk header line', async () => {
    const long = Buffer.from(`10;${'x'.repeat(10_000)}`);
    const e = await failure(collect(awsChunkedBody(from(split(long, [100, 5000])), signedPayload()).chunks));
    expect(e.message).toMatch(/too long/);
  });

  it('checks a signed trailer and exposes it', async () => {
    const data = Buffer.alloc(100_000, 'z');
    const encoded = encodeChunked(data, 65536, { signed: true, trailers: [['x-amz-checksum-crc32c', 'sOO8/Q==']] });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: encoded.length }), { maxLength: 20 }), async (cuts) => {
        const body = awsChunkedBody(from(split(encoded, cuts)), signedPayload(true), { decodedContentLength: data.length });
        expectBytes(await collect(body.chunks), data);
        expect([...body.trailers]).toEqual([['x-amz-checksum-crc32c', 'sOO8/Q==']]);
      }),
      { numRuns: 100 },
    );
    const forged = Buffer.from(encoded.toString('latin1').replace('sOO8/Q==', 'AAAAAA=='), 'latin1');
    expect((await failure(collect(awsChunkedBody(from([forged]), signedPayload(true)).chunks))).code).toBe('SignatureDoesNotMatch');
    const withoutTrailer = encodeChunked(data, 65536, { signed: true });
    const e = await failure(collect(awsChunkedBody(from([withoutTrailer]), signedPayload(true)).chunks));
    expect(e.message).toMatch(/x-amz-trailer-signature/);
  });
});

describe('aws-chunked, unsigned with trailer', () => {
  const payload: Payload = { kind: 'streaming-unsigned-trailer' };

  it('decodes what the AWS SDK for JavaScript sends, however split', async () => {
    const data = Buffer.alloc(70000, 'a');
    const encoded = Buffer.concat([
      Buffer.from('11170\r\n'),
      data,
      Buffer.from('\r\n0\r\nx-amz-checksum-crc32:EiniBA==\r\n\r\n'),
    ]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: encoded.length }), { maxLength: 30 }), async (cuts) => {
        const body = requestBody(from(split(encoded, cuts)), payload, { 'x-amz-decoded-content-length': '70000' });
        expectBytes(await collect(body.chunks), data);
        expect(body.trailers.get('x-amz-checksum-crc32')).toBe('EiniBA==');
      }),
      { numRuns: 200 },
    );
  });

  it('tolerates a bare \\n after the trailer value and a missing final blank line', async () => {
    for (const tail of ['x-amz-checksum-sha1:abc=\n\r\n\r\n', 'x-amz-checksum-sha1:abc=\r\n']) {
      const encoded = Buffer.from(`3\r\nabc\r\n0\r\n${tail}`);
      for (const cuts of [[], [14], [15], [16], [17]]) {
        const body = awsChunkedBody(from(split(encoded, cuts)), payload);
        expect((await collect(body.chunks)).toString()).toBe('abc');
        expect(body.trailers.get('x-amz-checksum-sha1')).toBe('abc=');
      }
    }
  });

  it('rejects malformed framing', async () => {
    for (const text of ['3\r\nabcd\r\n0\r\n\r\n', 'zz\r\nabc\r\n0\r\n\r\n', '3\nabc\r\n0\r\n\r\n', '3\r\nabc\r\n0\r\nno-colon\r\n\r\n']) {
      const e = await failure(collect(awsChunkedBody(from([Buffer.from(text)]), payload).chunks));
      expect(e.code).toBe('InvalidRequest');
    }
  });
});

describe('reading from a real connection', () => {
  it('turns a client that leaves mid-body into IncompleteBody, without hanging', async () => {
    let outcome: Promise<unknown> | undefined;
    const server = http.createServer((req) => {
      outcome = collect(requestBody(req, { kind: 'unsigned' }, req.headers).chunks);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const socket = net.connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write('PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n' + 'x'.repeat(50));
      await expect.poll(() => outcome !== undefined).toBe(true);
      socket.destroy();
      expect((await failure(outcome!)).code).toBe('IncompleteBody');
    } finally {
      server.close();
    }
  });
});
