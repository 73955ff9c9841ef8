import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startServer, type TestServer } from '../helpers/server.js';
import { run } from '../helpers/tools.js';
import '../helpers/vitest.js';

const bin = `${repoRoot()}/bin/aerogramme.js`;

describe('aerogramme CLI against a running server', () => {
  let server: TestServer;
  let admin: string[];
  const cli = (...args: string[]) => run(process.execPath, [bin, ...args, ...admin]);

  beforeAll(async () => {
    server = await startServer();
    admin = ['--admin-url', server.adminUrl, '--admin-token', server.adminToken];
  });
  afterAll(() => server.stop());

  it('--help lists every verb, and each command has its own --help', async () => {
    const top = await run(process.execPath, [bin, '--help']);
    expect(top.code).toBe(0);
    for (const verb of ['server', 'status', 'key', 'bucket', 'repair', 'account']) expect(top.stdout).toMatch(new RegExp(`^\\s+${verb}\\b`, 'm'));
    const sub = await run(process.execPath, [bin, 'bucket', 'allow', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--read');
    expect(sub.stdout).toContain('--key <key>');
  });

  it('creates a key and a bucket, grants and revokes permissions, deletes them', async () => {
    const created = await cli('key', 'create', 'alice-key');
    expect(created.code, created.stderr).toBe(0);
    const keyId = /Key ID:\s+(GK[0-9a-f]{24})/.exec(created.stdout)?.[1];
    expect(keyId).toBeDefined();
    expect(created.stdout).toMatch(/Secret key:\s+[0-9a-f]{64}/);

    expect((await cli('key', 'list')).stdout).toContain(keyId!);
    const info = await cli('key', 'info', 'alice-key');
    expect(info.stdout).toContain(keyId!);
    expect(info.stdout).toContain('(hidden: add --show-secret)');

    const bucket = await cli('bucket', 'create', 'photos');
    expect(bucket.code, bucket.stderr).toBe(0);
    expect((await cli('bucket', 'list')).stdout).toContain('photos');

    const allowed = await cli('bucket', 'allow', '--read', '--write', 'photos', '--key', 'alice-key');
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toMatch(new RegExp(`RW-\\s+${keyId}`));
    const denied = await cli('bucket', 'deny', '--write', 'photos', '--key', keyId!);
    expect(denied.stdout).toMatch(new RegExp(`R--\\s+${keyId}`));

    const refused = await cli('bucket', 'delete', 'photos');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--yes');
    expect((await cli('bucket', 'delete', 'photos', '--yes')).code).toBe(0);
    expect((await cli('bucket', 'list')).stdout).not.toContain('photos');
    expect((await cli('key', 'delete', keyId!, '--yes')).code).toBe(0);
    expect((await cli('key', 'list')).stdout).not.toContain(keyId!);
  });

  it('explains what is wrong: unknown bucket, invalid name, wrong token, no server', async () => {
    const unknown = await cli('bucket', 'info', 'nope');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/no bucket matches "nope" \(HTTP 404\)/);
    expect((await cli('bucket', 'create', 'Not_A_Valid_Name')).stderr).toMatch(/HTTP 400/);
    const badToken = await run(process.execPath, [bin, 'key', 'list', '--admin-url', server.adminUrl, '--admin-token', 'wrong']);
    expect(badToken.stderr).toMatch(/admin token.*HTTP 403/);
    const noServer = await run(process.execPath, [bin, 'key', 'list', '--admin-url', 'http://127.0.0.1:1', '--admin-token', 'x']);
    expect(noServer.stderr).toMatch(/cannot reach the admin API/);
  });

  it('serves health without a token and Prometheus metrics that count requests', async () => {
    expect((await fetch(`${server.adminUrl}/health`)).status).toBe(200);
    const metrics = await (await fetch(`${server.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/^api_admin_request_counter\{api_endpoint="ListKeys"\} \d+$/m);
    expect(metrics).toContain('# TYPE api_admin_request_duration histogram');
    const status = await cli('status');
    expect(status.stdout).toMatch(/This node: [0-9a-f]{64}/);
  });
});
