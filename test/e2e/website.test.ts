/**
 * A static site end to end: enabled with `aerogramme bucket website --allow`, uploaded
 * with `aws s3 sync`, browsed with curl and with headless Chromium (Debian's, no
 * sandbox, on 127.0.0.1): index page, sub-page, a directory without its slash, a
 * missing page answered with the error document and 404. Chromium's screenshot shows
 * the stylesheet applied (served with its Content-Type) and the error page.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyAndBucket, repoRoot, startServer, type KeyAndBucket, type TestServer } from '../helpers/server.js';
import { decodePng } from '../helpers/png.js';
import { describeRun, requireTool, run, runOk, tempDir } from '../helpers/tools.js';
import '../helpers/vitest.js';

const AWS = '/usr/bin/aws';
const ROOT_DOMAIN = 'web.test';
const hasTools = [requireTool(AWS, 'awscli'), requireTool('curl', 'curl'), requireTool('chromium', 'chromium')].every(Boolean);

const SITE: Record<string, string> = {
  'index.html': '<!doctype html><html><head><title>Home</title><link rel="stylesheet" href="/style.css"></head><body><h1>Welcome home</h1><a href="/about">About</a></body></html>',
  'style.css': 'html, body { background: rgb(0, 128, 0); margin: 0; height: 100%; }',
  'about/index.html': '<!doctype html><html><head><title>About</title></head><body><h1>About this site</h1></body></html>',
  '404.html': '<!doctype html><html><head><title>Missing</title><style>html, body { background: rgb(200, 0, 0); height: 100%; }</style></head><body><h1>Page not found</h1></body></html>',
};

describe.skipIf(!hasTools)('static website (aws s3 sync, curl, chromium)', () => {
  let server: TestServer;
  let creds: KeyAndBucket;
  let tmp: { path: string; remove(): void };
  const bucket = 'site';
  const host = `${bucket}.${ROOT_DOMAIN}`;
  let port: string;

  beforeAll(async () => {
    tmp = tempDir('aero-website-');
    server = await startServer({ toml: `[s3_web]\nroot_domain = ".${ROOT_DOMAIN}"\n` });
    port = new URL(server.webUrl).port;
    creds = await createKeyAndBucket(server, bucket);
    for (const [name, text] of Object.entries(SITE)) {
      mkdirSync(join(tmp.path, 'site', name, '..'), { recursive: true });
      writeFileSync(join(tmp.path, 'site', name), text);
    }
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    tmp?.remove();
  });

  const cli = (...args: string[]) => runOk(process.execPath, [join(repoRoot(), 'bin', 'aerogramme.js'), ...args, '--admin-url', server.adminUrl, '--admin-token', server.adminToken]);

  /** curl through the website endpoint with our Host; status, headers (lower-case) and body. */
  async function curl(path: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const r = await runOk('curl', ['-s', '-i', '-H', `Host: ${host}`, `http://127.0.0.1:${port}${path}`]);
    const [head, ...rest] = r.stdout.split('\r\n\r\n');
    const [statusLine, ...lines] = head!.split('\r\n');
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    return { status: Number(statusLine!.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
  }

  /** Headless Chromium on the site, resolving its host name to 127.0.0.1. */
  function chromium(args: string[], url: string) {
    return run(
      'chromium',
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-proxy-server',
        `--user-data-dir=${join(tmp.path, 'chromium-profile')}`,
        `--host-resolver-rules=MAP ${host} 127.0.0.1`,
        ...args,
        url,
      ],
      { timeoutMs: 60_000 },
    );
  }

  it('is enabled with the CLI and filled with aws s3 sync', async () => {
    const enabled = await cli('bucket', 'website', '--allow', '-e', '404.html', bucket);
    expect(enabled.stdout).toContain('Website access: yes (index document index.html, error document 404.html)');
    const args = ['--endpoint-url', server.s3Url, 's3', 'sync', join(tmp.path, 'site'), `s3://${bucket}/`];
    const sync = await run(AWS, args, {
      timeoutMs: 120_000,
      env: {
        AWS_ACCESS_KEY_ID: creds.accessKeyId,
        AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
        AWS_DEFAULT_REGION: 'garage',
        AWS_CONFIG_FILE: join(tmp.path, 'no-aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(tmp.path, 'no-aws-credentials'),
        AWS_PROFILE: undefined,
        AWS_CA_BUNDLE: undefined,
        AWS_ENDPOINT_URL: undefined,
      },
    });
    expect(sync.code, describeRun('aws', args, sync)).toBe(0);
  }, 150_000);

  it('serves the pages to curl: index, sub-page, redirect for a directory, error document with 404', async () => {
    const home = await curl('/');
    expect([home.status, home.headers['content-type'], home.body]).toEqual([200, 'text/html', SITE['index.html']]);
    expect((await curl('/style.css')).headers['content-type']).toBe('text/css');
    const about = await curl('/about/');
    expect([about.status, about.body]).toEqual([200, SITE['about/index.html']]);
    const dir = await curl('/about');
    expect([dir.status, dir.headers['location']]).toEqual([302, '/about/']);
    const missing = await curl('/no/such/page.html');
    expect([missing.status, missing.body]).toEqual([404, SITE['404.html']]);
    const bucketInfo = await cli('bucket', 'info', bucket);
    expect(bucketInfo.stdout).toMatch(/Objects:\s+4/);
    const metrics = await (await fetch(`${server.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/^web_request_counter\{api_endpoint="GET"\} \d+$/m);
    expect(metrics).toMatch(/^web_error_counter\{api_endpoint="GET",status_code="404"\} \d+$/m);
  });

  it('shows the pages in headless Chromium: text, styles, redirect and error page', async () => {
    const about = await chromium(['--dump-dom'], `http://${host}:${port}/about`);
    expect(about.stdout, about.stderr).toContain('<h1>About this site</h1>');
    const missing = await chromium(['--dump-dom'], `http://${host}:${port}/gone`);
    expect(missing.stdout, missing.stderr).toContain('<h1>Page not found</h1>');

    const screenshot = async (path: string, file: string) => {
      const out = join(tmp.path, file);
      const r = await chromium(['--window-size=800,600', '--hide-scrollbars', `--screenshot=${out}`], `http://${host}:${port}${path}`);
      expect(r.code, r.stderr).toBe(0);
      return decodePng(readFileSync(out));
    };
    const home = await screenshot('/', 'home.png');
    expect([home.width, home.height]).toEqual([800, 600]);
    expect(home.pixel(400, 500)).toEqual([0, 128, 0]); // style.css applied
    expect((await screenshot('/gone', 'missing.png')).pixel(400, 500)).toEqual([200, 0, 0]);
  }, 150_000);

  it('stops serving the site once the CLI denies website access', async () => {
    const denied = await cli('bucket', 'website', '--deny', bucket);
    expect(denied.stdout).toContain('Website access: no');
    const r = await curl('/');
    expect(r.status).toBe(404);
    expect(r.body).not.toContain('Welcome');
  });
});
