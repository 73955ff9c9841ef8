/**
 * Bucket quotas through the SDK: concurrent PUTs into a bucket with room for fewer
 * (every path: inline, one block, streamed blocks), copies and multipart completions
 * beyond the quota; a refused write changes nothing and the counters stay exact.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3, type S3Harness } from './harness.js';
import { codeOf, pattern } from './sdk.js';

const MiB = 1024 * 1024;

describe('S3 bucket quotas', () => {
  let h: S3Harness;
  beforeAll(async () => {
    h = await startS3();
  });
  afterAll(async () => {
    await h.close();
  });

  /** A fresh bucket the harness key owns, with these quotas. */
  async function bucketWith(name: string, maxObjects: number | null, maxSize: number | null): Promise<string> {
    const info = await h.model.createBucket(name);
    await h.model.allowKey(info.id, h.key.id, { read: true, write: true, owner: true });
    await h.model.updateBucket(info.id, { quotas: { maxObjects: maxObjects === null ? null : BigInt(maxObjects), maxSize: maxSize === null ? null : BigInt(maxSize) } });
    return info.id;
  }

  const usage = async (bucketId: string) => {
    const b = (await h.model.getBucket(bucketId))!;
    return { objects: Number(b.objects), bytes: Number(b.bytes), unfinishedUploads: Number(b.unfinishedUploads) };
  };
  const keysOf = async (bucket: string) => ((await h.client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!).sort();

  /** Sends every PUT at once; returns the keys that succeeded and the error codes of the others. */
  async function racePuts(bucket: string, count: number, size: number): Promise<{ ok: string[]; errors: string[] }> {
    const results = await Promise.allSettled(
      Array.from({ length: count }, (_, i) => h.client.send(new PutObjectCommand({ Bucket: bucket, Key: `obj-${String(i).padStart(2, '0')}`, Body: pattern(size, i + 1) }))),
    );
    const ok: string[] = [];
    const errors: string[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') ok.push(`obj-${String(i).padStart(2, '0')}`);
      else {
        expect(r.reason).toBeInstanceOf(S3ServiceException);
        expect((r.reason as S3ServiceException).$metadata.httpStatusCode).toBe(403);
        errors.push((r.reason as S3ServiceException).name);
      }
    });
    return { ok: ok.sort(), errors };
  }

  it('20 concurrent small PUTs into room for 10 objects: exactly 10 succeed, the others get QuotaExceeded', async () => {
    const id = await bucketWith('quota-objects', 10, null);
    const { ok, errors } = await racePuts('quota-objects', 20, 100);
    expect(ok).toHaveLength(10);
    expect(errors).toEqual(Array(10).fill('QuotaExceeded'));
    expect(await keysOf('quota-objects')).toEqual(ok);
    expect(await usage(id)).toEqual({ objects: 10, bytes: 1000, unfinishedUploads: 0 });
  });

  it.each([
    ['one-block objects', 'quota-bytes-block', 100 * 1024, 1],
    ['streamed multi-block objects', 'quota-bytes-stream', 2 * MiB + 7, 3],
  ])('20 concurrent PUTs of %s into room for 10 by size: exactly 10 succeed, the refused blocks are collected', async (_what, bucket, size, blocksPerObject) => {
    const id = await bucketWith(bucket, null, 10 * size + Math.floor(size / 2));
    const { ok, errors } = await racePuts(bucket, 20, size);
    expect(ok).toHaveLength(10);
    expect(errors).toEqual(Array(10).fill('QuotaExceeded'));
    expect(await keysOf(bucket)).toEqual(ok);
    expect(await usage(id)).toEqual({ objects: 10, bytes: 10 * size, unfinishedUploads: 0 });
    expect(await h.blocks.collectGarbage(Date.now() + h.config.blockGcDelayMs)).toBe(10 * blocksPerObject);
  });

  it('lets an overwrite or a deletion through at the limit, and refuses growth', async () => {
    const id = await bucketWith('quota-edit', 2, 1000);
    await h.client.send(new PutObjectCommand({ Bucket: 'quota-edit', Key: 'a', Body: pattern(400) }));
    await h.client.send(new PutObjectCommand({ Bucket: 'quota-edit', Key: 'b', Body: pattern(400) }));
    expect(await codeOf(h.client.send(new PutObjectCommand({ Bucket: 'quota-edit', Key: 'c', Body: 'x' })))).toBe('QuotaExceeded');
    expect(await codeOf(h.client.send(new PutObjectCommand({ Bucket: 'quota-edit', Key: 'a', Body: pattern(700) })))).toBe('QuotaExceeded');
    await h.client.send(new PutObjectCommand({ Bucket: 'quota-edit', Key: 'a', Body: pattern(600) })); // 1000 bytes exactly
    expect((await h.client.send(new HeadObjectCommand({ Bucket: 'quota-edit', Key: 'a' }))).ContentLength).toBe(600);
    await h.client.send(new DeleteObjectCommand({ Bucket: 'quota-edit', Key: 'b' }));
    await h.client.send(new PutObjectCommand({ Bucket: 'quota-edit', Key: 'c', Body: pattern(400) }));
    expect(await usage(id)).toEqual({ objects: 2, bytes: 1000, unfinishedUploads: 0 });
  });

  it('refuses a copy beyond the quota and leaves the target as it was', async () => {
    await bucketWith('quota-copy', 1, null);
    await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'copy-source', Body: pattern(5000) }));
    await h.client.send(new PutObjectCommand({ Bucket: 'quota-copy', Key: 'only', Body: 'x' }));
    const copy = (key: string) => h.client.send(new CopyObjectCommand({ Bucket: 'quota-copy', Key: key, CopySource: `${h.bucket}/copy-source` }));
    expect(await codeOf(copy('second'))).toBe('QuotaExceeded');
    expect(await keysOf('quota-copy')).toEqual(['only']);
    await copy('only'); // replacing the one object is no growth in number
    expect((await h.client.send(new HeadObjectCommand({ Bucket: 'quota-copy', Key: 'only' }))).ContentLength).toBe(5000);
  });

  it('refuses a multipart completion beyond the quota; the upload stays and completes once the quota allows', async () => {
    const id = await bucketWith('quota-mpu', null, 6 * MiB);
    const { UploadId } = await h.client.send(new CreateMultipartUploadCommand({ Bucket: 'quota-mpu', Key: 'big' }));
    const parts: { PartNumber: number; ETag: string | undefined }[] = [];
    for (const n of [1, 2]) {
      const { ETag } = await h.client.send(new UploadPartCommand({ Bucket: 'quota-mpu', Key: 'big', UploadId, PartNumber: n, Body: pattern(5 * MiB, n) }));
      parts.push({ PartNumber: n, ETag });
    }
    const complete = () => h.client.send(new CompleteMultipartUploadCommand({ Bucket: 'quota-mpu', Key: 'big', UploadId, MultipartUpload: { Parts: parts } }));
    expect(await codeOf(complete())).toBe('QuotaExceeded');
    expect(await keysOf('quota-mpu')).toEqual([]);
    expect((await h.client.send(new ListMultipartUploadsCommand({ Bucket: 'quota-mpu' }))).Uploads?.map((u) => u.UploadId)).toEqual([UploadId]);
    await h.model.updateBucket(id, { quotas: { maxObjects: null, maxSize: null } });
    await complete();
    expect(await usage(id)).toEqual({ objects: 1, bytes: 10 * MiB, unfinishedUploads: 0 });
  });
});
