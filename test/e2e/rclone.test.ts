/**
 * rclone (Debian package) against a freshly started server: sync a tree of 200 small
 * files (nested dirs, spaces and non-ASCII names) and 3 large ones, check, change the
 * tree, sync and check again (with --download, comparing bytes).
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { createKeyAndBucket, s3Client, startServer, type KeyAndBucket, type TestServer } from '../helpers/server.js';
import { describeRun, requireTool, run, sha256File, tempDir, writeRandomFile, type RunResult } from '../helpers/tools.js';
import '../helpers/vitest.js';

const hasRclone = requireTool('rclone', 'rclone');
const MiB = 1024 * 1024;

const NAMES = [
  'plain',
  'with space',
  'café',
  'naïve résumé',
  '日本語のファイル',
  'Ελληνικά',
  'emoji 🎉',
  '100% done',
  'a+b=c',
  'hash#tag',
  'amp & co',
  "it's",
  '(parens) [brackets]',
  'semi;colon',
  'tilde~',
];
const DIRS = ['', 'docs', 'docs/deep', 'docs/deep/deeper er', 'photos 2024', 'photos 2024/été', 'src/lib/util', 'ünïcödé dir', 'x/y/z/w'];

function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

describe.skipIf(!hasRclone)('rclone', () => {
  let server: TestServer;
  let creds: KeyAndBucket;
  let tmp: { path: string; remove(): void };
  let cfg: string;
  let src: string;
  const bucket = 'rclone-bucket';

  async function rclone(args: string[]): Promise<RunResult> {
    // rclone 1.60 fails on the AWS_CA_BUNDLE this environment may set.
    return run('rclone', ['--config', cfg, ...args], {
      cwd: tmp.path,
      timeoutMs: 280_000,
      env: { AWS_CA_BUNDLE: undefined, HOME: tmp.path, RCLONE_CONFIG: undefined },
    });
  }
  async function rcloneOk(args: string[]): Promise<RunResult> {
    const r = await rclone(args);
    expect(r.code, describeRun('rclone', args, r)).toBe(0);
    return r;
  }
  /** `rclone check` must succeed, report 0 differences and as many matches as local files. */
  async function checkSame(extra: string[] = []): Promise<void> {
    const args = ['check', src, `aero:${bucket}`, ...extra];
    const r = await rclone(args);
    const text = describeRun('rclone', args, r);
    expect(r.code, text).toBe(0);
    expect(r.stderr, text).toMatch(/\b0 differences found/);
    const n = listTree(src).length;
    expect(r.stderr, text).toMatch(new RegExp(`\\b${n} matching files`));
  }
  async function remoteListing(): Promise<string[]> {
    const r = await rcloneOk(['lsf', '-R', '--files-only', `aero:${bucket}`]);
    return r.stdout
      .split('\n')
      .filter((l) => l.length > 0)
      .sort();
  }

  beforeAll(async () => {
    tmp = tempDir('aero-rclone-');
    server = await startServer();
    creds = await createKeyAndBucket(server, bucket);
    cfg = join(tmp.path, 'rclone.conf');
    writeFileSync(
      cfg,
      [
        '[aero]',
        'type = s3',
        'provider = Other',
        'env_auth = false',
        `access_key_id = ${creds.accessKeyId}`,
        `secret_access_key = ${creds.secretAccessKey}`,
        `endpoint = ${server.s3Url}`,
        'region = garage',
        'force_path_style = true',
        // Large files go multipart (5 MiB parts) so that path is exercised too.
        'upload_cutoff = 10Mi',
        'chunk_size = 5Mi',
        '',
      ].join('\n'),
    );
    src = join(tmp.path, 'src');
    let i = 0;
    while (i < 200) {
      const d = DIRS[i % DIRS.length]!;
      const name = `${NAMES[i % NAMES.length]} ${i}.txt`;
      const p = join(src, d, name);
      mkdirSync(dirname(p), { recursive: true });
      // Sizes from 0 to ~48 KiB, around the inline threshold and block boundaries.
      const size = i % 20 === 0 ? 0 : Math.floor(Math.random() * 48 * 1024);
      writeFileSync(p, randomBytes(size));
      i++;
    }
    mkdirSync(join(src, 'big files'), { recursive: true });
    await writeRandomFile(join(src, 'big files', 'twenty.bin'), 20 * MiB);
    await writeRandomFile(join(src, 'big files', 'thirty.bin'), 30 * MiB);
    await writeRandomFile(join(src, 'forty é.bin'), 40 * MiB);
    expect(listTree(src).length).toBe(203);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    tmp?.remove();
  });

  it('syncs the tree; check finds 0 differences', async () => {
    await rcloneOk(['sync', src, `aero:${bucket}`]);
    expect(await remoteListing()).toEqual(listTree(src));
    await checkSame();
    // The big files went multipart (5 MiB parts): ETag "<md5 of part md5s>-<parts>".
    const head = await s3Client(server, creds).send(new HeadObjectCommand({ Bucket: bucket, Key: 'big files/twenty.bin' }));
    expect(head.ContentLength).toBe(20 * MiB);
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-4"$/);
  }, 300_000);

  it('after local changes, a second sync makes the bucket equal again (checked by downloading)', async () => {
    const files = listTree(src).filter((f) => f.endsWith('.txt'));
    // modify 5, delete 5, add 3 (one in a new dir), replace a big file, delete a whole dir
    for (const f of files.slice(0, 5)) writeFileSync(join(src, f), randomBytes(1000 + Math.floor(Math.random() * 20_000)));
    for (const f of files.slice(5, 10)) rmSync(join(src, f));
    mkdirSync(join(src, 'new dir ñ'), { recursive: true });
    writeFileSync(join(src, 'new dir ñ', 'added 1.txt'), randomBytes(5000));
    writeFileSync(join(src, 'added 2.txt'), randomBytes(10));
    writeFileSync(join(src, 'docs', 'added 3 ü.txt'), Buffer.alloc(0));
    await writeRandomFile(join(src, 'big files', 'thirty.bin'), 25 * MiB + 123);
    rmSync(join(src, 'x'), { recursive: true });
    expect(statSync(join(src, 'big files', 'thirty.bin')).size).toBe(25 * MiB + 123);

    // Before syncing, check must see the differences (it is not vacuous).
    const before = await rclone(['check', src, `aero:${bucket}`]);
    expect(before.code).not.toBe(0);
    expect(before.stderr).not.toMatch(/\b0 differences found/);

    await rcloneOk(['sync', src, `aero:${bucket}`]);
    expect(await remoteListing()).toEqual(listTree(src));
    await checkSame();
    await checkSame(['--download']);
  }, 300_000);

  it('copies the bucket back into an identical tree', async () => {
    const back = join(tmp.path, 'back');
    await rcloneOk(['copy', `aero:${bucket}`, back]);
    const want = listTree(src);
    expect(listTree(back)).toEqual(want);
    for (const f of want) expect(await sha256File(join(back, f)), f).toBe(await sha256File(join(src, f)));
  }, 300_000);
});
