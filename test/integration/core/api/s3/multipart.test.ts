import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, startS3, type S3Harness } from './harness.js';
import { codeOf, pattern } from './sdk.js';

const MiB = 1024 * 1024;
const md5 = (b: Buffer) => createHash('md5').update(b).digest();

describe('S3 multipart uploads', () => {
  let h: S3Harness;
  beforeAll(async () => {
    h = await startS3();
  });
  afterAll(async () => {
    await h.close();
  });

  const create = async (key: string, extra: Record<string, unknown> = {}) =>
    (await h.client.send(new CreateMultipartUploadCommand({ Bucket: h.bucket, Key: key, ...extra }))).UploadId!;
  const part = async (key: string, uploadId: string, n: number, body: Buffer) =>
    (await h.client.send(new UploadPartCommand({ Bucket: h.bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: body }))).ETag!;
  const read = async (key: string, extra: Record<string, unknown> = {}) => {
    const r = await h.client.send(new GetObjectCommand({ Bucket: h.bucket, Key: key, ...extra }));
    return { ...r, data: Buffer.from(await r.Body!.transformToByteArray()) };
  };

  it('uploads parts (retried, out of order, skipped) and completes them renumbered, ETag = md5(md5s)-n', async () => {
    const uploadId = await create('mpu', { ContentType: 'video/mp4', Metadata: { origin: 'test' } });
    expect(uploadId).toMatch(/^[0-9a-f]{64}$/);
    const p1 = pattern(5 * MiB + 3, 1);
    const p3 = pattern(2 * MiB, 3);
    const p5 = pattern(1000, 5);
    await part('mpu', uploadId, 3, pattern(10, 99)); // replaced by the retry below
    const e3 = await part('mpu', uploadId, 3, p3);
    const e1 = await part('mpu', uploadId, 1, p1);
    const e5 = await part('mpu', uploadId, 5, p5);
    await part('mpu', uploadId, 4, pattern(100, 4)); // uploaded, not used
    expect(e1).toBe(`"${md5(p1).toString('hex')}"`);

    const parts = await h.client.send(new ListPartsCommand({ Bucket: h.bucket, Key: 'mpu', UploadId: uploadId }));
    expect(parts.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size])).toEqual([
      [1, e1, p1.length],
      [3, e3, p3.length],
      [4, parts.Parts?.[2]?.ETag, 100],
      [5, e5, p5.length],
    ]);
    const paged = await h.client.send(new ListPartsCommand({ Bucket: h.bucket, Key: 'mpu', UploadId: uploadId, MaxParts: 2, PartNumberMarker: '1' }));
    expect(paged.Parts?.map((p) => p.PartNumber)).toEqual([3, 4]);
    expect(paged.IsTruncated).toBe(true);
    expect(paged.NextPartNumberMarker).toBe('4');
    expect((await h.model.getBucket(h.bucketId))!.unfinishedUploads).toBe(1n);

    const done = await h.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: h.bucket,
        Key: 'mpu',
        UploadId: uploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1 }, { PartNumber: 3, ETag: e3 }, { PartNumber: 5, ETag: e5 }] },
      }),
    );
    const expectedEtag = `"${md5(Buffer.concat([md5(p1), md5(p3), md5(p5)])).toString('hex')}-3"`;
    expect(done.ETag).toBe(expectedEtag);
    const whole = Buffer.concat([p1, p3, p5]);
    const got = await read('mpu');
    expect(got.data.equals(whole)).toBe(true);
    expect(got.ETag).toBe(expectedEtag);
    expect(got.ContentType).toBe('video/mp4');
    expect(got.Metadata).toEqual({ origin: 'test' });
    // partNumber reads the renumbered parts.
    const second = await read('mpu', { PartNumber: 2 });
    expect(second.data.equals(p3)).toBe(true);
    expect(second.PartsCount).toBe(3);
    expect(second.ContentRange).toBe(`bytes ${p1.length}-${p1.length + p3.length - 1}/${whole.length}`);
    const head = await h.client.send(new HeadObjectCommand({ Bucket: h.bucket, Key: 'mpu', PartNumber: 3 }));
    expect(head.ContentLength).toBe(p5.length);
    const ranged = await read('mpu', { Range: `bytes=${5 * MiB}-${5 * MiB + 10}` });
    expect(ranged.data.equals(whole.subarray(5 * MiB, 5 * MiB + 11))).toBe(true);

    const info = await h.model.getBucket(h.bucketId);
    expect(info!.unfinishedUploads).toBe(0n);
    expect(await codeOf(h.client.send(new ListPartsCommand({ Bucket: h.bucket, Key: 'mpu', UploadId: uploadId })))).toBe('NoSuchUpload');
    // The unused part's block and the replaced part's block are released; the used ones are kept once.
    expect(h.blocks.refCount(createHash('sha256').update(pattern(100, 4)).digest())).toBe(0);
    expect(h.blocks.refCount(createHash('sha256').update(pattern(10, 99)).digest())).toBe(0);
    expect(h.blocks.refCount(createHash('sha256').update(p5).digest())).toBe(1);
  });

  it('refuses bad completions without changing anything', async () => {
    const uploadId = await create('bad');
    const e1 = await part('bad', uploadId, 1, pattern(100, 1));
    const e2 = await part('bad', uploadId, 2, pattern(100, 2));
    const complete = (parts: { PartNumber: number; ETag: string }[]) =>
      h.client.send(new CompleteMultipartUploadCommand({ Bucket: h.bucket, Key: 'bad', UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    expect(await codeOf(complete([{ PartNumber: 1, ETag: e2 }]))).toBe('InvalidPart');
    expect(await codeOf(complete([{ PartNumber: 7, ETag: e1 }]))).toBe('InvalidPart');
    expect(await codeOf(complete([{ PartNumber: 2, ETag: e2 }, { PartNumber: 1, ETag: e1 }]))).toBe('InvalidPartOrder');
    expect(await codeOf(complete([{ PartNumber: 1, ETag: e1 }, { PartNumber: 1, ETag: e1 }]))).toBe('InvalidPartOrder');
    const empty = await h.raw({ method: 'POST', bucket: h.bucket, key: 'bad', query: { uploadId }, body: '<CompleteMultipartUpload></CompleteMultipartUpload>' });
    expect(errorCode(empty.body)).toBe('EntityTooSmall');
    for (const body of ['<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>', '<Other/>', '<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>']) {
      const r = await h.raw({ method: 'POST', bucket: h.bucket, key: 'bad', query: { uploadId }, body });
      expect(r.status).toBe(400);
      expect(errorCode(r.body)).toBe('MalformedXML');
    }
    expect(await codeOf(read('bad'))).toBe('NoSuchKey');
    const parts = await h.client.send(new ListPartsCommand({ Bucket: h.bucket, Key: 'bad', UploadId: uploadId }));
    expect(parts.Parts?.map((p) => p.PartNumber)).toEqual([1, 2]);
    expect(await codeOf(h.client.send(new UploadPartCommand({ Bucket: h.bucket, Key: 'bad', UploadId: uploadId, PartNumber: 10001, Body: 'x' })))).toBe('InvalidArgument');
    expect(await codeOf(h.client.send(new UploadPartCommand({ Bucket: h.bucket, Key: 'other-key', UploadId: uploadId, PartNumber: 1, Body: 'x' })))).toBe('NoSuchUpload');
    expect(await codeOf(h.client.send(new UploadPartCommand({ Bucket: h.bucket, Key: 'bad', UploadId: 'f'.repeat(64), PartNumber: 1, Body: 'x' })))).toBe('NoSuchUpload');
  });

  it('aborts an upload, releasing its parts', async () => {
    const uploadId = await create('aborted');
    const body = pattern(1500, 42);
    await part('aborted', uploadId, 1, body);
    const hash = createHash('sha256').update(body).digest();
    expect(h.blocks.refCount(hash)).toBe(1);
    await h.client.send(new AbortMultipartUploadCommand({ Bucket: h.bucket, Key: 'aborted', UploadId: uploadId }));
    expect(h.blocks.refCount(hash)).toBe(0);
    expect(await codeOf(h.client.send(new AbortMultipartUploadCommand({ Bucket: h.bucket, Key: 'aborted', UploadId: uploadId })))).toBe('NoSuchUpload');
    expect(await codeOf(part('aborted', uploadId, 2, body))).toBe('NoSuchUpload');
    expect(await codeOf(read('aborted'))).toBe('NoSuchKey');
  });

  it('lists uploads by key and start time, with prefix, delimiter and markers', async () => {
    const h2 = await startS3({ bucket: 'uploads' });
    try {
      const ids: Record<string, string> = {};
      for (const key of ['x/1', 'x/2', 'y', 'y', 'z/a/b']) ids[`${key}#${Object.keys(ids).length}`] = (await h2.client.send(new CreateMultipartUploadCommand({ Bucket: 'uploads', Key: key }))).UploadId!;
      const all = await h2.client.send(new ListMultipartUploadsCommand({ Bucket: 'uploads' }));
      expect(all.Uploads?.map((u) => u.Key)).toEqual(['x/1', 'x/2', 'y', 'y', 'z/a/b']);
      expect(all.Uploads?.[2]?.UploadId).toBe(ids['y#2']);
      expect(all.Uploads?.[0]?.Initiated).toBeInstanceOf(Date);
      const grouped = await h2.client.send(new ListMultipartUploadsCommand({ Bucket: 'uploads', Delimiter: '/' }));
      expect(grouped.Uploads?.map((u) => u.Key)).toEqual(['y', 'y']);
      expect(grouped.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['x/', 'z/']);
      const page = await h2.client.send(new ListMultipartUploadsCommand({ Bucket: 'uploads', MaxUploads: 3 }));
      expect(page.IsTruncated).toBe(true);
      expect([page.NextKeyMarker, page.NextUploadIdMarker]).toEqual(['y', ids['y#2']]);
      const rest = await h2.client.send(new ListMultipartUploadsCommand({ Bucket: 'uploads', KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker }));
      expect(rest.Uploads?.map((u) => u.UploadId)).toEqual([ids['y#3'], ids['z/a/b#4']]);
      const prefixed = await h2.client.send(new ListMultipartUploadsCommand({ Bucket: 'uploads', Prefix: 'x/' }));
      expect(prefixed.Uploads?.map((u) => u.Key)).toEqual(['x/1', 'x/2']);
    } finally {
      await h2.close();
    }
  });

  it('copies parts from objects, whole or by range, reusing whole blocks', async () => {
    const source = pattern(3 * MiB + 500, 11);
    await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'copy-src', Body: source }));
    await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'copy-small', Body: 'small source' }));
    const uploadId = await create('assembled');
    const c1 = await h.client.send(new UploadPartCopyCommand({ Bucket: h.bucket, Key: 'assembled', UploadId: uploadId, PartNumber: 1, CopySource: `${h.bucket}/copy-src` }));
    const c2 = await h.client.send(
      new UploadPartCopyCommand({ Bucket: h.bucket, Key: 'assembled', UploadId: uploadId, PartNumber: 2, CopySource: `${h.bucket}/copy-src`, CopySourceRange: 'bytes=1000-2098175' }),
    );
    const c3 = await h.client.send(new UploadPartCopyCommand({ Bucket: h.bucket, Key: 'assembled', UploadId: uploadId, PartNumber: 3, CopySource: `/${h.bucket}/copy-small` }));
    expect(c1.CopyPartResult?.ETag).toBe(`"${md5(source).toString('hex')}"`);
    expect(c2.CopyPartResult?.ETag).toBe(`"${md5(source.subarray(1000, 2098176)).toString('hex')}"`);
    const firstBlock = createHash('sha256').update(source.subarray(0, MiB)).digest();
    expect(h.blocks.refCount(firstBlock)).toBe(2); // the source and the copied part share it
    const badRange = await h.raw({
      method: 'PUT',
      bucket: h.bucket,
      key: 'assembled',
      query: { uploadId, partNumber: '4' },
      headers: { 'x-amz-copy-source': `${h.bucket}/copy-small`, 'x-amz-copy-source-range': 'bytes=0-1000' },
    });
    expect(errorCode(badRange.body)).toBe('InvalidRange');
    await h.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: h.bucket,
        Key: 'assembled',
        UploadId: uploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: c1.CopyPartResult!.ETag },
            { PartNumber: 2, ETag: c2.CopyPartResult!.ETag },
            { PartNumber: 3, ETag: c3.CopyPartResult!.ETag },
          ],
        },
      }),
    );
    const got = await read('assembled');
    expect(got.data.equals(Buffer.concat([source, source.subarray(1000, 2098176), Buffer.from('small source')]))).toBe(true);
  });

  it('keeps composite checksums of parts when the upload asks for an algorithm', async () => {
    const uploadId = await create('checked', { ChecksumAlgorithm: 'SHA256' });
    const p1 = pattern(2000, 1);
    const p2 = pattern(3000, 2);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('base64');
    const r1 = await h.client.send(new UploadPartCommand({ Bucket: h.bucket, Key: 'checked', UploadId: uploadId, PartNumber: 1, Body: p1, ChecksumSHA256: sha(p1) }));
    const r2 = await h.client.send(new UploadPartCommand({ Bucket: h.bucket, Key: 'checked', UploadId: uploadId, PartNumber: 2, Body: p2, ChecksumSHA256: sha(p2) }));
    expect(r1.ChecksumSHA256).toBe(sha(p1));
    const done = await h.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: h.bucket,
        Key: 'checked',
        UploadId: uploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: r1.ETag, ChecksumSHA256: r1.ChecksumSHA256 }, { PartNumber: 2, ETag: r2.ETag, ChecksumSHA256: r2.ChecksumSHA256 }] },
      }),
    );
    const composite = `${createHash('sha256').update(Buffer.concat([Buffer.from(sha(p1), 'base64'), Buffer.from(sha(p2), 'base64')])).digest('base64')}-2`;
    expect(done.ChecksumSHA256).toBe(composite);
    expect((await read('checked', { ChecksumMode: 'ENABLED' })).ChecksumSHA256).toBe(composite);
  });

  it('completes an upload of one empty part as an empty object', async () => {
    const uploadId = await create('empty-mpu');
    const e = await part('empty-mpu', uploadId, 1, Buffer.alloc(0));
    await h.client.send(new CompleteMultipartUploadCommand({ Bucket: h.bucket, Key: 'empty-mpu', UploadId: uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e }] } }));
    const got = await read('empty-mpu');
    expect(got.data.length).toBe(0);
    expect(got.ETag).toMatch(/-1"$/);
  });
});
