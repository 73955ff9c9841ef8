import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeToken, K2V_LIMITS } from '../../../../../core/model/k2v/index.js';
import { BUCKET, REGION, RO_KEY, startK2vServer, type K2vTestServer, type Reply } from './harness.js';

const TOKEN = 'x-garage-causality-token';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

let srv: K2vTestServer;
let pkCounter = 0;
/** A fresh partition key per test: tests share one server. */
let pk: string;

beforeAll(async () => {
  srv = await startK2vServer();
});
afterAll(async () => {
  await srv.close();
});
beforeEach(() => {
  pk = `pk${++pkCounter}`;
});

const put = (sk: string, value: string, token?: string): Promise<Reply> =>
  srv.send({ method: 'PUT', pk, query: { sort_key: sk }, body: value, ...(token ? { headers: { [TOKEN]: token } } : {}) });
const get = (sk: string, accept?: string): Promise<Reply> =>
  srv.send({ method: 'GET', pk, query: { sort_key: sk }, ...(accept ? { headers: { accept } } : {}) });

function expectError(reply: Reply, status: number, code: string): void {
  expect({ status: reply.status, type: reply.headers['content-type'] }).toEqual({ status, type: 'application/json' });
  const body = reply.json<Record<string, unknown>>();
  expect(body).toMatchObject({ code, region: REGION });
  expect(typeof body['message']).toBe('string');
  expect(typeof body['path']).toBe('string');
}

describe('ReadItem / InsertItem / DeleteItem', () => {
  it('stores a value and reads it as JSON or as bytes, with the token header', async () => {
    expect((await put('s', 'hello')).status).toBe(204);
    const json = await get('s');
    expect(json.status).toBe(200);
    expect(json.headers['content-type']).toBe('application/json');
    expect(json.json()).toEqual([b64('hello')]);
    expect(json.headers[TOKEN]).toMatch(/^[A-Za-z0-9_-]+$/);
    for (const accept of ['application/octet-stream', '*/*', 'application/json, application/octet-stream']) {
      const raw = await get('s', accept);
      expect(raw.status).toBe(200);
      expect(raw.headers['content-type']).toBe('application/octet-stream');
      expect(raw.body.toString()).toBe('hello');
      expect(raw.headers[TOKEN]).toBe(json.headers[TOKEN]);
    }
  });

  it('keeps concurrent values: JSON lists them, binary answers 409 with the token', async () => {
    await put('s', 'v1');
    await put('s', 'v2');
    expect((await get('s')).json()).toEqual([b64('v1'), b64('v2')]);
    const conflict = await get('s', 'application/octet-stream');
    expect(conflict.status).toBe(409);
    expect(conflict.body.length).toBe(0);
    expect(conflict.headers[TOKEN]).toBeTruthy();
    expect((await get('s', '*/*')).json()).toHaveLength(2);
    // a write with that token replaces both
    await put('s', 'v3', conflict.headers[TOKEN] as string);
    expect((await get('s')).json()).toEqual([b64('v3')]);
  });

  it('deletes with a token: [null] in JSON, 204 in binary, until collected', async () => {
    await put('s', 'doomed');
    const token = (await get('s')).headers[TOKEN] as string;
    expect((await srv.send({ method: 'DELETE', pk, query: { sort_key: 's' }, headers: { [TOKEN]: token } })).status).toBe(204);
    expect((await get('s')).json()).toEqual([null]);
    const tomb = await get('s', 'application/octet-stream');
    expect(tomb.status).toBe(204);
    expect(tomb.headers[TOKEN]).toBeTruthy();
  });

  it('answers 404 NoSuchKey for an absent item, 406 for an unusable Accept', async () => {
    expectError(await get('absent'), 404, 'NoSuchKey');
    await put('s', 'x');
    expectError(await get('s', 'text/plain'), 406, 'NotAcceptable');
    // q-values are not understood, as in Garage
    expectError(await get('s', 'application/json;q=0.9'), 406, 'NotAcceptable');
  });

  it('takes partition and sort keys with slashes, spaces and non-ASCII text', async () => {
    pk = '/a/b c/é';
    await put('x/y z?&=ü', 'odd');
    expect((await get('x/y z?&=ü')).json()).toEqual([b64('odd')]);
    const index = await srv.send({ method: 'GET', query: { prefix: '/a/' } });
    expect(index.json<{ partitionKeys: { pk: string }[] }>().partitionKeys.map((p) => p.pk)).toEqual(['/a/b c/é']);
  });
});

