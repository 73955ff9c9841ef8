/**
 * s3cmd (Debian package) against a freshly started server: mb, put, get, ls, del, rb.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { createKey, s3Client, startServer, type Credentials, type TestServer } from '../helpers/server.js';
import { describeRun, requireTool, run, sha256File, tempDir, writeRandomFile, type RunResult } from '../helpers/tools.js';
import '../helpers/vitest.js';

const hasS3cmd = requireTool('s3cmd', 's3cmd');
const MiB = 1024 * 1024;

describe.skipIf(!hasS3cmd)('s3cmd', () => {
  let server: TestServer;
  let creds: Credentials;
  let tmp: { path: string; remove(): void };
  let cfg: string;
  const bucket = 's3cmd-bucket';
  const files: Record<string, { path: string; size: number; sha: string }> = {};

  async function s3cmd(args: string[]): Promise<RunResult> {
    return run('s3cmd', ['-c', cfg, '--no-progress', ...args], { cwd: tmp.path, timeoutMs: 240_000, env: { HOME: tmp.path } });
  }
  async function s3cmdOk(args: string[]): Promise<RunResult> {
    const r = await s3cmd(args);
    expect(r.code, describeRun('s3cmd', args, r)).toBe(0);
    return r;
  }
  /** `s3cmd ls s3://bucket` lines "DATE TIME SIZE s3://bucket/key" as {size, url}. */
  function objects(stdout: string): Array<{ size: number; url: string }> {
    return stdout
      .split('\n')
      .filter((l) => /\ss3:\/\//.test(l) && !/\sDIR\s/.test(l))
      .map((l) => {
        const m = /^\S+\s+\S+\s+(\d+)\s+(s3:\/\/.*)$/.exec(l.trim());
        if (!m) throw new Error(`unexpected s3cmd ls line: ${l}`);
        return { size: Number(m[1]), url: m[2]! };
      });
  }

  beforeAll(async () => {
    tmp = tempDir('aero-s3cmd-');
    server = await startServer();
    creds = await createKey(server, 's3cmd-key', { createBucket: true });
    const hostPort = new URL(server.s3Url).host;
    cfg = join(tmp.path, 's3cfg');
    writeFileSync(
      cfg,
      [
        '[default]',
        `access_key = ${creds.accessKeyId}`,
        `secret_key = ${creds.secretAccessKey}`,
        `host_base = ${hostPort}`,
        `host_bucket = ${hostPort}`,
        'use_https = False',
        'signature_v2 = False',
        'bucket_location = garage',
        '',
      ].join('\n'),
    );
    for (const [name, size] of [
      ['one.bin', 1 * MiB],
      ['multi.bin', 20 * MiB], // s3cmd cuts files above 15 MiB into parts
    ] as const) {
      const path = join(tmp.path, name);
      files[name] = { path, size, sha: await writeRandomFile(path, size) };
    }
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    tmp?.remove();
  });

  it('mb creates a bucket that ls lists', async () => {
    await s3cmdOk(['mb', `s3://${bucket}`]);
    const r = await s3cmdOk(['ls']);
    expect(r.stdout).toMatch(new RegExp(`\\ss3://${bucket}\\s*$`, 'm'));
  });

  it('put then get a 1 MiB file byte-identical', async () => {
    const f = files['one.bin']!;
    await s3cmdOk(['put', f.path, `s3://${bucket}/one.bin`]);
    const down = join(tmp.path, 'one.down');
    await s3cmdOk(['get', `s3://${bucket}/one.bin`, down]);
    expect(await sha256File(down)).toBe(f.sha);
  }, 120_000);

  it('put then get a 20 MiB file (multipart) byte-identical', async () => {
    const f = files['multi.bin']!;
    await s3cmdOk(['put', f.path, `s3://${bucket}/sub/multi.bin`]);
    // It really went multipart: 15 MiB + 5 MiB parts give an ETag "<md5 of part md5s>-2".
    const head = await s3Client(server, creds).send(new HeadObjectCommand({ Bucket: bucket, Key: 'sub/multi.bin' }));
    expect(head.ContentLength).toBe(f.size);
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-2"$/);
    const down = join(tmp.path, 'multi.down');
    await s3cmdOk(['get', `s3://${bucket}/sub/multi.bin`, down]);
    expect(await sha256File(down)).toBe(f.sha);
  }, 240_000);

  it('ls lists the objects with their sizes', async () => {
    const top = await s3cmdOk(['ls', `s3://${bucket}`]);
    expect(objects(top.stdout)).toEqual([{ size: files['one.bin']!.size, url: `s3://${bucket}/one.bin` }]);
    expect(top.stdout).toMatch(new RegExp(`DIR\\s+s3://${bucket}/sub/\\s*$`, 'm'));
    const all = await s3cmdOk(['ls', '--recursive', `s3://${bucket}`]);
    expect(objects(all.stdout)).toEqual([
      { size: files['one.bin']!.size, url: `s3://${bucket}/one.bin` },
      { size: files['multi.bin']!.size, url: `s3://${bucket}/sub/multi.bin` },
    ]);
  });

  it('rb refuses a bucket that still holds objects', async () => {
    const r = await s3cmd(['rb', `s3://${bucket}`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/BucketNotEmpty|409/);
  });

  it('del removes objects; get of a deleted object fails', async () => {
    await s3cmdOk(['del', `s3://${bucket}/one.bin`]);
    await s3cmdOk(['del', `s3://${bucket}/sub/multi.bin`]);
    const all = await s3cmdOk(['ls', '--recursive', `s3://${bucket}`]);
    expect(objects(all.stdout)).toEqual([]);
    const get = await s3cmd(['get', '--force', `s3://${bucket}/one.bin`, join(tmp.path, 'gone.down')]);
    expect(get.code).not.toBe(0);
  });

  it('rb removes the empty bucket', async () => {
    await s3cmdOk(['rb', `s3://${bucket}`]);
    const r = await s3cmdOk(['ls']);
    expect(r.stdout).not.toContain(`s3://${bucket}`);
  });
});
