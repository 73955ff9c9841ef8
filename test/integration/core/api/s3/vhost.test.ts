import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, startS3, type S3Harness } from './harness.js';

describe('S3 virtual-host-style requests', () => {
  let h: S3Harness;
  beforeAll(async () => {
    h = await startS3({ toml: { s3_api: { root_domain: 's3.example.test' } } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('takes the bucket from the Host header under the root domain, and still serves path style', async () => {
    const vhost = `${h.bucket}.s3.example.test:1234`;
    const put = await h.raw({ method: 'PUT', vhost, key: 'dir/a b.txt', body: 'via vhost' });
    expect(put.status).toBe(200);
    const got = await h.raw({ method: 'GET', vhost, key: 'dir/a b.txt' });
    expect(got.body.toString()).toBe('via vhost');
    const list = await h.raw({ method: 'GET', vhost, query: { 'list-type': '2' } });
    expect(list.body.toString()).toContain('<Key>dir/a b.txt</Key>');
    const pathStyle = await h.raw({ method: 'GET', bucket: h.bucket, key: 'dir/a b.txt' });
    expect(pathStyle.body.toString()).toBe('via vhost');
    const rootHost = await h.raw({ method: 'GET', vhost: 's3.example.test', key: `${h.bucket}/dir/a b.txt` });
    expect(rootHost.body.toString()).toBe('via vhost');
    const unknown = await h.raw({ method: 'GET', vhost: 'other.s3.example.test', key: 'x' });
    expect(errorCode(unknown.body)).toBe('NoSuchBucket');
  });
});
