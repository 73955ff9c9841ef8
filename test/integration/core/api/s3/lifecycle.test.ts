/**
 * Bucket lifecycle: the configuration through the SDK (Garage's rule kinds; the others
 * answered 501), then the worker with an injected clock: objects that look old are
 * expired, the others stay, old incomplete multipart uploads are aborted.
 */
import {
  CreateMultipartUploadCommand,
  DeleteBucketLifecycleCommand,
  GetBucketLifecycleConfigurationCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  type LifecycleRule,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../../../../core/model/lifecycle.js';
import { LifecycleWorker } from '../../../../../core/model/lifecycle-worker.js';
import { createLogger } from '../../../../../core/util/log.js';
import { errorCode, startS3, type S3Harness } from './harness.js';
import { codeOf, pattern } from './sdk.js';

describe('S3 bucket lifecycle', () => {
  let h: S3Harness;
  beforeAll(async () => {
    h = await startS3();
  });
  afterAll(async () => {
    await h.close();
  });

  const putRules = (Bucket: string, Rules: LifecycleRule[]) => h.client.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules } }));
  const putXml = (rule: string) =>
    h.raw({ method: 'PUT', bucket: h.bucket, query: { lifecycle: '' }, body: `<LifecycleConfiguration><Rule>${rule}</Rule></LifecycleConfiguration>` });
  const worker = (offsetMs: number) => new LifecycleWorker({ lifecycle: h.model.lifecycle, db: h.db, logger: createLogger('silent'), now: () => Date.now() + offsetMs });

  async function bucketNamed(name: string): Promise<void> {
    const info = await h.model.createBucket(name);
    await h.model.allowKey(info.id, h.key.id, { read: true, write: true, owner: true });
  }
  const keysOf = async (Bucket: string) => ((await h.client.send(new ListObjectsV2Command({ Bucket }))).Contents ?? []).map((o) => o.Key!).sort();

  it('stores Garage-supported rules and gives them back; deleting them leaves none', async () => {
    expect(await codeOf(h.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: h.bucket })))).toBe('NoSuchLifecycleConfiguration');
    await putRules(h.bucket, [
      { ID: 'logs', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 30 } },
      { ID: 'big', Status: 'Disabled', Filter: { And: { Prefix: 'tmp/', ObjectSizeGreaterThan: 1000, ObjectSizeLessThan: 5000 } }, Expiration: { Date: new Date('2031-01-01T00:00:00Z') } },
      { ID: 'mpu', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
    ]);
    const got = await h.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: h.bucket }));
    expect(got.Rules).toEqual([
      { ID: 'logs', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 30 } },
      { ID: 'big', Status: 'Disabled', Filter: { And: { Prefix: 'tmp/', ObjectSizeGreaterThan: 1000, ObjectSizeLessThan: 5000 } }, Expiration: { Date: new Date('2031-01-01T00:00:00Z') } },
      { ID: 'mpu', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
    ]);
    await h.client.send(new DeleteBucketLifecycleCommand({ Bucket: h.bucket }));
    expect(await codeOf(h.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: h.bucket })))).toBe('NoSuchLifecycleConfiguration');
  });

  it('answers rule kinds Garage does not support with 501 and a clear message, and bad rules with 400', async () => {
    for (const [rule, element] of [
      ['<Status>Enabled</Status><Filter/><Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition>', 'Transition'],
      ['<Status>Enabled</Status><Filter/><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>', 'NoncurrentVersionExpiration'],
      ['<Status>Enabled</Status><Filter><Tag><Key>a</Key><Value>b</Value></Tag></Filter><Expiration><Days>1</Days></Expiration>', 'Tag'],
      ['<Status>Enabled</Status><Filter/><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>', 'ExpiredObjectDeleteMarker'],
    ]) {
      const r = await putXml(rule);
      expect(r.status, rule).toBe(501);
      expect(errorCode(r.body)).toBe('NotImplemented');
      expect(r.body.toString()).toContain(`Lifecycle ${element} is not supported; the supported ones are Expiration`);
    }
    for (const [rule, code] of [
      ['<Status>Enabled</Status><Expiration><Days>0</Days></Expiration>', 'InvalidArgument'],
      ['<Status>On</Status><Expiration><Days>1</Days></Expiration>', 'MalformedXML'],
      ['<Status>Enabled</Status><Filter/>', 'InvalidArgument'],
      ['<Status>Enabled</Status><Filter><Prefix>a</Prefix><ObjectSizeLessThan>5</ObjectSizeLessThan></Filter><Expiration><Days>1</Days></Expiration>', 'MalformedXML'],
      ['<Status>Enabled</Status><Expiration><Date>2030-01-01T12:00:00Z</Date></Expiration>', 'InvalidArgument'],
    ]) {
      expect(errorCode((await putXml(rule!)).body), rule).toBe(code);
    }
  });

  it('expires objects made to look old, by prefix and size, keeps the others, and aborts old multipart uploads', async () => {
    await bucketNamed('lifecycle-run');
    const put = (Key: string, size: number) => h.client.send(new PutObjectCommand({ Bucket: 'lifecycle-run', Key, Body: pattern(size) }));
    await put('logs/small', 10);
    await put('logs/big', 5000);
    await put('logs/big-2', 200_000);
    await put('keep/big', 5000);
    await put('old/one', 1);
    const upload = (Key: string) => h.client.send(new CreateMultipartUploadCommand({ Bucket: 'lifecycle-run', Key }));
    await upload('logs/unfinished');
    await upload('keep/unfinished');
    await putRules('lifecycle-run', [
      { ID: 'old logs', Status: 'Enabled', Filter: { And: { Prefix: 'logs/', ObjectSizeGreaterThan: 100 } }, Expiration: { Days: 2 } },
      { ID: 'dated', Status: 'Enabled', Filter: { Prefix: 'old/' }, Expiration: { Date: new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS) } },
      { ID: 'uploads', Status: 'Enabled', Filter: { Prefix: 'logs/' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
      { ID: 'disabled', Status: 'Disabled', Filter: { Prefix: 'keep/' }, Expiration: { Days: 1 } },
    ]);

    // Today only the dated rule is due: days count from the midnight after creation.
    expect(await worker(0).runNow()).toEqual({ objectsExpired: 1, uploadsAborted: 0 });
    expect(await worker(DAY_MS).runNow()).toEqual({ objectsExpired: 0, uploadsAborted: 0 });
    const later = worker(3 * DAY_MS);
    expect(await later.runNow()).toEqual({ objectsExpired: 2, uploadsAborted: 1 });
    expect(later.lastCompleted()).toBe(new Date(Date.now() + 3 * DAY_MS).toISOString().slice(0, 10));

    expect(await keysOf('lifecycle-run')).toEqual(['keep/big', 'logs/small']);
    expect(await codeOf(h.client.send(new HeadObjectCommand({ Bucket: 'lifecycle-run', Key: 'logs/big' })))).toBe('NotFound');
    const uploads = await h.client.send(new ListMultipartUploadsCommand({ Bucket: 'lifecycle-run' }));
    expect(uploads.Uploads?.map((u) => u.Key)).toEqual(['keep/unfinished']);
    const info = (await h.model.getBucket('lifecycle-run'))!;
    expect([info.objects, info.bytes, info.unfinishedUploads]).toEqual([2n, 5010n, 1n]);
    expect(await later.runNow()).toEqual({ objectsExpired: 0, uploadsAborted: 0 });
  });

  it('runs a pass at start when none completed today, then waits for midnight', async () => {
    const w = worker(10 * DAY_MS);
    const day = new Date(Date.now() + 10 * DAY_MS).toISOString().slice(0, 10);
    w.start();
    for (let i = 0; i < 100 && w.lastCompleted() !== day; i++) await new Promise((r) => setTimeout(r, 20));
    await w.stop();
    expect(w.lastCompleted()).toBe(day);
  });
});
