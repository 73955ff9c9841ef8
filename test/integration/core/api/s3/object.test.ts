import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, startS3, type S3Harness } from './harness.js';
import { codeOf, pattern } from './sdk.js';

describe('S3 objects', () => {
  let h: S3Harness;
  beforeAll(async () => {
    h = await startS3();
  });
  afterAll(async () => {
    await h.close();
  });

  const get = async (key: string, extra: Partial<ConstructorParameters<typeof GetObjectCommand>[0]> = {}) => {
    const r = await h.client.send(new GetObjectCommand({ Bucket: h.bucket, Key: key, ...extra }));
    return { ...r, data: Buffer.from(await r.Body!.transformToByteArray()) };
  };

  it('stores inline, single-block and multi-block objects and returns them byte for byte', async () => {
    for (const size of [0, 1, 3071, 3072, 100_000, 1024 * 1024, 1024 * 1024 + 1, 3 * 1024 * 1024 + 17]) {
      const body = pattern(size, size);
      const put = await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: `sizes/${size}`, Body: body }));
      expect(put.ETag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
      const got = await get(`sizes/${size}`);
      expect(got.ContentLength).toBe(size);
      expect(got.data.equals(body)).toBe(true);
      expect(got.ETag).toBe(put.ETag);
    }
    const info = await h.model.getBucket(h.bucketId);
    expect(info!.objects).toBe(8n);
  });

  it('stores and returns metadata and standard headers, user metadata lower-cased', async () => {
    const expires = new Date('2030-01-02T03:04:05Z');
    await h.client.send(
      new PutObjectCommand({
        Bucket: h.bucket,
        Key: 'meta',
        Body: 'x',
        ContentType: 'text/plain; charset=utf-8',
        CacheControl: 'max-age=60',
        ContentDisposition: 'attachment; filename="a.txt"',
        ContentEncoding: 'identity',
        ContentLanguage: 'fr',
        Expires: expires,
        WebsiteRedirectLocation: '/other',
        Metadata: { Color: 'blue', 'my-key': 'v1' },
      }),
    );
    const head = await h.client.send(new HeadObjectCommand({ Bucket: h.bucket, Key: 'meta' }));
    expect(head.ContentType).toBe('text/plain; charset=utf-8');
    expect(head.CacheControl).toBe('max-age=60');
    expect(head.ContentDisposition).toBe('attachment; filename="a.txt"');
    expect(head.ContentEncoding).toBe('identity');
    expect(head.ContentLanguage).toBe('fr');
    expect(head.Expires?.toISOString()).toBe(expires.toISOString());
    expect(head.WebsiteRedirectLocation).toBe('/other');
    expect(head.Metadata).toEqual({ color: 'blue', 'my-key': 'v1' });
    expect(head.ContentLength).toBe(1);
    expect(head.LastModified).toBeInstanceOf(Date);
    expect(head.AcceptRanges).toBe('bytes');
    const overridden = await get('meta', { ResponseContentType: 'application/json', ResponseCacheControl: 'no-cache', ResponseContentDisposition: 'inline' });
    expect(overridden.ContentType).toBe('application/json');
    expect(overridden.CacheControl).toBe('no-cache');
    expect(overridden.ContentDisposition).toBe('inline');
    const raw = await h.raw({ method: 'GET', bucket: h.bucket, key: 'meta' });
    expect(raw.headers['x-amz-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(raw.headers['etag']).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it('serves ranges (within and across blocks, suffix, open-ended) and refuses unsatisfiable ones', async () => {
    const body = pattern(2 * 1024 * 1024 + 100, 9);
    await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'ranged', Body: body }));
    for (const [range, start, end] of [
      ['bytes=0-0', 0, 1],
      ['bytes=10-99', 10, 100],
      ['bytes=1048570-1048600', 1048570, 1048601],
      ['bytes=-50', body.length - 50, body.length],
      ['bytes=2097000-', 2097000, body.length],
      ['bytes=100-99999999', 100, body.length],
    ] as const) {
      const r = await get('ranged', { Range: range });
      expect(r.data.equals(body.subarray(start, end))).toBe(true);
      expect(r.ContentRange).toBe(`bytes ${start}-${end - 1}/${body.length}`);
    }
    const bad = await h.raw({ method: 'GET', bucket: h.bucket, key: 'ranged', headers: { range: `bytes=${body.length}-` } });
    expect(bad.status).toBe(416);
    expect(errorCode(bad.body)).toBe('InvalidRange');
    expect(bad.headers['content-range']).toBe(`bytes */${body.length}`);
  });

  it('answers conditional GETs: If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since', async () => {
    const put = await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'cond', Body: 'conditional' }));
    const etag = put.ETag!;
    const past = new Date(Date.now() - 3600_000);
    const future = new Date(Date.now() + 3600_000);
    expect((await get('cond', { IfMatch: etag })).data.toString()).toBe('conditional');
    expect(await codeOf(get('cond', { IfMatch: '"0123"' }))).toBe('PreconditionFailed');
    expect(await codeOf(get('cond', { IfUnmodifiedSince: past }))).toBe('PreconditionFailed');
    expect((await get('cond', { IfUnmodifiedSince: future })).data.toString()).toBe('conditional');
    const notModified = await h.raw({ method: 'GET', bucket: h.bucket, key: 'cond', headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers['etag']).toBe(etag);
    expect((await h.raw({ method: 'GET', bucket: h.bucket, key: 'cond', headers: { 'if-modified-since': future.toUTCString() } })).status).toBe(304);
    expect((await h.raw({ method: 'GET', bucket: h.bucket, key: 'cond', headers: { 'if-modified-since': past.toUTCString() } })).status).toBe(200);
    // If-Match true wins over If-Unmodified-Since false (RFC 7232 order, as S3 does).
    expect((await get('cond', { IfMatch: etag, IfUnmodifiedSince: past })).data.toString()).toBe('conditional');
  });

  it('verifies Content-MD5 and x-amz-checksum-*, stores the checksum and returns it in checksum mode', async () => {
    const body = Buffer.from('checksummed body');
    const md5 = createHash('md5').update(body).digest('base64');
    await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'md5', Body: body, ContentMD5: md5 }));
    const bad = await h.raw({ method: 'PUT', bucket: h.bucket, key: 'md5-bad', body, headers: { 'content-md5': createHash('md5').update('other').digest('base64') } });
    expect(bad.status).toBe(400);
    expect(errorCode(bad.body)).toBe('BadDigest');
    expect(await h.model.objects.head(Buffer.from(h.bucketId, 'hex'), 'md5-bad')).toBeUndefined();

    const sha = createHash('sha256').update(body).digest('base64');
    const put = await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'sha', Body: body, ChecksumSHA256: sha }));
    expect(put.ChecksumSHA256).toBe(sha);
    const withMode = await get('sha', { ChecksumMode: 'ENABLED' });
    expect(withMode.ChecksumSHA256).toBe(sha);
    const badSha = await h.raw({ method: 'PUT', bucket: h.bucket, key: 'sha-bad', body, headers: { 'x-amz-checksum-sha256': createHash('sha256').update('x').digest('base64') } });
    expect(errorCode(badSha.body)).toBe('BadDigest');
    // The SDK's default (CRC32 in an aws-chunked trailer) on a multi-block body.
    const big = pattern(2 * 1024 * 1024 + 3, 4);
    const crc = await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'crc', Body: big, ChecksumAlgorithm: 'CRC32' }));
    expect(crc.ChecksumCRC32).toBeDefined();
    const gotCrc = await get('crc', { ChecksumMode: 'ENABLED' });
    expect(gotCrc.ChecksumCRC32).toBe(crc.ChecksumCRC32);
    expect(gotCrc.data.equals(big)).toBe(true);
  });

  it('rejects a bad digest on a multi-block body without leaving an object or an upload behind', async () => {
    const body = pattern(3 * 1024 * 1024, 5);
    const before = await h.model.getBucket(h.bucketId);
    const bad = await h.raw({ method: 'PUT', bucket: h.bucket, key: 'big-bad', body, headers: { 'content-md5': createHash('md5').update('nope').digest('base64') } });
    expect(errorCode(bad.body)).toBe('BadDigest');
    const after = await h.model.getBucket(h.bucketId);
    expect(after!.objects).toBe(before!.objects);
    expect(after!.bytes).toBe(before!.bytes);
    expect(after!.unfinishedUploads).toBe(0n);
    expect(await codeOf(get('big-bad'))).toBe('NoSuchKey');
  });

  it('overwrites, deletes (204 even when missing) and keeps the counters exact', async () => {
    const bucketId = Buffer.from(h.bucketId, 'hex');
    const before = await h.model.getBucket(h.bucketId);
    await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'ow', Body: pattern(2_000_000, 1) }));
    await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'ow', Body: 'short' }));
    expect((await get('ow')).data.toString()).toBe('short');
    let info = await h.model.getBucket(h.bucketId);
    expect(info!.objects - before!.objects).toBe(1n);
    expect(info!.bytes - before!.bytes).toBe(5n);
    await h.client.send(new DeleteObjectCommand({ Bucket: h.bucket, Key: 'ow' }));
    await h.client.send(new DeleteObjectCommand({ Bucket: h.bucket, Key: 'never-existed' }));
    const raw = await h.raw({ method: 'DELETE', bucket: h.bucket, key: 'never-existed-2' });
    expect(raw.status).toBe(204);
    expect(await codeOf(get('ow'))).toBe('NoSuchKey');
    expect(await h.model.objects.head(bucketId, 'ow')).toBeUndefined();
    info = await h.model.getBucket(h.bucketId);
    expect(info!.objects).toBe(before!.objects);
    expect(info!.bytes).toBe(before!.bytes);
  });

  it('releases the blocks of overwritten and deleted objects (refcounts reach zero)', async () => {
    const body = pattern(1_500_000, 77);
    const hashes = [createHash('sha256').update(body.subarray(0, 1024 * 1024)).digest(), createHash('sha256').update(body.subarray(1024 * 1024)).digest()];
    await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'rc', Body: body }));
    expect(hashes.map((x) => h.blocks.refCount(x))).toEqual([1, 1]);
    await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'rc2', Body: body }));
    expect(hashes.map((x) => h.blocks.refCount(x))).toEqual([2, 2]);
    await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'rc', Body: 'tiny' }));
    await h.client.send(new DeleteObjectCommand({ Bucket: h.bucket, Key: 'rc2' }));
    expect(hashes.map((x) => h.blocks.refCount(x))).toEqual([0, 0]);
    expect(await h.blocks.collectGarbage(Date.now() + h.config.blockGcDelayMs + 1)).toBeGreaterThanOrEqual(2);
  });

  it('GET with partNumber on a simple object: part 1 is the whole object', async () => {
    await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'simple-part', Body: 'abcdef' }));
    const r = await get('simple-part', { PartNumber: 1 });
    expect(r.data.toString()).toBe('abcdef');
    expect(r.PartsCount).toBeUndefined();
    expect(await codeOf(get('simple-part', { PartNumber: 2 }))).toBe('InvalidRange');
  });

  it('refuses keys over 1024 bytes with KeyTooLongError, and finds nothing under them', async () => {
    const key = 'k'.repeat(1025);
    expect(await codeOf(h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: key, Body: 'x' })))).toBe('KeyTooLongError');
    expect(await codeOf(get(key))).toBe('NoSuchKey');
    const ok = 'é'.repeat(512);
    await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: ok, Body: 'fits' }));
    expect((await get(ok)).data.toString()).toBe('fits');
  });

  it('keeps odd keys intact (spaces, +, %, unicode, slashes, leading slash)', async () => {
    for (const key of ['a b', 'a+b', '100%', 'ünï/cødé', 'dir//double', '/leading', 'x?y=z&w', '~tilde*']) {
      await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: key, Body: key }));
      expect((await get(key)).data.toString()).toBe(key);
    }
  });
});
