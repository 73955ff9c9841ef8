/**
 * curl as a real K2V client (`--aws-sigv4 aws:amz:<region>:k2v`): InsertItem, ReadItem,
 * DeleteItem, ReadIndex against an in-process K2V server. curl 7.88 signs the
 * x-amz-content-sha256 header only when given one, and the server (like Garage)
 * requires it, hence `-H x-amz-content-sha256:UNSIGNED-PAYLOAD` on every call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool, run, type RunResult } from '../helpers/tools.js';
import { BUCKET, REGION, RW_KEY, startK2vServer, type K2vTestServer } from '../integration/core/api/k2v/harness.js';

const hasCurl = requireTool('curl', 'curl');

describe.skipIf(!hasCurl)('K2V with curl', () => {
  let srv: K2vTestServer;
  beforeAll(async () => {
    srv = await startK2vServer({ fsync: true });
  });
  afterAll(async () => {
    await srv?.close();
  });

  /** Runs curl; returns the status, the response headers (lower-case names) and the body. */
  async function curl(args: string[]): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const r: RunResult = await run('curl', [
      '-s',
      '-D',
      '-',
      '--aws-sigv4',
      `aws:amz:${REGION}:k2v`,
      '--user',
      `${RW_KEY.accessKeyId}:${RW_KEY.secretAccessKey}`,
      '-H',
      'x-amz-content-sha256: UNSIGNED-PAYLOAD',
      ...args,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const [head, ...rest] = r.stdout.split('\r\n\r\n');
    const lines = head!.split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    return { status: Number(lines[0]!.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
  }

  const item = (pk: string, sk: string): string => `${srv.url}/${BUCKET}/${pk}?sort_key=${sk}`;

  it('inserts, reads, deletes and lists items', async () => {
    expect((await curl(['-X', 'PUT', '--data-binary', 'hello curl', item('inbox', 'msg1')])).status).toBe(204);
    expect((await curl(['-X', 'PUT', '--data-binary', 'second', item('inbox', 'msg2')])).status).toBe(204);

    const raw = await curl(['-H', 'Accept: application/octet-stream', item('inbox', 'msg1')]);
    expect(raw.status).toBe(200);
    expect(raw.body).toBe('hello curl');
    const token = raw.headers['x-garage-causality-token'];
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);

    // curl sends Accept: */*, which takes the single value as bytes: ask for JSON explicitly
    const json = await curl(['-H', 'Accept: application/json', item('inbox', 'msg1')]);
    expect(JSON.parse(json.body)).toEqual([Buffer.from('hello curl').toString('base64')]);

    // a write with the token replaces; one without adds a concurrent value
    expect((await curl(['-X', 'PUT', '-H', `X-Garage-Causality-Token: ${token}`, '--data-binary', 'v2', item('inbox', 'msg1')])).status).toBe(204);
    expect((await curl(['-X', 'PUT', '--data-binary', 'v3', item('inbox', 'msg1')])).status).toBe(204);
    const conflict = await curl(['-H', 'Accept: application/octet-stream', item('inbox', 'msg1')]);
    expect(conflict.status).toBe(409);

    const index = await curl([`${srv.url}/${BUCKET}?prefix=in`]);
    expect(index.status).toBe(200);
    expect(JSON.parse(index.body)).toMatchObject({
      prefix: 'in',
      partitionKeys: [{ pk: 'inbox', entries: 2, conflicts: 1, values: 3 }],
      more: false,
      nextStart: null,
    });

    const del = await curl(['-X', 'DELETE', '-H', `X-Garage-Causality-Token: ${conflict.headers['x-garage-causality-token']}`, item('inbox', 'msg1')]);
    expect(del.status).toBe(204);
    expect((await curl(['-H', 'Accept: application/octet-stream', item('inbox', 'msg1')])).status).toBe(204);
    expect(JSON.parse((await curl(['-H', 'Accept: application/json', item('inbox', 'msg1')])).body)).toEqual([null]);
    expect((await curl([item('inbox', 'absent')])).status).toBe(404);
  });

  it('refuses a wrong secret with a JSON error', async () => {
    const r = await run('curl', [
      '-s',
      '--aws-sigv4',
      `aws:amz:${REGION}:k2v`,
      '--user',
      `${RW_KEY.accessKeyId}:wrong`,
      '-H',
      'x-amz-content-sha256: UNSIGNED-PAYLOAD',
      '-w',
      '\n%{http_code}',
      item('inbox', 'msg2'),
    ]);
    const [body, status] = r.stdout.split('\n');
    expect(status).toBe('403');
    expect(JSON.parse(body!)).toMatchObject({ code: 'SignatureDoesNotMatch' });
  });
});
