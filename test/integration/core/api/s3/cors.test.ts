import { DeleteBucketCorsCommand, GetBucketCorsCommand, PutBucketCorsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, startS3, type S3Harness } from './harness.js';
import { codeOf } from './sdk.js';

describe('S3 CORS', () => {
  let h: S3Harness;
  beforeAll(async () => {
    h = await startS3();
    await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'page', Body: 'hi' }));
  });
  afterAll(async () => {
    await h.close();
  });
  const preflight = (headers: Record<string, string>, key = 'page') =>
    fetch(`${h.endpoint}/${h.bucket}/${key}`, { method: 'OPTIONS', headers });

  it('stores, returns and deletes a CORS configuration', async () => {
    expect(await codeOf(h.client.send(new GetBucketCorsCommand({ Bucket: h.bucket })))).toBe('NoSuchCORSConfiguration');
    await h.client.send(
      new PutBucketCorsCommand({
        Bucket: h.bucket,
        CORSConfiguration: {
          CORSRules: [
            { ID: 'web', AllowedOrigins: ['https://*.example.com'], AllowedMethods: ['GET', 'HEAD'], AllowedHeaders: ['x-custom-*', 'authorization'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600 },
            { AllowedOrigins: ['*'], AllowedMethods: ['PUT'] },
          ],
        },
      }),
    );
    const got = await h.client.send(new GetBucketCorsCommand({ Bucket: h.bucket }));
    expect(got.CORSRules).toEqual([
      { ID: 'web', AllowedOrigins: ['https://*.example.com'], AllowedMethods: ['GET', 'HEAD'], AllowedHeaders: ['x-custom-*', 'authorization'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600 },
      { AllowedOrigins: ['*'], AllowedMethods: ['PUT'] },
    ]);
  });

  it('answers preflights from the matching rule, and refuses others', async () => {
    const ok = await preflight({ origin: 'https://app.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'X-Custom-Thing, Authorization' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(ok.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
    expect(ok.headers.get('access-control-allow-headers')).toBe('X-Custom-Thing, Authorization');
    expect(ok.headers.get('access-control-max-age')).toBe('600');
    const star = await preflight({ origin: 'https://anything.test', 'access-control-request-method': 'PUT' });
    expect(star.headers.get('access-control-allow-origin')).toBe('*');
    for (const headers of [
      { origin: 'https://evil.test', 'access-control-request-method': 'GET' } as Record<string, string>,
      { origin: 'https://app.example.com', 'access-control-request-method': 'DELETE' },
      { origin: 'https://app.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-other' },
    ]) {
      const r = await preflight(headers);
      expect(r.status).toBe(403);
      expect(errorCode(Buffer.from(await r.arrayBuffer()))).toBe('AccessForbidden');
    }
    const noOrigin = await preflight({ 'access-control-request-method': 'GET' });
    expect(noOrigin.status).toBe(400);
  });

  it('adds CORS headers to actual requests from an allowed origin', async () => {
    const allowed = await h.raw({ method: 'GET', bucket: h.bucket, key: 'page', headers: { origin: 'https://app.example.com' } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(allowed.headers['access-control-expose-headers']).toBe('ETag');
    const other = await h.raw({ method: 'GET', bucket: h.bucket, key: 'page', headers: { origin: 'https://evil.test' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses invalid configurations and needs owner rights', async () => {
    const bad = '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>';
    const md5 = (await import('node:crypto')).createHash('md5').update(bad).digest('base64');
    const r = await h.raw({ method: 'PUT', bucket: h.bucket, query: { cors: '' }, body: bad, headers: { 'content-md5': md5 } });
    expect(errorCode(r.body)).toBe('InvalidRequest');
    const writer = await h.model.createKey('writer');
    await h.model.allowKey(h.bucketId, writer.id, { read: true, write: true });
    const w = h.newClient({ accessKeyId: writer.id, secretAccessKey: writer.secretKey });
    expect(await codeOf(w.send(new GetBucketCorsCommand({ Bucket: h.bucket })))).toBe('AccessDenied');
    expect(await codeOf(w.send(new DeleteBucketCorsCommand({ Bucket: h.bucket })))).toBe('AccessDenied');
    expect((await h.client.send(new GetBucketCorsCommand({ Bucket: h.bucket }))).CORSRules).toHaveLength(2);
  });

  it('deletes the configuration', async () => {
    await h.client.send(new DeleteBucketCorsCommand({ Bucket: h.bucket }));
    expect(await codeOf(h.client.send(new GetBucketCorsCommand({ Bucket: h.bucket })))).toBe('NoSuchCORSConfiguration');
    const r = await preflight({ origin: 'https://app.example.com', 'access-control-request-method': 'GET' });
    expect(r.status).toBe(403);
  });
});
