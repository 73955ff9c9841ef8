import { createHash } from 'node:crypto';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, startS3, type S3Harness } from './harness.js';

describe('S3 DeleteObjects', () => {
  let h: S3Harness;
  beforeAll(async () => {
    h = await startS3();
  });
  afterAll(async () => {
    await h.close();
  });
  const keys = async () => ((await h.client.send(new ListObjectsV2Command({ Bucket: h.bucket }))).Contents ?? []).map((c) => c.Key);

  it('deletes many keys at once, verbose and quiet, missing keys included', async () => {
    for (const k of ['d1', 'd2', 'd3', 'd4']) await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: k, Body: k }));
    const verbose = await h.client.send(new DeleteObjectsCommand({ Bucket: h.bucket, Delete: { Objects: [{ Key: 'd1' }, { Key: 'd2' }, { Key: 'missing' }] } }));
    expect(verbose.Deleted?.map((d) => d.Key)).toEqual(['d1', 'd2', 'missing']);
    expect(verbose.Errors).toBeUndefined();
    expect(await keys()).toEqual(['d3', 'd4']);
    const quiet = await h.client.send(new DeleteObjectsCommand({ Bucket: h.bucket, Delete: { Quiet: true, Objects: [{ Key: 'd3' }, { Key: 'd4', VersionId: 'null' }, { Key: 'd5', VersionId: 'abc' }] } }));
    expect(quiet.Deleted).toBeUndefined();
    expect(quiet.Errors?.map((e) => [e.Key, e.Code])).toEqual([['d5', 'NoSuchVersion']]);
    expect(await keys()).toEqual([]);
    expect((await h.model.getBucket(h.bucketId))!.objects).toBe(0n);
  });

  it('requires Content-MD5 (or a checksum), checks it, and refuses malformed lists without deleting anything', async () => {
    await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'keep', Body: 'keep' }));
    const body = '<Delete><Object><Key>keep</Key></Object></Delete>';
    const md5 = (s: string) => createHash('md5').update(s).digest('base64');
    const missing = await h.raw({ method: 'POST', bucket: h.bucket, query: { delete: '' }, body });
    expect(missing.status).toBe(400);
    expect(errorCode(missing.body)).toBe('InvalidRequest');
    const wrong = await h.raw({ method: 'POST', bucket: h.bucket, query: { delete: '' }, body, headers: { 'content-md5': md5('other') } });
    expect(errorCode(wrong.body)).toBe('BadDigest');
    for (const bad of ['<Delete><Object><Key>keep</Key></Object>', '<Delete><Object><Nokey/></Object></Delete>', '<Delete></Delete>', '<NotDelete/>', `<Delete>${'<Object><Key>k</Key></Object>'.repeat(1001)}</Delete>`]) {
      const r = await h.raw({ method: 'POST', bucket: h.bucket, query: { delete: '' }, body: bad, headers: { 'content-md5': md5(bad) } });
      expect(r.status).toBe(400);
      expect(errorCode(r.body)).toBe('MalformedXML');
    }
    expect(await keys()).toEqual(['keep']);
    const ok = await h.raw({ method: 'POST', bucket: h.bucket, query: { delete: '' }, body, headers: { 'content-md5': md5(body) } });
    expect(ok.status).toBe(200);
    expect(ok.body.toString()).toContain('<Deleted><Key>keep</Key></Deleted>');
    expect(await keys()).toEqual([]);
  });
});
