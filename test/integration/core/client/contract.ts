/**
 * The storage port's contract: the same cases run unchanged against every
 * implementation (embedded.test.ts, http.test.ts).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore, K2vEntry, K2vStore } from '../../../../core/client/index.js';

export interface PortFixture {
  k2v: K2vStore;
  blobs: BlobStore;
  close(): Promise<void>;
}

const b = (s: string): Buffer => Buffer.from(s);
const text = (e: K2vEntry | null): (string | null)[] | undefined => e?.values.map((v) => (v === null ? null : Buffer.from(v).toString()));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return String((err as { code?: unknown }).code);
  }
  return 'no error';
}

export function portContract(name: string, setup: () => Promise<PortFixture>): void {
  describe(name, () => {
    let f: PortFixture;
    let n = 0;
    /** A fresh partition key / blob prefix per test. */
    let pk: string;
    beforeAll(async () => {
      f = await setup();
    });
    afterAll(async () => {
      await f?.close();
    });
    beforeEach(() => {
      pk = `t${++n}`;
    });

    describe('K2vStore', () => {
      it('keeps both values of concurrent writers', async () => {
        await Promise.all([f.k2v.insert(pk, 's', b('from A')), f.k2v.insert(pk, 's', b('from B'))]);
        expect(text(await f.k2v.read(pk, 's'))!.sort()).toEqual(['from A', 'from B']);
      });

      it("replaces exactly what a read's token saw", async () => {
        await f.k2v.insert(pk, 's', b('a'));
        await f.k2v.insert(pk, 's', b('b'));
        const seen = await f.k2v.read(pk, 's');
        await f.k2v.insert(pk, 's', b('unseen'));
        await f.k2v.insert(pk, 's', b('new'), seen!.token);
        expect(text(await f.k2v.read(pk, 's'))!.sort()).toEqual(['new', 'unseen']);
        const all = await f.k2v.read(pk, 's');
        await f.k2v.insert(pk, 's', null, all!.token);
        expect(text(await f.k2v.read(pk, 's'))).toEqual([null]);
        expect(await f.k2v.read(pk, 'absent')).toBeNull();
      });

      it('returns a poll with a stale token at once', async () => {
        await f.k2v.insert(pk, 's', b('1'));
        const stale = (await f.k2v.read(pk, 's'))!.token;
        await f.k2v.insert(pk, 's', b('2'), stale);
        const t0 = Date.now();
        expect(text(await f.k2v.poll(pk, 's', stale, 10_000))).toEqual(['2']);
        expect(Date.now() - t0).toBeLessThan(100);
      });

      it('returns a poll within 100 ms of a change, and null at its timeout', async () => {
        await f.k2v.insert(pk, 's', b('1'));
        const { token } = (await f.k2v.read(pk, 's'))!;
        const t0 = Date.now();
        expect(await f.k2v.poll(pk, 's', token, 300)).toBeNull();
        expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
        const poll = f.k2v.poll(pk, 's', token, 10_000);
        await sleep(100);
        const changedAt = Date.now();
        await f.k2v.insert(pk, 's', b('2'), token);
        expect(text(await poll)).toEqual(['2']);
        expect(Date.now() - changedAt).toBeLessThan(100);
      });

      it('paginates range reads, forward and reverse', async () => {
        const sks = Array.from({ length: 25 }, (_, i) => `k${String(i).padStart(2, '0')}`);
        await f.k2v.insertBatch([...sks.map((sk) => ({ pk, sk, value: b(sk) })), { pk, sk: 'other', value: b('x') }]);
        for (const reverse of [false, true]) {
          const got: string[] = [];
          let start: string | undefined;
          for (let pages = 1; ; pages++) {
            const [page] = await f.k2v.readBatch([{ pk, prefix: 'k', limit: 10, reverse, ...(start !== undefined ? { start } : {}) }]);
            got.push(...page!.items.map((i) => i.sk));
            expect(page!.items.every((i) => text(i)![0] === i.sk)).toBe(true);
            if (!page!.more) {
              expect(pages).toBe(3);
              expect(page!.nextStart).toBeNull();
              break;
            }
            start = page!.nextStart!;
          }
          expect(got).toEqual(reverse ? [...sks].reverse() : sks);
        }
      });

      it('runs batches: writes with tokens and tombstones, several reads, range deletes', async () => {
        await f.k2v.insertBatch(['a', 'b', 'c'].map((sk) => ({ pk, sk, value: b(sk) })));
        const [first] = await f.k2v.readBatch([{ pk }]);
        const tokenOf = (sk: string): string => first!.items.find((i) => i.sk === sk)!.token;
        await f.k2v.insertBatch([
          { pk, sk: 'a', value: b('a2'), token: tokenOf('a') },
          { pk, sk: 'b', value: null, token: tokenOf('b') },
          { pk, sk: 'c', value: b('c-sibling') },
        ]);
        const [live, withTombstones, conflicts] = await f.k2v.readBatch([{ pk }, { pk, tombstones: true }, { pk, conflictsOnly: true }]);
        expect(live!.items.map((i) => [i.sk, text(i)])).toEqual([
          ['a', ['a2']],
          ['c', ['c', 'c-sibling']],
        ]);
        expect(withTombstones!.items.map((i) => i.sk)).toEqual(['a', 'b', 'c']);
        expect(conflicts!.items.map((i) => i.sk)).toEqual(['c']);
        expect(await f.k2v.deleteRange([{ pk, start: 'a', end: 'c' }, { pk, start: 'c', singleItem: true }])).toEqual([1, 1]);
        const [after] = await f.k2v.readBatch([{ pk }]);
        expect(after!.items).toEqual([]);
      });

      it('polls a range: the items now, then only what changed', async () => {
        await f.k2v.insertBatch([
          { pk, sk: 'm1', value: b('1') },
          { pk, sk: 'n1', value: b('2') },
        ]);
        const first = await f.k2v.pollRange(pk, { prefix: 'm' }, undefined, 1000);
        expect(first!.items.map((i) => i.sk)).toEqual(['m1']);
        expect(await f.k2v.pollRange(pk, { prefix: 'm' }, first!.seenMarker, 300)).toBeNull();
        const poll = f.k2v.pollRange(pk, { prefix: 'm' }, first!.seenMarker, 10_000);
        await sleep(100);
        await f.k2v.insert(pk, 'n2', b('outside'));
        await f.k2v.insert(pk, 'm2', b('inside'));
        expect((await poll)!.items.map((i) => [i.sk, text(i)])).toEqual([['m2', ['inside']]]);
      });

      it('refuses a forged token and an oversized value, changing nothing', async () => {
        await f.k2v.insert(pk, 's', b('v'));
        const { token } = (await f.k2v.read(pk, 's'))!;
        const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'AB' : 'AA'}`;
        expect(await codeOf(f.k2v.insert(pk, 's', b('x'), forged))).toBe('CausalityToken');
        expect(await codeOf(f.k2v.insert(pk, 's', Buffer.alloc(1024 * 1024 + 1)))).toBe('EntityTooLarge');
        expect(text(await f.k2v.read(pk, 's'))).toEqual(['v']);
      });
    });

    describe('BlobStore', () => {
      it('puts with metadata and gets it back, whole or a range', async () => {
        const body = randomBytes(3 * 1024 * 1024 + 17); // several blocks
        const meta = { contentType: 'message/rfc822', metadata: { kind: 'body', seal: 'v1' } };
        const { etag } = await f.blobs.put(`${pk}/big`, body, meta);
        expect(etag).toMatch(/^[0-9a-f]{32}$/);
        const whole = await f.blobs.get(`${pk}/big`);
        expect(whole!.body.equals(body)).toBe(true);
        expect(whole).toMatchObject({ size: body.length, etag, meta });
        const range = { start: 1024 * 1024 - 5, end: 2 * 1024 * 1024 + 5 };
        const part = await f.blobs.get(`${pk}/big`, range);
        expect(part!.body.equals(body.subarray(range.start, range.end + 1))).toBe(true);
        expect(part!.size).toBe(body.length);
        expect(await f.blobs.get(`${pk}/absent`)).toBeNull();
      });

      it('copies an object with its metadata', async () => {
        await f.blobs.put(`${pk}/src`, b('small body'), { contentType: 'text/plain', metadata: { a: '1' } });
        await f.blobs.copy(`${pk}/src`, `${pk}/dst`);
        const copy = await f.blobs.get(`${pk}/dst`);
        expect(copy!.body.toString()).toBe('small body');
        expect(copy!.meta).toEqual({ contentType: 'text/plain', metadata: { a: '1' } });
        expect(await codeOf(f.blobs.copy(`${pk}/absent`, `${pk}/x`))).toBe('NoSuchKey');
      });

      it('lists a prefix page by page', async () => {
        const keys = Array.from({ length: 7 }, (_, i) => `${pk}/in/${i}`);
        await Promise.all([...keys, `${pk}/out`].map((k) => f.blobs.put(k, b(k))));
        const got: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await f.blobs.list(`${pk}/in/`, { maxKeys: 3, ...(token !== undefined ? { continuationToken: token } : {}) });
          got.push(...page.items.map((i) => i.key));
          expect(page.items.every((i) => i.size === i.key.length && i.etag.length === 32)).toBe(true);
          token = page.continuationToken;
          pages++;
        } while (token !== undefined);
        expect(got).toEqual(keys);
        expect(pages).toBe(3);
      });

      it('deletes, and deleting an absent object is fine', async () => {
        await f.blobs.put(`${pk}/gone`, b('x'));
        await f.blobs.delete(`${pk}/gone`);
        expect(await f.blobs.get(`${pk}/gone`)).toBeNull();
        await f.blobs.delete(`${pk}/never`);
        expect((await f.blobs.list(`${pk}/`)).items).toEqual([]);
      });
    });
  });
}
