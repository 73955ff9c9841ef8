import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectPath, SigV4Signer } from '../../../../helpers/sigv4.js';
import { errorCode, REGION, startS3, type S3Harness } from './harness.js';
import { codeOf, pattern } from './sdk.js';

const MiB = 1024 * 1024;

describe('S3 bad input changes nothing', () => {
  let h: S3Harness;
  beforeAll(async () => {
    h = await startS3();
    await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'victim', Body: 'original' }));
  });
  afterAll(async () => {
    await h.close();
  });

  const state = async () => {
    const info = (await h.model.getBucket(h.bucketId))!;
    return { objects: info.objects, bytes: info.bytes, unfinishedUploads: info.unfinishedUploads };
  };
  const victim = async () => (await (await h.client.send(new GetObjectCommand({ Bucket: h.bucket, Key: 'victim' }))).Body!.transformToString());

  /** Sends `sent` bytes of a body announced as `announced` bytes long, then cuts the connection. */
  async function truncatedPut(key: string, announced: number, sent: Buffer): Promise<void> {
    const [host, port] = [h.host, Number(h.host.split(':')[1])];
    const { headers, pathWithQuery } = new SigV4Signer(h.key.id, h.key.secretKey, REGION).sign({
      method: 'PUT',
      path: objectPath(h.bucket, key),
      host,
      headers: { 'content-length': String(announced) },
      payloadHash: 'UNSIGNED-PAYLOAD',
    });
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path: pathWithQuery, headers });
      req.on('error', () => resolve());
      req.on('response', () => resolve());
      req.write(sent, () => setTimeout(() => req.destroy(), 50));
      req.on('close', () => resolve());
    });
  }

  /** Waits until the server has finished reacting to a cut connection. */
  async function settled(expected: Awaited<ReturnType<typeof state>>): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (JSON.stringify(await state(), (_, v) => (typeof v === 'bigint' ? v.toString() : v)) === JSON.stringify(expected, (_, v) => (typeof v === 'bigint' ? v.toString() : v))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('a body cut short (small or multi-block, new key or overwrite) leaves no visible object and no reference', async () => {
    const before = await state();
    const big = pattern(3 * MiB, 8);
    await truncatedPut('victim', 5 * MiB, big);
    await truncatedPut('cut-new', 5 * MiB, big);
    await truncatedPut('cut-small', 2000, big.subarray(0, 1000));
    await settled(before);
    expect(await state()).toEqual(before);
    expect(await victim()).toBe('original');
    expect(await codeOf(h.client.send(new GetObjectCommand({ Bucket: h.bucket, Key: 'cut-new' })))).toBe('NoSuchKey');
    expect(await codeOf(h.client.send(new GetObjectCommand({ Bucket: h.bucket, Key: 'cut-small' })))).toBe('NoSuchKey');
    for (let i = 0; i < 3; i++) expect(h.blocks.refCount(createHash('sha256').update(big.subarray(i * MiB, (i + 1) * MiB)).digest())).toBe(0);
  });

  it('a signed payload that does not match its x-amz-content-sha256 is refused', async () => {
    const before = await state();
    for (const body of [Buffer.from('short body'), pattern(2 * MiB + 5, 2)]) {
      const r = await h.raw({ method: 'PUT', bucket: h.bucket, key: 'victim', body, payloadHash: createHash('sha256').update('something else').digest('hex') });
      expect(r.status).toBe(400);
      expect(errorCode(r.body)).toBe('XAmzContentSHA256Mismatch');
    }
    expect(await state()).toEqual(before);
    expect(await victim()).toBe('original');
  });

  it('over-long keys, invalid bucket names, unknown buckets, unsatisfiable ranges and malformed XML', async () => {
    const before = await state();
    const long = await h.raw({ method: 'PUT', bucket: h.bucket, key: 'x'.repeat(1025), body: 'x' });
    expect(long.status).toBe(400);
    expect(errorCode(long.body)).toBe('KeyTooLongError');
    const mpu = await h.raw({ method: 'POST', bucket: h.bucket, key: 'y'.repeat(2000), query: { uploads: '' } });
    expect(errorCode(mpu.body)).toBe('KeyTooLongError');
    const invalid = await h.raw({ method: 'PUT', bucket: 'Invalid_Name' });
    expect(errorCode(invalid.body)).toBe('InvalidBucketName');
    const unknown = await h.raw({ method: 'PUT', bucket: 'no-such-bucket', key: 'k', body: 'x' });
    expect(unknown.status).toBe(404);
    expect(errorCode(unknown.body)).toBe('NoSuchBucket');
    const range = await h.raw({ method: 'GET', bucket: h.bucket, key: 'victim', headers: { range: 'bytes=100-200' } });
    expect(range.status).toBe(416);
    expect(errorCode(range.body)).toBe('InvalidRange');
    const xml = await h.raw({ method: 'POST', bucket: h.bucket, query: { delete: '' }, body: '<Delete><Object>', headers: { 'content-md5': createHash('md5').update('<Delete><Object>').digest('base64') } });
    expect(errorCode(xml.body)).toBe('MalformedXML');
    const dup = await h.raw({ method: 'GET', bucket: h.bucket, key: 'victim', query: { partNumber: 'x' } });
    expect(errorCode(dup.body)).toBe('InvalidArgument');
    expect(await state()).toEqual(before);
    expect(await victim()).toBe('original');
    expect((await h.model.listBuckets()).length).toBe(1);
  });
});
