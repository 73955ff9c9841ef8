/**
 * Operator features of a real server through the CLI: bucket quotas (set-quotas, usage
 * in `bucket info`, QuotaExceeded for the SDK), `repair lifecycle`, and several data
 * directories: a third one added over a restart, `repair rebalance`, every object
 * still read back.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutBucketLifecycleConfigurationCommand, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { AdminHttpError, adminRequest, createKeyAndBucket, repoRoot, s3Client, startServer, type TestServer } from '../helpers/server.js';
import { run, sha256, tempDir } from '../helpers/tools.js';
import '../helpers/vitest.js';

const bin = join(repoRoot(), 'bin', 'aerogramme.js');
const DAY_MS = 86_400_000;

async function cli(server: TestServer, ...args: string[]): Promise<string> {
  const r = await run(process.execPath, [bin, ...args, '--admin-url', server.adminUrl, '--admin-token', server.adminToken]);
  expect(r.code, `aerogramme ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

async function failure(p: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await p;
  } catch (err) {
    if (err instanceof S3ServiceException) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
}

/** Block files under a data directory (hh/hh/<hash>). */
function blockCount(dir: string): number {
  let n = 0;
  for (const a of readdirSync(dir).filter((x) => /^[0-9a-f]{2}$/.test(x))) {
    for (const b of readdirSync(join(dir, a))) n += readdirSync(join(dir, a, b)).filter((f) => /^[0-9a-f]{64}$/.test(f)).length;
  }
  return n;
}

describe('bucket quotas and lifecycle through the CLI', () => {
  let server: TestServer;
  let s3: S3Client;
  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
  });

  it('sets quotas, shows usage against them, and refuses writes beyond them', async () => {
    server = await startServer();
    const creds = await createKeyAndBucket(server, 'limited');
    s3 = s3Client(server, creds);
    await s3.send(new PutObjectCommand({ Bucket: 'limited', Key: 'a', Body: Buffer.alloc(300 * 1024) }));
    const set = await cli(server, 'bucket', 'set-quotas', 'limited', '--max-objects', '2', '--max-size', '1M');
    expect(set).toMatch(/Size:\s+300\.0 KiB \(307200 bytes\), quota 1\.0 MiB \(29\.3 % used\)/);
    expect(set).toMatch(/Objects:\s+1, quota 2 \(50\.0 % used\)/);
    await s3.send(new PutObjectCommand({ Bucket: 'limited', Key: 'b', Body: 'x' }));
    const tooMany = await failure(s3.send(new PutObjectCommand({ Bucket: 'limited', Key: 'c', Body: 'x' })));
    expect([tooMany.name, tooMany.$metadata.httpStatusCode]).toEqual(['QuotaExceeded', 403]);
    const lifted = await cli(server, 'bucket', 'set-quotas', 'limited', '--max-objects', 'none');
    expect(lifted).toMatch(/Objects:\s+2$/m);
    expect(lifted).toMatch(/quota 1\.0 MiB/);
    await s3.send(new PutObjectCommand({ Bucket: 'limited', Key: 'c', Body: 'x' }));
    const tooBig = await failure(s3.send(new PutObjectCommand({ Bucket: 'limited', Key: 'd', Body: Buffer.alloc(800 * 1024) })));
    expect(tooBig.name).toBe('QuotaExceeded');
    const bad = await run(process.execPath, [bin, 'bucket', 'set-quotas', 'limited', '--max-objects', 'lots', '--admin-url', server.adminUrl, '--admin-token', server.adminToken]);
    expect(bad.stderr).toContain('--max-objects: "lots" is neither a non-negative number nor "none"');
  });

  it('takes Garage v1 UpdateBucket bodies on the admin API and shows quotas and website in bucket info', async () => {
    const { id } = await adminRequest<{ id: string }>(server, 'GET', '/v1/bucket?globalAlias=limited');
    const updated = await adminRequest<Record<string, unknown>>(server, 'PUT', `/v1/bucket?id=${id}`, {
      websiteAccess: { enabled: true, indexDocument: 'index.html' },
      quotas: { maxSize: 5000000, maxObjects: null },
    });
    expect(updated).toMatchObject({ websiteAccess: true, websiteConfig: { indexDocument: 'index.html', errorDocument: null }, quotas: { maxSize: 5000000, maxObjects: null } });
    for (const [body, message] of [
      [{ websiteAccess: { enabled: true } }, 'give "indexDocument"'],
      [{ quotas: { maxSize: -1 } }, 'quotas.maxSize must be a non-negative integer or null'],
    ] as const) {
      const err = await adminRequest(server, 'PUT', `/v1/bucket?id=${id}`, body).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AdminHttpError);
      expect((err as AdminHttpError).status).toBe(400);
      expect((JSON.parse((err as AdminHttpError).body) as { message: string }).message).toContain(message);
    }
  });

  it('expires objects on `aerogramme repair lifecycle`', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'limited', Key: 'tmp/scratch', Body: 'x' }));
    const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: 'limited',
        LifecycleConfiguration: { Rules: [{ ID: 'tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Date: today } }] },
      }),
    );
    expect(await cli(server, 'repair', 'lifecycle')).toBe('objectsExpired: 1\nuploadsAborted: 0\n');
    const keys = (await s3.send(new ListObjectsV2Command({ Bucket: 'limited' }))).Contents?.map((o) => o.Key);
    expect(keys).toEqual(['a', 'b', 'c']);
  });
});