describe('PollItem', () => {
  it('returns at once for a stale token and waits for a change otherwise', async () => {
    await put('s', 'one');
    const first = (await get('s')).headers[TOKEN] as string;
    await put('s', 'two', first);
    const t0 = Date.now();
    const stale = await srv.send({ method: 'GET', pk, query: { sort_key: 's', causality_token: first, timeout: '10' } });
    expect(stale.status).toBe(200);
    expect(stale.json()).toEqual([b64('two')]);
    expect(Date.now() - t0).toBeLessThan(500);

    const current = stale.headers[TOKEN] as string;
    const poll = srv.send({ method: 'GET', pk, query: { sort_key: 's', causality_token: current, timeout: '10' } });
    await new Promise((r) => setTimeout(r, 100));
    const changed = Date.now();
    await put('s', 'three', current);
    const woken = await poll;
    expect(woken.status).toBe(200);
    expect(woken.json()).toEqual([b64('three')]);
    expect(Date.now() - changed).toBeLessThan(100);
  });

  it('stops waiting when the client goes away', async () => {
    const ac = new AbortController();
    const poll = srv.send({ method: 'GET', pk, query: { sort_key: 's', causality_token: 'AAAAAAAAAAA', timeout: '600' }, signal: ac.signal });
    for (let i = 0; i < 50 && srv.k2v.pollTopics === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(srv.k2v.pollTopics).toBe(1);
    ac.abort();
    await expect(poll).rejects.toThrow();
    for (let i = 0; i < 50 && srv.k2v.pollTopics > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(srv.k2v.pollTopics).toBe(0);
  });

  it('answers 304 with no body at the timeout', async () => {
    await put('s', 'still');
    const token = (await get('s')).headers[TOKEN] as string;
    const t0 = Date.now();
    const reply = await srv.send({ method: 'GET', pk, query: { sort_key: 's', causality_token: token, timeout: '1' } });
    expect(reply.status).toBe(304);
    expect(reply.body.length).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
  });
});

describe('ReadIndex', () => {
  it('lists partition keys with counters, paginated, in both directions', async () => {
    const items = ['a', 'b', 'c'].flatMap((p) => ['1', '2'].map((sk) => ({ pk: `${pk}-${p}`, sk, ct: null, v: b64(`${p}${sk}`) })));
    expect((await srv.send({ method: 'POST', body: items })).status).toBe(204);
    await srv.send({ method: 'POST', body: [{ pk: `${pk}-a`, sk: '1', ct: null, v: b64('sibling') }] });
    const page = await srv.send({ method: 'GET', query: { prefix: pk, limit: '2' } });
    expect(page.status).toBe(200);
    expect(page.json()).toEqual({
      prefix: pk,
      start: null,
      end: null,
      limit: 2,
      reverse: false,
      partitionKeys: [
        { pk: `${pk}-a`, entries: 2, conflicts: 1, values: 3, bytes: 2 + 2 + 7 },
        { pk: `${pk}-b`, entries: 2, conflicts: 0, values: 2, bytes: 4 },
      ],
      more: true,
      nextStart: `${pk}-c`,
    });
    const rest = await srv.send({ method: 'GET', query: { prefix: pk, start: `${pk}-c` } });
    expect(rest.json()).toMatchObject({ partitionKeys: [{ pk: `${pk}-c` }], more: false, nextStart: null });
    const reverse = await srv.send({ method: 'GET', query: { prefix: pk, reverse: 'true', limit: '1' } });
    expect(reverse.json()).toMatchObject({ reverse: true, partitionKeys: [{ pk: `${pk}-c` }], more: true, nextStart: `${pk}-b` });
  });
});

describe('InsertBatch / ReadBatch / DeleteBatch', () => {
  beforeEach(async () => {
    const body = ['a', 'b', 'c', 'd'].map((sk) => ({ pk, sk, ct: null, v: b64(sk) }));
    expect((await srv.send({ method: 'POST', body })).status).toBe(204);
  });

  it('reads several queries with every field echoed, by POST ?search and by SEARCH', async () => {
    const queries = [
      { partitionKey: pk, limit: 2 },
      { partitionKey: pk, start: 'c', singleItem: true },
      { partitionKey: pk, prefix: 'd', reverse: true, conflictsOnly: false, tombstones: true },
    ];
    for (const req of [{ method: 'POST', query: { search: '' } }, { method: 'SEARCH' }]) {
      const reply = await srv.send({ ...req, body: queries });
      expect(reply.status).toBe(200);
      const [page, single, last] = reply.json<Record<string, unknown>[]>();
      expect(page).toEqual({
        partitionKey: pk,
        prefix: null,
        start: null,
        end: null,
        limit: 2,
        reverse: false,
        singleItem: false,
        conflictsOnly: false,
        tombstones: false,
        items: [
          { sk: 'a', ct: expect.any(String), v: [b64('a')] },
          { sk: 'b', ct: expect.any(String), v: [b64('b')] },
        ],
        more: true,
        nextStart: 'c',
      });
      expect(single).toMatchObject({ singleItem: true, start: 'c', items: [{ sk: 'c', v: [b64('c')] }], more: false, nextStart: null });
      expect(last).toMatchObject({ prefix: 'd', reverse: true, tombstones: true, items: [{ sk: 'd' }] });
    }
  });

  it('writes with tokens and tombstones through InsertBatch', async () => {
    const [page] = (await srv.send({ method: 'SEARCH', body: [{ partitionKey: pk, start: 'a', singleItem: true }] })).json<
      { items: { ct: string }[] }[]
    >();
    const ct = page!.items[0]!.ct;
    await srv.send({ method: 'POST', body: [{ pk, sk: 'a', ct, v: b64('a2') }, { pk, sk: 'b', ct: null, v: null }] });
    expect((await get('a')).json()).toEqual([b64('a2')]);
    expect((await get('b')).json()).toEqual([b64('b'), null]);
  });

  it('deletes ranges and answers with the count per query', async () => {
    const reply = await srv.send({
      method: 'POST',
      query: { delete: '' },
      body: [
        { partitionKey: pk, start: 'b', end: 'd' },
        { partitionKey: pk, start: 'a', singleItem: true },
      ],
    });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual([
      { partitionKey: pk, prefix: null, start: 'b', end: 'd', singleItem: false, deletedItems: 2 },
      { partitionKey: pk, prefix: null, start: 'a', end: null, singleItem: true, deletedItems: 1 },
    ]);
    const [live] = (await srv.send({ method: 'SEARCH', body: [{ partitionKey: pk }] })).json<{ items: { sk: string }[] }[]>();
    expect(live!.items.map((i) => i.sk)).toEqual(['d']);
  });
});

describe('PollRange', () => {
  it('returns the range and a marker, then only changes, or 304 at the timeout', async () => {
    await srv.send({ method: 'POST', body: [{ pk, sk: 'x1', ct: null, v: b64('1') }, { pk, sk: 'y1', ct: null, v: b64('2') }] });
    const first = await srv.send({ method: 'POST', pk, query: { poll_range: '' }, body: { prefix: 'x' } });
    expect(first.status).toBe(200);
    const { items, seenMarker } = first.json<{ items: { sk: string; ct: string; v: string[] }[]; seenMarker: string }>();
    expect(items.map((i) => [i.sk, i.v])).toEqual([['x1', [b64('1')]]]);
    const idle = await srv.send({ method: 'SEARCH', pk, query: { poll_range: '' }, body: { prefix: 'x', seenMarker, timeout: 1 } });
    expect(idle.status).toBe(304);
    const poll = srv.send({ method: 'POST', pk, query: { poll_range: '' }, body: { prefix: 'x', seenMarker, timeout: 10 } });
    await new Promise((r) => setTimeout(r, 100));
    await put('y2', 'outside');
    await put('x2', 'inside');
    const changed = await poll;
    expect(changed.status).toBe(200);
    expect(changed.json<{ items: { sk: string }[] }>().items.map((i) => i.sk)).toEqual(['x2']);
  });
});

describe('bad input: a clear 4xx, nothing changed, the server still serves', () => {
  const forged = encodeToken(new Map([[4n, 42n]])).replace(/q$/, 'r');
  const cases: Array<[string, () => Promise<Reply>, number, string]> = [
    ['unknown bucket', () => srv.send({ method: 'PUT', bucket: 'nope', pk: 'p', query: { sort_key: 's' }, body: 'v' }), 404, 'NoSuchBucket'],
    ['a read-only key writing', () => srv.send({ method: 'PUT', pk: 'p', query: { sort_key: 's' }, body: 'v', key: RO_KEY }), 403, 'AccessDenied'],
    [
      'a bad signature',
      () => srv.send({ method: 'PUT', pk: 'p', query: { sort_key: 's' }, body: 'v', key: { accessKeyId: RO_KEY.accessKeyId, secretAccessKey: 'f'.repeat(64) } }),
      403,
      'SignatureDoesNotMatch',
    ],
    ['an unknown key', () => srv.send({ method: 'GET', key: { accessKeyId: `GK${'9'.repeat(24)}`, secretAccessKey: 'x' } }), 403, 'InvalidAccessKeyId'],
    ['an anonymous request', () => srv.send({ method: 'GET', key: null }), 403, 'AccessDenied'],
    ['malformed JSON', () => srv.send({ method: 'POST', body: '[{"pk": "p",' }), 400, 'InvalidRequest'],
    ['a JSON object where an array is due', () => srv.send({ method: 'POST', body: { pk: 'p' } }), 400, 'InvalidRequest'],
    ['a wrongly typed field', () => srv.send({ method: 'POST', body: [{ pk: 'p', sk: 1, ct: null, v: null }] }), 400, 'InvalidRequest'],
    ['a forged token header', () => srv.send({ method: 'PUT', pk: 'p', query: { sort_key: 's' }, body: 'v', headers: { [TOKEN]: forged } }), 400, 'CausalityToken'],
    ['a forged token in a batch', () => srv.send({ method: 'POST', body: [{ pk: 'p', sk: 's', ct: forged, v: b64('v') }] }), 400, 'CausalityToken'],
    ['a malformed poll token', () => srv.send({ method: 'GET', pk: 'p', query: { sort_key: 's', causality_token: 'zz*' } }), 400, 'CausalityToken'],
    ['invalid base64', () => srv.send({ method: 'POST', body: [{ pk: 'p', sk: 's', ct: null, v: 'not base64!' }] }), 400, 'InvalidBase64'],
    [
      'an oversized value',
      () => srv.send({ method: 'PUT', pk: 'p', query: { sort_key: 's' }, body: Buffer.alloc(K2V_LIMITS.maxValueBytes + 1) }),
      400,
      'EntityTooLarge',
    ],
    [
      'an oversized value in a batch',
      () => srv.send({ method: 'POST', body: [{ pk: 'p', sk: 's', ct: null, v: Buffer.alloc(K2V_LIMITS.maxValueBytes + 1).toString('base64') }] }),
      400,
      'EntityTooLarge',
    ],
    ['a PollItem timeout above 600 s', () => srv.send({ method: 'GET', pk: 'p', query: { sort_key: 's', causality_token: 'AAAAAAAAAAA', timeout: '601' } }), 400, 'InvalidRequest'],
    ['a PollItem timeout of 0', () => srv.send({ method: 'GET', pk: 'p', query: { sort_key: 's', causality_token: 'AAAAAAAAAAA', timeout: '0' } }), 400, 'InvalidRequest'],
    ['a PollRange timeout above 600 s', () => srv.send({ method: 'POST', pk: 'p', query: { poll_range: '' }, body: { timeout: 700 } }), 400, 'InvalidRequest'],
    ['a malformed seen marker', () => srv.send({ method: 'POST', pk: 'p', query: { poll_range: '' }, body: { seenMarker: '%%%' } }), 400, 'InvalidRequest'],
    ['singleItem with limit', () => srv.send({ method: 'SEARCH', body: [{ partitionKey: 'p', start: 's', singleItem: true, limit: 1 }] }), 400, 'InvalidRequest'],
    ['a start outside the prefix', () => srv.send({ method: 'GET', query: { prefix: 'a', start: 'b' } }), 400, 'InvalidRequest'],
    ['a bad limit', () => srv.send({ method: 'GET', query: { limit: '-1' } }), 400, 'InvalidRequest'],
    ['ReadItem without sort_key', () => srv.send({ method: 'GET', pk: 'p' }), 400, 'InvalidRequest'],
    ['an unknown method', () => srv.send({ method: 'PATCH', pk: 'p', query: { sort_key: 's' } }), 400, 'InvalidRequest'],
    ['POST on an item path without poll_range', () => srv.send({ method: 'POST', pk: 'p', body: [] }), 400, 'InvalidRequest'],
    ['a partition key that is not UTF-8', () => srv.send({ method: 'GET', rawPath: `/${BUCKET}/%FF`, query: { sort_key: 's' } }), 400, 'InvalidUtf8String'],
  ];

  it.each(cases)('%s', async (_what, send, status, code) => {
    const before = await srv.k2v.readIndex(srv.bucketId, { prefix: 'p' });
    expectError(await send(), status, code);
    expect(await srv.k2v.readIndex(srv.bucketId, { prefix: 'p' })).toEqual(before);
    expect((await srv.send({ method: 'GET', query: { limit: '1' } })).status).toBe(200);
  });

  it('counts every answered request through onRequest', () => {
    expect(srv.answered.some((a) => a.endpoint === 'InsertItem' && a.status === 400)).toBe(true);
    expect(srv.answered.some((a) => a.endpoint === 'ReadIndex' && a.status === 200)).toBe(true);
  });
});

describe('20 concurrent writers on one item', () => {
  it('loses no acknowledged value that no token has seen', async () => {
    const WRITERS = 20;
    const ROUNDS = 5;
    const sk = 'hot';
    const b64Of = (v: string): string => b64(v);
    const acked = new Set<string>();
    /** Values some acknowledged write's token had read (and so could replace). */
    const overwritten = new Set<string>();
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let r = 0; r < ROUNDS; r++) {
          const read = await get(sk);
          const seen = read.status === 200 ? read.json<(string | null)[]>() : [];
          const value = `w${w}r${r}`;
          const reply = await put(sk, value, read.status === 200 ? (read.headers[TOKEN] as string) : undefined);
          expect(reply.status).toBe(204);
          acked.add(b64Of(value));
          for (const v of seen) if (v !== null) overwritten.add(v);
        }
      }),
    );
    const final = (await get(sk)).json<string[]>();
    expect(final.length).toBeGreaterThan(0);
    for (const v of final) expect(acked.has(v)).toBe(true);
    const lost = [...acked].filter((v) => !final.includes(v) && !overwritten.has(v));
    expect(lost).toEqual([]);
  });
});
