import { GetObjectCommand, PutObjectCommand, ListObjectsV2Command, DeleteObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, startS3, type S3Harness } from './harness.js';
import { codeOf } from './sdk.js';

describe('S3 authentication and permissions', () => {
  let h: S3Harness;
  beforeAll(async () => {
    h = await startS3();
    await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'existing', Body: 'secret data' }));
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses a bad signature, an unknown key and anonymous requests, changing nothing', async () => {
    const before = await h.model.getBucket(h.bucketId);
    const badSig = await h.raw({ method: 'PUT', bucket: h.bucket, key: 'intruder', body: 'x', credentials: { accessKeyId: h.key.id, secretAccessKey: '0'.repeat(64) } });
    expect(badSig.status).toBe(403);
    expect(errorCode(badSig.body)).toBe('SignatureDoesNotMatch');
    const unknown = await h.raw({ method: 'PUT', bucket: h.bucket, key: 'intruder', body: 'x', credentials: { accessKeyId: 'GK000000000000000000000000', secretAccessKey: '0'.repeat(64) } });
    expect(unknown.status).toBe(403);
    expect(errorCode(unknown.body)).toBe('InvalidAccessKeyId');
    const anonymous = await h.raw({ method: 'GET', bucket: h.bucket, key: 'existing', credentials: null });
    expect(anonymous.status).toBe(403);
    expect(errorCode(anonymous.body)).toBe('AccessDenied');
    const anonPut = await h.raw({ method: 'PUT', bucket: h.bucket, key: 'intruder', body: 'x', credentials: null });
    expect(errorCode(anonPut.body)).toBe('AccessDenied');
    expect(await h.model.objects.head(Buffer.from(h.bucketId, 'hex'), 'intruder')).toBeUndefined();
    expect(await h.model.getBucket(h.bucketId)).toEqual(before);
  });

  it('refuses a deleted key', async () => {
    const k = await h.model.createKey('short-lived');
    await h.model.allowKey(h.bucketId, k.id, { read: true });
    const client = h.newClient({ accessKeyId: k.id, secretAccessKey: k.secretKey });
    await client.send(new GetObjectCommand({ Bucket: h.bucket, Key: 'existing' }));
    await h.model.deleteKey(k.id);
    expect(await codeOf(client.send(new GetObjectCommand({ Bucket: h.bucket, Key: 'existing' })))).toBe('InvalidAccessKeyId');
  });

  it('enforces read, write and owner rights per key', async () => {
    const reader = await h.model.createKey('reader');
    await h.model.allowKey(h.bucketId, reader.id, { read: true });
    const r = h.newClient({ accessKeyId: reader.id, secretAccessKey: reader.secretKey });
    expect(await (await r.send(new GetObjectCommand({ Bucket: h.bucket, Key: 'existing' }))).Body!.transformToString()).toBe('secret data');
    await r.send(new ListObjectsV2Command({ Bucket: h.bucket }));
    expect(await codeOf(r.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'by-reader', Body: 'x' })))).toBe('AccessDenied');
    expect(await codeOf(r.send(new DeleteObjectCommand({ Bucket: h.bucket, Key: 'existing' })))).toBe('AccessDenied');

    const writer = await h.model.createKey('writer');
    await h.model.allowKey(h.bucketId, writer.id, { write: true });
    const w = h.newClient({ accessKeyId: writer.id, secretAccessKey: writer.secretKey });
    await w.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'by-writer', Body: 'x' }));
    expect(await codeOf(w.send(new GetObjectCommand({ Bucket: h.bucket, Key: 'existing' })))).toBe('AccessDenied');
    expect(await codeOf(w.send(new ListObjectsV2Command({ Bucket: h.bucket })))).toBe('AccessDenied');

    await h.model.denyKey(h.bucketId, reader.id, { read: true });
    expect(await codeOf(r.send(new GetObjectCommand({ Bucket: h.bucket, Key: 'existing' })))).toBe('AccessDenied');
    const none = await h.model.createKey('none');
    const n = h.newClient({ accessKeyId: none.id, secretAccessKey: none.secretKey });
    expect(await codeOf(n.send(new GetObjectCommand({ Bucket: h.bucket, Key: 'existing' })))).toBe('AccessDenied');
  });

  it('serves presigned GET and PUT URLs, and refuses tampered or expired ones', async () => {
    // As against AWS, a presigned PUT must not carry the SDK's default checksum (that of an empty body).
    const presigner = h.newClient(undefined, { requestChecksumCalculation: 'WHEN_REQUIRED' });
    const putUrl = await getSignedUrl(presigner, new PutObjectCommand({ Bucket: h.bucket, Key: 'presigned', ContentType: 'text/plain' }), { expiresIn: 300 });
    const put = await fetch(putUrl, { method: 'PUT', body: 'via presigned url', headers: { 'content-type': 'text/plain' } });
    expect(put.status).toBe(200);
    const getUrl = await getSignedUrl(h.client, new GetObjectCommand({ Bucket: h.bucket, Key: 'presigned' }), { expiresIn: 300 });
    const got = await fetch(getUrl);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe('via presigned url');
    expect(got.headers.get('content-type')).toBe('text/plain');

    const tampered = await fetch(getUrl.replace('presigned', 'existing'));
    expect(tampered.status).toBe(403);
    expect(errorCode(Buffer.from(await tampered.arrayBuffer()))).toBe('SignatureDoesNotMatch');
    const past = await getSignedUrl(h.client, new GetObjectCommand({ Bucket: h.bucket, Key: 'presigned' }), { expiresIn: 1, signingDate: new Date(Date.now() - 60_000) });
    const expired = await fetch(past);
    expect(expired.status).toBe(403);
    expect(errorCode(Buffer.from(await expired.arrayBuffer()))).toBe('AccessDenied');
  });

  it('answers operations it does not implement with 501 NotImplemented XML', async () => {
    for (const [method, key, query] of [
      ['GET', undefined, { policy: '' }],
      ['PUT', undefined, { versioning: '' }],
      ['GET', undefined, { logging: '' }],
      ['PUT', 'existing', { tagging: '' }],
      ['GET', 'existing', { acl: '' }],
      ['POST', 'existing', { restore: '' }],
    ] as const) {
      const r = await h.raw({ method, bucket: h.bucket, ...(key ? { key } : {}), query: { ...query } });
      expect(r.status).toBe(501);
      expect(errorCode(r.body)).toBe('NotImplemented');
    }
  });
});