describe('several data directories', () => {
  const tmp = tempDir('aero-disks-e2e-');
  let server: TestServer;
  let s3: S3Client;
  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
    tmp.remove();
  });

  const dirsToml = (...dirs: [string, string][]) =>
    `data_dir = [${dirs.map(([name, capacity]) => `{ path = "${join(tmp.path, name)}", capacity = "${capacity}" }`).join(', ')}]\n`;

  it('spreads blocks over two directories, then after adding a third, `repair rebalance` moves them and every object reads back', async () => {
    server = await startServer({ dir: tmp.path, toml: dirsToml(['d1', '1G'], ['d2', '3G']) });
    const creds = await createKeyAndBucket(server, 'spread');
    s3 = s3Client(server, creds);
    const objects = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      const body = Buffer.alloc(2 * 1024 * 1024 + 1000, `object ${i} `); // 3 blocks each
      objects.set(`o${i}`, sha256(body));
      await s3.send(new PutObjectCommand({ Bucket: 'spread', Key: `o${i}`, Body: body }));
    }
    const before = [blockCount(join(tmp.path, 'd1')), blockCount(join(tmp.path, 'd2'))];
    expect(before[0]! + before[1]!).toBe(120);
    expect(before[0]).toBeGreaterThan(5);
    expect(before[0]).toBeLessThan(before[1]!);

    await server.stop({ keepDir: true });
    s3.destroy();
    server = await startServer({ dir: tmp.path, toml: dirsToml(['d1', '1G'], ['d2', '3G'], ['d3', '4G']) });
    s3 = s3Client(server, creds);
    const readAll = async () => {
      for (const [key, digest] of objects) {
        const got = await s3.send(new GetObjectCommand({ Bucket: 'spread', Key: key }));
        expect(sha256(Buffer.from(await got.Body!.transformToByteArray())), key).toBe(digest);
      }
    };
    await readAll();
    const moved = Number(/^moved: (\d+)$/m.exec(await cli(server, 'repair', 'rebalance'))?.[1]);
    const inD3 = blockCount(join(tmp.path, 'd3'));
    expect(inD3).toBeGreaterThan(30); // half the partitions now belong there
    expect(moved).toBeGreaterThanOrEqual(inD3);
    expect(blockCount(join(tmp.path, 'd1')) + blockCount(join(tmp.path, 'd2')) + blockCount(join(tmp.path, 'd3'))).toBe(120);
    expect(await cli(server, 'repair', 'rebalance')).toMatch(/^moved: 0$/m);
    await readAll();
  }, 120_000);
});
