import { createHash } from 'node:crypto';
import { CopyObjectCommand, CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, startS3, type S3Harness } from './harness.js';
import { codeOf, pattern } from './sdk.js';

describe('S3 CopyObject', () => {
  let h: S3Harness;
  const big = pattern(2 * 1024 * 1024 + 10, 3);
  beforeAll(async () => {
    h = await startS3();
    await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'src big', Body: big, ContentType: 'application/x-big', Metadata: { a: '1' } }));
    await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'small', Body: 'tiny source', ContentType: 'text/plain' }));
  });
  afterAll(async () => {
    await h.close();
  });
  const read = async (bucket: string, key: string) => {
    const r = await h.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { ...r, data: Buffer.from(await r.Body!.transformToByteArray()) };
  };

  it('copies metadata-only: same bytes, same ETag, new references to the same blocks', async () => {
    const r = await h.client.send(new CopyObjectCommand({ Bucket: h.bucket, Key: 'dst', CopySource: `${h.bucket}/${encodeURIComponent('src big')}` }));
    const got = await read(h.bucket, 'dst');
    expect(got.data.equals(big)).toBe(true);
    expect(r.CopyObjectResult?.ETag).toBe(got.ETag);
    expect(r.CopyObjectResult?.LastModified).toBeInstanceOf(Date);
    expect(got.ContentType).toBe('application/x-big');
    expect(got.Metadata).toEqual({ a: '1' });
    const first = createHash('sha256').update(big.subarray(0, 1024 * 1024)).digest();
    expect(h.blocks.refCount(first)).toBe(2);
    await h.client.send(new DeleteObjectCommand({ Bucket: h.bucket, Key: 'src big' }));
    expect(h.blocks.refCount(first)).toBe(1);
    expect((await read(h.bucket, 'dst')).data.equals(big)).toBe(true);
    await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'src big', Body: big, ContentType: 'application/x-big', Metadata: { a: '1' } }));
  });

  it('replaces metadata with REPLACE, keeps it with COPY, across buckets, with ?versionId=null', async () => {
    await h.client.send(new CreateBucketCommand({ Bucket: 'other-bucket' }));
    await h.client.send(
      new CopyObjectCommand({
        Bucket: 'other-bucket',
        Key: 'replaced',
        CopySource: `/${h.bucket}/small?versionId=null`,
        MetadataDirective: 'REPLACE',
        ContentType: 'text/markdown',
        Metadata: { b: '2' },
      }),
    );
    const got = await read('other-bucket', 'replaced');
    expect(got.data.toString()).toBe('tiny source');
    expect(got.ContentType).toBe('text/markdown');
    expect(got.Metadata).toEqual({ b: '2' });
    await h.client.send(new CopyObjectCommand({ Bucket: h.bucket, Key: 'small-copy', CopySource: `${h.bucket}/small`, Metadata: { ignored: 'yes' } }));
    const kept = await h.client.send(new HeadObjectCommand({ Bucket: h.bucket, Key: 'small-copy' }));
    expect(kept.ContentType).toBe('text/plain');
    expect(kept.Metadata).toEqual({});
    // In place with REPLACE changes metadata only.
    await h.client.send(new CopyObjectCommand({ Bucket: h.bucket, Key: 'small-copy', CopySource: `${h.bucket}/small-copy`, MetadataDirective: 'REPLACE', Metadata: { c: '3' } }));
    expect((await h.client.send(new HeadObjectCommand({ Bucket: h.bucket, Key: 'small-copy' }))).Metadata).toEqual({ c: '3' });
  });

  it('checks x-amz-copy-source-if-* preconditions', async () => {
    const etag = (await h.client.send(new HeadObjectCommand({ Bucket: h.bucket, Key: 'small' }))).ETag!;
    const copy = (extra: Record<string, unknown>) => h.client.send(new CopyObjectCommand({ Bucket: h.bucket, Key: 'cond-copy', CopySource: `${h.bucket}/small`, ...extra }));
    await copy({ CopySourceIfMatch: etag });
    expect(await codeOf(copy({ CopySourceIfMatch: '"nope"' }))).toBe('PreconditionFailed');
    expect(await codeOf(copy({ CopySourceIfNoneMatch: etag }))).toBe('PreconditionFailed');
    expect(await codeOf(copy({ CopySourceIfModifiedSince: new Date(Date.now() + 3600_000) }))).toBe('PreconditionFailed');
    expect(await codeOf(copy({ CopySourceIfUnmodifiedSince: new Date(Date.now() - 3600_000) }))).toBe('PreconditionFailed');
    await copy({ CopySourceIfUnmodifiedSince: new Date(Date.now() + 3600_000), CopySourceIfModifiedSince: new Date(Date.now() - 3600_000) });
  });

  it('refuses copying onto itself without REPLACE, a missing source, bad directives and bad version ids', async () => {
    expect(await codeOf(h.client.send(new CopyObjectCommand({ Bucket: h.bucket, Key: 'small', CopySource: `${h.bucket}/small` })))).toBe('InvalidRequest');
    expect(await codeOf(h.client.send(new CopyObjectCommand({ Bucket: h.bucket, Key: 'x', CopySource: `${h.bucket}/missing` })))).toBe('NoSuchKey');
    expect(await codeOf(h.client.send(new CopyObjectCommand({ Bucket: h.bucket, Key: 'x', CopySource: `no-such-bucket/small` })))).toBe('NoSuchBucket');
    const bad = await h.raw({ method: 'PUT', bucket: h.bucket, key: 'x', headers: { 'x-amz-copy-source': `${h.bucket}/small`, 'x-amz-metadata-directive': 'MERGE' } });
    expect(errorCode(bad.body)).toBe('InvalidArgument');
    const version = await h.raw({ method: 'PUT', bucket: h.bucket, key: 'x', headers: { 'x-amz-copy-source': `${h.bucket}/small?versionId=123` } });
    expect(errorCode(version.body)).toBe('InvalidArgument');
    expect(await h.model.objects.head(Buffer.from(h.bucketId, 'hex'), 'x')).toBeUndefined();
  });

  it('needs read rights on the source', async () => {
    const k = await h.model.createKey('dest-only');
    await h.model.setKeyAllowCreateBucket(k.id, true);
    const client = h.newClient({ accessKeyId: k.id, secretAccessKey: k.secretKey });
    await client.send(new CreateBucketCommand({ Bucket: 'dest-only' }));
    expect(await codeOf(client.send(new CopyObjectCommand({ Bucket: 'dest-only', Key: 'stolen', CopySource: `${h.bucket}/small` })))).toBe('AccessDenied');
  });
});
