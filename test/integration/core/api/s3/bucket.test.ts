import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetBucketAclCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutObjectCommand,
  DeleteObjectCommand,
  CreateMultipartUploadCommand,
  AbortMultipartUploadCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, startS3, type S3Harness } from './harness.js';
import { codeOf } from './sdk.js';

describe('S3 buckets', () => {
  let h: S3Harness;
  beforeAll(async () => {
    h = await startS3();
  });
  afterAll(async () => {
    await h.close();
  });

  it('lists the buckets the key may use', async () => {
    const r = await h.client.send(new ListBucketsCommand({}));
    expect(r.Buckets?.map((b) => b.Name)).toEqual([h.bucket]);
    expect(r.Buckets?.[0]?.CreationDate).toBeInstanceOf(Date);
    expect(r.Owner?.ID).toBe(h.key.id);
  });

  it('creates a bucket under a global alias with every right for the key, idempotently', async () => {
    await h.client.send(new CreateBucketCommand({ Bucket: 'fresh-bucket' }));
    await h.client.send(new CreateBucketCommand({ Bucket: 'fresh-bucket' }));
    await h.client.send(new CreateBucketCommand({ Bucket: 'located', CreateBucketConfiguration: { LocationConstraint: 'garage' as never } }));
    const info = await h.model.getBucket('fresh-bucket');
    expect(info?.globalAliases).toEqual(['fresh-bucket']);
    expect(info?.keys).toEqual([{ id: h.key.id, name: 'test key', read: true, write: true, owner: true }]);
    const names = (await h.client.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
    expect(names).toEqual(['fresh-bucket', 'located', h.bucket].sort());
    await h.client.send(new HeadBucketCommand({ Bucket: 'fresh-bucket' }));
  });

  it('refuses invalid names, foreign names, wrong regions and keys without the create flag', async () => {
    const buckets = (await h.model.listBuckets()).length;
    for (const name of ['ab', 'UPPER', 'under_score', '-dash', 'a..b', '192.168.1.1', 'x'.repeat(64)]) {
      const r = await h.raw({ method: 'PUT', bucket: name });
      expect(errorCode(r.body)).toBe('InvalidBucketName');
    }
    expect(await codeOf(h.client.send(new CreateBucketCommand({ Bucket: 'elsewhere', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })))).toBe(
      'InvalidLocationConstraint',
    );
    const other = await h.model.createKey('other');
    const client = h.newClient({ accessKeyId: other.id, secretAccessKey: other.secretKey });
    expect(await codeOf(client.send(new CreateBucketCommand({ Bucket: 'not-allowed' })))).toBe('AccessDenied');
    await h.model.setKeyAllowCreateBucket(other.id, true);
    expect(await codeOf(client.send(new CreateBucketCommand({ Bucket: h.bucket })))).toBe('BucketAlreadyExists');
    await client.send(new CreateBucketCommand({ Bucket: 'others-bucket' }));
    expect((await h.model.listBuckets()).length).toBe(buckets + 1);
    expect((await h.raw({ method: 'HEAD', bucket: 'others-bucket' })).status).toBe(403);
    expect((await h.raw({ method: 'HEAD', bucket: 'no-such-bucket' })).status).toBe(404);
    expect(errorCode((await h.raw({ method: 'GET', bucket: 'others-bucket' })).body)).toBe('AccessDenied');
    expect(errorCode((await h.raw({ method: 'GET', bucket: 'no-such-bucket' })).body)).toBe('NoSuchBucket');
  });

  it('answers GetBucketLocation, GetBucketVersioning and a synthesised GetBucketAcl', async () => {
    expect((await h.client.send(new GetBucketLocationCommand({ Bucket: h.bucket }))).LocationConstraint).toBe('garage');
    const v = await h.client.send(new GetBucketVersioningCommand({ Bucket: h.bucket }));
    expect(v.Status).toBeUndefined();
    const acl = await h.client.send(new GetBucketAclCommand({ Bucket: h.bucket }));
    expect(acl.Grants?.map((g) => g.Permission)).toEqual(['FULL_CONTROL']);
    expect(acl.Grants?.[0]?.Grantee?.ID).toBe(h.key.id);
    const reader = await h.model.createKey('reader');
    await h.model.allowKey(h.bucketId, reader.id, { read: true });
    const readerAcl = await h.newClient({ accessKeyId: reader.id, secretAccessKey: reader.secretKey }).send(new GetBucketAclCommand({ Bucket: h.bucket }));
    expect(readerAcl.Grants?.map((g) => g.Permission)).toEqual(['READ', 'READ_ACP']);
  });

  it('deletes only empty buckets (objects and unfinished uploads count), and needs owner rights', async () => {
    await h.client.send(new CreateBucketCommand({ Bucket: 'doomed' }));
    await h.client.send(new PutObjectCommand({ Bucket: 'doomed', Key: 'x', Body: 'x' }));
    expect(await codeOf(h.client.send(new DeleteBucketCommand({ Bucket: 'doomed' })))).toBe('BucketNotEmpty');
    await h.client.send(new DeleteObjectCommand({ Bucket: 'doomed', Key: 'x' }));
    const mpu = await h.client.send(new CreateMultipartUploadCommand({ Bucket: 'doomed', Key: 'up' }));
    expect(await codeOf(h.client.send(new DeleteBucketCommand({ Bucket: 'doomed' })))).toBe('BucketNotEmpty');
    await h.client.send(new AbortMultipartUploadCommand({ Bucket: 'doomed', Key: 'up', UploadId: mpu.UploadId }));

    const writer = await h.model.createKey('writer');
    const info = (await h.model.getBucket('doomed'))!;
    await h.model.allowKey(info.id, writer.id, { read: true, write: true });
    const wclient = h.newClient({ accessKeyId: writer.id, secretAccessKey: writer.secretKey });
    expect(await codeOf(wclient.send(new DeleteBucketCommand({ Bucket: 'doomed' })))).toBe('AccessDenied');

    await h.client.send(new DeleteBucketCommand({ Bucket: 'doomed' }));
    expect(await h.model.getBucket('doomed')).toBeUndefined();
    expect(await h.model.getBucket(info.id)).toBeUndefined();
    expect((await h.raw({ method: 'HEAD', bucket: 'doomed' })).status).toBe(404);
    expect((await h.model.getKey(writer.id))!.buckets).toEqual([]);
    // The name is free again.
    await h.client.send(new CreateBucketCommand({ Bucket: 'doomed' }));
    expect((await h.model.getBucket('doomed'))!.id).not.toBe(info.id);
  });
});
