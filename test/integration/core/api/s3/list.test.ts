import { ListObjectsCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutObjectCommand, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, startS3, type S3Harness } from './harness.js';

const KEYS = ['a', 'a/b', 'a/b/c', 'a/c', 'b', 'b/x', 'c/d/e', 'c/f', 'd--1', 'd--2--x', 'e e', 'z+1', 'é'];

describe('S3 listings', () => {
  let h: S3Harness;
  beforeAll(async () => {
    h = await startS3();
    for (const key of KEYS) await h.client.send(new PutObjectCommand({ Bucket: h.bucket, Key: key, Body: key }));
  });
  afterAll(async () => {
    await h.close();
  });

  /** Every page of a V2 listing, following continuation tokens. */
  async function allV2(params: { Prefix?: string; Delimiter?: string; MaxKeys?: number; StartAfter?: string }): Promise<{ keys: string[]; prefixes: string[]; pages: number }> {
    const keys: string[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    let pages = 0;
    for (;;) {
      const r: ListObjectsV2CommandOutput = await h.client.send(new ListObjectsV2Command({ Bucket: h.bucket, ...params, ContinuationToken: token }));
      pages++;
      keys.push(...(r.Contents ?? []).map((c) => c.Key!));
      prefixes.push(...(r.CommonPrefixes ?? []).map((p) => p.Prefix!));
      expect(r.KeyCount).toBe((r.Contents?.length ?? 0) + (r.CommonPrefixes?.length ?? 0));
      if (!r.IsTruncated) return { keys, prefixes, pages };
      token = r.NextContinuationToken;
      expect(token).toBeDefined();
    }
  }

  it('lists everything in UTF-8 byte order, with sizes, etags and dates', async () => {
    const r = await h.client.send(new ListObjectsV2Command({ Bucket: h.bucket }));
    expect(r.Contents?.map((c) => c.Key)).toEqual([...KEYS].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
    expect(r.Contents?.[0]).toMatchObject({ Key: 'a', Size: 1, StorageClass: 'STANDARD' });
    expect(r.Contents?.[0]?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(r.Contents?.[0]?.Owner).toBeUndefined();
    expect(r.IsTruncated).toBe(false);
    const owned = await h.client.send(new ListObjectsV2Command({ Bucket: h.bucket, FetchOwner: true, MaxKeys: 1 }));
    expect(owned.Contents?.[0]?.Owner?.ID).toBe(h.key.id);
  });

  it('pages with continuation tokens for every page size, with and without delimiter', async () => {
    const full = await allV2({});
    expect(full.keys).toHaveLength(KEYS.length);
    const grouped = await allV2({ Delimiter: '/' });
    expect(grouped.keys).toEqual(['a', 'b', 'd--1', 'd--2--x', 'e e', 'z+1', 'é']);
    expect(grouped.prefixes).toEqual(['a/', 'b/', 'c/']);
    for (let n = 1; n <= 5; n++) {
      expect((await allV2({ MaxKeys: n })).keys).toEqual(full.keys);
      const paged = await allV2({ Delimiter: '/', MaxKeys: n });
      expect(paged.keys).toEqual(grouped.keys);
      expect(paged.prefixes).toEqual(grouped.prefixes);
      expect(paged.pages).toBe(Math.ceil((grouped.keys.length + grouped.prefixes.length) / n));
    }
  });

  it('handles prefixes, multi-character delimiters and start-after', async () => {
    expect(await allV2({ Prefix: 'a/', Delimiter: '/' })).toMatchObject({ keys: ['a/b', 'a/c'], prefixes: ['a/b/'] });
    expect(await allV2({ Prefix: 'c', Delimiter: '/' })).toMatchObject({ keys: [], prefixes: ['c/'] });
    expect(await allV2({ Delimiter: '--' })).toMatchObject({ prefixes: ['d--'] });
    expect(await allV2({ Prefix: 'd--', Delimiter: '--' })).toMatchObject({ keys: ['d--1'], prefixes: ['d--2--'] });
    expect((await allV2({ StartAfter: 'b/x' })).keys).toEqual(['c/d/e', 'c/f', 'd--1', 'd--2--x', 'e e', 'z+1', 'é']);
    expect((await allV2({ Prefix: 'nothing' })).keys).toEqual([]);
  });

  it('pages V1 listings with Marker and NextMarker (NextMarker only with a delimiter)', async () => {
    const first = await h.client.send(new ListObjectsCommand({ Bucket: h.bucket, MaxKeys: 3 }));
    expect(first.Contents?.map((c) => c.Key)).toEqual(['a', 'a/b', 'a/b/c']);
    expect(first.IsTruncated).toBe(true);
    expect(first.NextMarker).toBeUndefined();
    expect(first.Contents?.[0]?.Owner?.ID).toBe(h.key.id);
    const second = await h.client.send(new ListObjectsCommand({ Bucket: h.bucket, MaxKeys: 3, Marker: 'a/b/c' }));
    expect(second.Contents?.map((c) => c.Key)).toEqual(['a/c', 'b', 'b/x']);

    const keys: string[] = [];
    const prefixes: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const r = await h.client.send(new ListObjectsCommand({ Bucket: h.bucket, Delimiter: '/', MaxKeys: 2, Marker: marker }));
      keys.push(...(r.Contents ?? []).map((c) => c.Key!));
      prefixes.push(...(r.CommonPrefixes ?? []).map((p) => p.Prefix!));
      if (!r.IsTruncated) break;
      expect(r.NextMarker).toBeDefined();
      marker = r.NextMarker;
    }
    expect(keys).toEqual(['a', 'b', 'd--1', 'd--2--x', 'e e', 'z+1', 'é']);
    expect(prefixes).toEqual(['a/', 'b/', 'c/']);
  });

  it('url-encodes keys and prefixes with encoding-type=url', async () => {
    const r = await h.raw({ method: 'GET', bucket: h.bucket, query: { 'list-type': '2', 'encoding-type': 'url', prefix: 'e e' } });
    expect(r.body.toString()).toContain('<Key>e%20e</Key>');
    expect(r.body.toString()).toContain('<Prefix>e%20e</Prefix>');
    expect(r.body.toString()).toContain('<EncodingType>url</EncodingType>');
    const plus = await h.raw({ method: 'GET', bucket: h.bucket, query: { 'encoding-type': 'url', prefix: 'z' } });
    expect(plus.body.toString()).toContain('<Key>z%2B1</Key>');
    const utf = await h.raw({ method: 'GET', bucket: h.bucket, query: { 'list-type': '2', 'encoding-type': 'url', prefix: 'é' } });
    expect(utf.body.toString()).toContain('<Key>%C3%A9</Key>');
    const bad = await h.raw({ method: 'GET', bucket: h.bucket, query: { 'list-type': '2', 'encoding-type': 'base64' } });
    expect(errorCode(bad.body)).toBe('InvalidArgument');
  });

  it('clamps max-keys to 1000 and refuses bad values and tokens', async () => {
    const r = await h.client.send(new ListObjectsV2Command({ Bucket: h.bucket, MaxKeys: 5000 }));
    expect(r.MaxKeys).toBe(1000);
    expect(errorCode((await h.raw({ method: 'GET', bucket: h.bucket, query: { 'list-type': '2', 'max-keys': 'ten' } })).body)).toBe('InvalidArgument');
    expect(errorCode((await h.raw({ method: 'GET', bucket: h.bucket, query: { 'list-type': '2', 'continuation-token': '!!' } })).body)).toBe('InvalidArgument');
  });

  it('lists current objects as versions "null", latest, with key markers', async () => {
    const r = await h.client.send(new ListObjectVersionsCommand({ Bucket: h.bucket, MaxKeys: 2 }));
    expect(r.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest])).toEqual([
      ['a', 'null', true],
      ['a/b', 'null', true],
    ]);
    expect(r.IsTruncated).toBe(true);
    expect(r.NextKeyMarker).toBe('a/b');
    expect(r.NextVersionIdMarker).toBe('null');
    const next = await h.client.send(new ListObjectVersionsCommand({ Bucket: h.bucket, MaxKeys: 2, KeyMarker: r.NextKeyMarker, VersionIdMarker: r.NextVersionIdMarker }));
    expect(next.Versions?.map((v) => v.Key)).toEqual(['a/b/c', 'a/c']);
    const grouped = await h.client.send(new ListObjectVersionsCommand({ Bucket: h.bucket, Delimiter: '/' }));
    expect(grouped.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'b/', 'c/']);
  });
});
