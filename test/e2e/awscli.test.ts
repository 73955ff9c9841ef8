/**
 * The real AWS CLI (Debian's awscli, v2) against a freshly started server:
 * cp up and down (single-part and multipart), ls, head-object, presign, rm.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyAndBucket, startServer, type KeyAndBucket, type TestServer } from '../helpers/server.js';
import { describeRun, md5File, requireTool, run, sha256, sha256File, tempDir, writeRandomFile, type RunResult } from '../helpers/tools.js';
import '../helpers/vitest.js';

const AWS = '/usr/bin/aws';
const hasAws = requireTool(AWS, 'awscli');
const MiB = 1024 * 1024;

describe.skipIf(!hasAws)('aws cli (awscli)', () => {
  let server: TestServer;
  let creds: KeyAndBucket;
  let tmp: { path: string; remove(): void };
  const files: Record<string, { path: string; size: number; sha: string }> = {};
  const bucket = 'awscli-bucket';

  async function aws(args: string[]): Promise<RunResult> {
    return run(AWS, ['--endpoint-url', server.s3Url, ...args], {
      cwd: tmp.path,
      timeoutMs: 240_000,
      env: {
        AWS_ACCESS_KEY_ID: creds.accessKeyId,
        AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
        AWS_DEFAULT_REGION: 'garage',
        // Nothing from the machine's own AWS set-up may leak in.
        AWS_CONFIG_FILE: join(tmp.path, 'no-aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(tmp.path, 'no-aws-credentials'),
        AWS_PROFILE: undefined,
        AWS_SESSION_TOKEN: undefined,
        AWS_REGION: undefined,
        AWS_ENDPOINT_URL: undefined,
        AWS_CA_BUNDLE: undefined,
        AWS_PAGER: '',
      },
    });
  }

  async function awsOk(args: string[]): Promise<RunResult> {
    const r = await aws(args);
    expect(r.code, describeRun('aws', args, r)).toBe(0);
    return r;
  }

  beforeAll(async () => {
    tmp = tempDir('aero-awscli-');
    server = await startServer();
    creds = await createKeyAndBucket(server, bucket);
    for (const [name, size] of [
      ['small.bin', 1 * MiB],
      ['big.bin', 50 * MiB],
    ] as const) {
      const path = join(tmp.path, name);
      files[name] = { path, size, sha: await writeRandomFile(path, size) };
    }
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    tmp?.remove();
  });

  it('lists the bucket the key may use', async () => {
    const r = await awsOk(['s3', 'ls']);
    expect(r.stdout).toMatch(new RegExp(`\\s${bucket}\\s*$`, 'm'));
  });

  it('copies a 1 MiB file up and down byte-identical', async () => {
    const f = files['small.bin']!;
    await awsOk(['s3', 'cp', f.path, `s3://${bucket}/small.bin`]);
    const down = join(tmp.path, 'small.down');
    await awsOk(['s3', 'cp', `s3://${bucket}/small.bin`, down]);
    expect(await sha256File(down)).toBe(f.sha);
  }, 120_000);

  it('copies a 50 MiB file up (multipart) and down byte-identical', async () => {
    const f = files['big.bin']!;
    await awsOk(['s3', 'cp', f.path, `s3://${bucket}/dir/big.bin`]);
    const down = join(tmp.path, 'big.down');
    await awsOk(['s3', 'cp', `s3://${bucket}/dir/big.bin`, down]);
    expect(await sha256File(down)).toBe(f.sha);
    // It really went multipart: the ETag of a multipart upload is "<md5 of part md5s>-<parts>".
    const head = JSON.parse((await awsOk(['s3api', 'head-object', '--bucket', bucket, '--key', 'dir/big.bin'])).stdout) as {
      ContentLength: number;
      ETag: string;
    };
    expect(head.ContentLength).toBe(f.size);
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-\d+"$/);
    expect(Number(/-(\d+)"$/.exec(head.ETag)![1])).toBeGreaterThan(1);
  }, 240_000);

  it('head-object reports size and the MD5 ETag of a single-part object', async () => {
    const f = files['small.bin']!;
    const r = await awsOk(['s3api', 'head-object', '--bucket', bucket, '--key', 'small.bin']);
    const head = JSON.parse(r.stdout) as { ContentLength: number; ETag: string; LastModified: string };
    expect(head.ContentLength).toBe(f.size);
    expect(head.ETag).toBe(`"${await md5File(f.path)}"`);
    expect(Number.isNaN(Date.parse(head.LastModified))).toBe(false);
  });

  it('ls shows objects with their sizes, recursively and by prefix', async () => {
    const top = await awsOk(['s3', 'ls', `s3://${bucket}/`]);
    expect(top.stdout).toMatch(/^\s*PRE dir\/\s*$/m);
    expect(top.stdout).toMatch(new RegExp(`^\\S+ \\S+\\s+${files['small.bin']!.size} small\\.bin\\s*$`, 'm'));
    expect(top.stdout).not.toContain('big.bin');

    const all = await awsOk(['s3', 'ls', '--recursive', `s3://${bucket}`]);
    const keys = all.stdout
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .map((cols) => ({ size: Number(cols[2]), key: cols.slice(3).join(' ') }));
    expect(keys).toEqual([
      { size: files['big.bin']!.size, key: 'dir/big.bin' },
      { size: files['small.bin']!.size, key: 'small.bin' },
    ]);
  });

  it('handles keys with spaces and non-ASCII characters', async () => {
    const key = 'odd names/été + ü & spaces.txt';
    const content = Buffer.from(`content of ${key}\n`, 'utf8');
    const local = join(tmp.path, 'odd.txt');
    writeFileSync(local, content);
    await awsOk(['s3', 'cp', local, `s3://${bucket}/${key}`]);
    const ls = await awsOk(['s3', 'ls', `s3://${bucket}/odd names/`]);
    expect(ls.stdout).toContain('été + ü & spaces.txt');
    const down = join(tmp.path, 'odd.down');
    await awsOk(['s3', 'cp', `s3://${bucket}/${key}`, down]);
    expect(sha256(readFileSync(down))).toBe(sha256(content));
    await awsOk(['s3', 'rm', `s3://${bucket}/${key}`]);
  });

  it('presign gives a URL that Node fetch can download', async () => {
    const r = await awsOk(['s3', 'presign', `s3://${bucket}/small.bin`, '--expires-in', '300']);
    const url = r.stdout.trim();
    expect(url).toContain('small.bin?');
    expect(url).toContain('X-Amz-Signature=');
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(files['small.bin']!.size);
    expect(sha256(body)).toBe(files['small.bin']!.sha);

    // A tampered signature is refused.
    const bad = url.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
    const refused = await fetch(bad);
    await refused.arrayBuffer();
    expect(refused.status).toBe(403);
  });

  it('rm deletes an object: gone from ls, head-object fails', async () => {
    await awsOk(['s3', 'rm', `s3://${bucket}/small.bin`]);
    const all = await awsOk(['s3', 'ls', '--recursive', `s3://${bucket}`]);
    expect(all.stdout).not.toContain('small.bin');
    expect(all.stdout).toContain('dir/big.bin');
    const head = await aws(['s3api', 'head-object', '--bucket', bucket, '--key', 'small.bin']);
    expect(head.code).not.toBe(0);
    expect(head.stderr).toMatch(/404|Not Found/);
    const get = await aws(['s3', 'cp', `s3://${bucket}/small.bin`, join(tmp.path, 'gone.down')]);
    expect(get.code).not.toBe(0);
  });

  it('refuses a wrong secret key', async () => {
    const good = creds.secretAccessKey;
    creds.secretAccessKey = `${good.slice(0, -1)}${good.endsWith('a') ? 'b' : 'a'}`;
    try {
      const r = await aws(['s3', 'ls', `s3://${bucket}`]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/SignatureDoesNotMatch|AccessDenied|403/);
    } finally {
      creds.secretAccessKey = good;
    }
  });
});
