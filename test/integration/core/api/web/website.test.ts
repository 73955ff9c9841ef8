/**
 * The static website endpoint in process: website configuration through the S3 API
 * (Put/Get/DeleteBucketWebsite), then plain HTTP requests by Host: index documents,
 * directory redirects, error documents, ranges, conditional GETs, CORS, redirects
 * stored on objects, and 404 for buckets that serve no website.
 */
import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DeleteBucketWebsiteCommand,
  GetBucketWebsiteCommand,
  PutBucketCorsCommand,
  PutBucketWebsiteCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebServer } from '../../../../../core/api/web/server.js';
import { errorCode, startS3, type S3Harness } from '../s3/harness.js';
import { codeOf } from '../s3/sdk.js';

interface WebResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('static website endpoint', () => {
  let h: S3Harness;
  let web: Server;
  let port: number;
  const site = 'site-bucket';

  beforeAll(async () => {
    h = await startS3({ toml: { s3_web: { root_domain: '.web.test' } } });
    web = createWebServer(h.model, h.config);
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    port = (web.address() as AddressInfo).port;
    const info = await h.model.createBucket(site);
    await h.model.allowKey(info.id, h.key.id, { read: true, write: true, owner: true });
    const put = (Key: string, Body: string, extra: Record<string, unknown> = {}) =>
      h.client.send(new PutObjectCommand({ Bucket: site, Key, Body, ContentType: 'text/html', ...extra }));
    await put('index.html', '<h1>Home</h1>');
    await put('about/index.html', '<h1>About</h1>');
    await put('style.css', 'body { color: red }', { ContentType: 'text/css' });
    await put('404.html', '<h1>Not found</h1>');
    await put('old-page', '', { WebsiteRedirectLocation: '/about/' });
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      web.close(() => resolve());
      web.closeAllConnections();
    });
    await h.close();
  });

  function get(path: string, host = `${site}.web.test`, headers: Record<string, string> = {}, method = 'GET'): Promise<WebResponse> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, host } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  const enable = (errorDocument?: string) =>
    h.client.send(
      new PutBucketWebsiteCommand({
        Bucket: site,
        WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' }, ...(errorDocument ? { ErrorDocument: { Key: errorDocument } } : {}) },
      }),
    );

  it('serves nothing, and never a listing, until the website is enabled', async () => {
    for (const path of ['/', '/index.html', '/?list-type=2']) {
      const r = await get(path);
      expect(r.status).toBe(404);
      expect(r.body).not.toContain('index.html');
    }
    expect(await codeOf(h.client.send(new GetBucketWebsiteCommand({ Bucket: site })))).toBe('NoSuchWebsiteConfiguration');
    expect((await get('/', 'no-such-bucket.web.test')).status).toBe(404);
  });

  it('is configured with Put/Get/DeleteBucketWebsite; unsupported parts are 501', async () => {
    await enable('404.html');
    const config = await h.client.send(new GetBucketWebsiteCommand({ Bucket: site }));
    expect(config.IndexDocument?.Suffix).toBe('index.html');
    expect(config.ErrorDocument?.Key).toBe('404.html');
    const redirectAll = await h.raw({
      method: 'PUT',
      bucket: site,
      query: { website: '' },
      body: '<WebsiteConfiguration><RedirectAllRequestsTo><HostName>example.org</HostName></RedirectAllRequestsTo></WebsiteConfiguration>',
    });
    expect(redirectAll.status).toBe(501);
    expect(redirectAll.body.toString()).toContain('RedirectAllRequestsTo is not supported');
    const noIndex = await h.raw({ method: 'PUT', bucket: site, query: { website: '' }, body: '<WebsiteConfiguration></WebsiteConfiguration>' });
    expect(errorCode(noIndex.body)).toBe('InvalidArgument');
  });

  it('serves the index document, sub-pages, a redirect for a directory without slash, and the error document with 404', async () => {
    await enable('404.html');
    const home = await get('/');
    expect([home.status, home.body, home.headers['content-type']]).toEqual([200, '<h1>Home</h1>', 'text/html']);
    expect((await get('/about/')).body).toBe('<h1>About</h1>');
    expect((await get('/style.css')).headers['content-type']).toBe('text/css');
    const dir = await get('/about');
    expect([dir.status, dir.headers.location]).toEqual([302, '/about/']);
    const missing = await get('/nope.html');
    expect([missing.status, missing.body, missing.headers['content-type']]).toEqual([404, '<h1>Not found</h1>', 'text/html']);
    const head = await get('/nope.html', undefined, {}, 'HEAD');
    expect([head.status, head.body]).toEqual([404, '']);
    const moved = await get('/old-page');
    expect([moved.status, moved.headers.location]).toEqual([301, '/about/']);
  });

  it('finds the bucket by <bucket>.<root_domain> or by a global alias equal to the host, with any port', async () => {
    expect((await get('/', `${site}.WEB.test:8080`)).body).toBe('<h1>Home</h1>');
    expect((await get('/', site)).body).toBe('<h1>Home</h1>');
    expect((await get('/', `${h.bucket}.web.test`)).status).toBe(404); // exists, but no website
  });

  it('answers ranges and conditional GETs', async () => {
    const range = await get('/index.html', undefined, { range: 'bytes=4-7' });
    expect([range.status, range.body, range.headers['content-range']]).toEqual([206, 'Home', 'bytes 4-7/13']);
    const etag = (await get('/index.html')).headers.etag!;
    expect((await get('/index.html', undefined, { 'if-none-match': etag })).status).toBe(304);
    expect((await get('/index.html', undefined, { 'if-match': '"other"' })).status).toBe(412);
    const lastModified = (await get('/index.html')).headers['last-modified']!;
    expect((await get('/index.html', undefined, { 'if-modified-since': lastModified })).status).toBe(304);
  });

  it('applies the bucket CORS rules to pages and preflights; other methods are refused', async () => {
    await h.client.send(
      new PutBucketCorsCommand({ Bucket: site, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['https://app.example'], AllowedMethods: ['GET'], MaxAgeSeconds: 60 }] } }),
    );
    const page = await get('/', undefined, { origin: 'https://app.example' });
    expect(page.headers['access-control-allow-origin']).toBe('https://app.example');
    const preflight = await get('/', undefined, { origin: 'https://app.example', 'access-control-request-method': 'GET' }, 'OPTIONS');
    expect([preflight.status, preflight.headers['access-control-max-age']]).toEqual([200, '60']);
    const refused = await get('/', undefined, { origin: 'https://evil.example', 'access-control-request-method': 'GET' }, 'OPTIONS');
    expect(refused.status).toBe(403);
    expect((await get('/', undefined, {}, 'DELETE')).status).toBe(405);
  });

  it('stops serving once DeleteBucketWebsite ran', async () => {
    await h.client.send(new DeleteBucketWebsiteCommand({ Bucket: site }));
    expect((await get('/')).status).toBe(404);
    expect(await codeOf(h.client.send(new GetBucketWebsiteCommand({ Bucket: site })))).toBe('NoSuchWebsiteConfiguration');
  });
});
