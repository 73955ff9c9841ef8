import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Db } from '../../../../../core/db/index.js';
import { decodeToken, encodeToken, K2vError, K2vService, K2V_LIMITS, type K2vValues } from '../../../../../core/model/k2v/index.js';

const NODE_ID = 'aa'.repeat(32);
const bucket = randomBytes(32);
const b = (s: string): Buffer => Buffer.from(s);
const text = (r: K2vValues | null): (string | null)[] | undefined => r?.values.map((v) => (v === null ? null : v.toString()));

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof K2vError) return err.code;
    throw err;
  }
  throw new Error('expected a K2vError');
}

describe('K2vService', () => {
  let dir: string;
  let db: Db;
  let k2v: K2vService;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aero-k2v-'));
    db = Db.open({ path: dir, fsync: false });
    k2v = new K2vService({ db, nodeId: NODE_ID });
  });
  afterEach(async () => {
    expect(k2v.pollTopics).toBe(0);
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('items', () => {
    it('reads an absent item as null', async () => {
      expect(await k2v.readItem(bucket, 'p', 's')).toBeNull();
    });

    it('keeps writes without a token as concurrent values', async () => {
      await k2v.insertItem(bucket, 'p', 's', b('one'));
      await k2v.insertItem(bucket, 'p', 's', b('two'));
      const read = await k2v.readItem(bucket, 'p', 's');
      expect(text(read)).toEqual(['one', 'two']);
      // the token names this node (first 8 bytes of its id) with the latest dot
      expect([...decodeToken(read!.token).keys()]).toEqual([0xaaaaaaaaaaaaaaaan]);
    });

    it('a write with a read token replaces exactly what was read', async () => {
      await k2v.insertItem(bucket, 'p', 's', b('a'));
      await k2v.insertItem(bucket, 'p', 's', b('b'));
      const read = await k2v.readItem(bucket, 'p', 's');
      await k2v.insertItem(bucket, 'p', 's', b('c')); // not seen by the reader
      await k2v.insertItem(bucket, 'p', 's', b('d'), read!.token);
      expect(text(await k2v.readItem(bucket, 'p', 's'))).toEqual(['c', 'd']);
    });

    it('does not let another node\'s token discard our values', async () => {
      await k2v.insertItem(bucket, 'p', 's', b('ours'));
      const foreign = encodeToken(new Map([[7n, 2n ** 62n]]));
      await k2v.insertItem(bucket, 'p', 's', b('theirs-seen'), foreign);
      expect(text(await k2v.readItem(bucket, 'p', 's'))).toEqual(['ours', 'theirs-seen']);
      const clock = decodeToken((await k2v.readItem(bucket, 'p', 's'))!.token);
      expect(clock.get(7n)).toBe(2n ** 62n);
    });

    it('reads identical concurrent values once', async () => {
      await k2v.insertItem(bucket, 'p', 's', b('same'));
      await k2v.insertItem(bucket, 'p', 's', b('same'));
      expect(text(await k2v.readItem(bucket, 'p', 's'))).toEqual(['same']);
    });

    it('keeps a tombstone readable as null, concurrent with an unseen value', async () => {
      await k2v.insertItem(bucket, 'p', 's', b('v1'));
      const read = await k2v.readItem(bucket, 'p', 's');
      await k2v.deleteItem(bucket, 'p', 's', read!.token);
      expect(text(await k2v.readItem(bucket, 'p', 's'))).toEqual([null]);
      await k2v.insertItem(bucket, 'p', 's', b('v2'), read!.token);
      expect(text(await k2v.readItem(bucket, 'p', 's'))).toEqual([null, 'v2']);
    });

    it('serialises 20 concurrent writers: every value kept, every dot distinct', async () => {
      await k2v.insertItem(bucket, 'p', 's', b('base'));
      const { token } = (await k2v.readItem(bucket, 'p', 's'))!;
      await Promise.all(Array.from({ length: 20 }, (_, i) => k2v.insertItem(bucket, 'p', 's', b(`w${i}`), token)));
      const values = text(await k2v.readItem(bucket, 'p', 's'))!;
      expect(values.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `w${i}`).sort());
      const index = await k2v.readIndex(bucket);
      expect(index.items[0]).toMatchObject({ pk: 'p', entries: 1n, conflicts: 1n, values: 20n });
    });

    it('issues strictly increasing dots, persisted across a restart', async () => {
      await k2v.insertItem(bucket, 'p', 'a', b('x'));
      const first = decodeToken((await k2v.readItem(bucket, 'p', 'a'))!.token).get(k2v.node)!;
      await db.close();
      db = Db.open({ path: dir, fsync: false });
      k2v = new K2vService({ db, nodeId: NODE_ID });
      await k2v.insertItem(bucket, 'p', 'b', b('y'));
      const second = decodeToken((await k2v.readItem(bucket, 'p', 'b'))!.token).get(k2v.node)!;
      expect(second > first).toBe(true);
    });

    it('refuses bad input and changes nothing', async () => {
      const big = Buffer.alloc(K2V_LIMITS.maxValueBytes + 1);
      expect(await refusal(k2v.insertItem(bucket, 'p', 's', big))).toBe('EntityTooLarge');
      expect(await refusal(k2v.insertItem(bucket, 'p', 's', b('v'), 'forged'))).toBe('CausalityToken');
      expect(await refusal(k2v.insertItem(bucket, 'p', 'x'.repeat(K2V_LIMITS.maxKeyBytes + 1), b('v')))).toBe('InvalidRequest');
      expect(await refusal(k2v.insertItem(bucket, '\ud800', 's', b('v')))).toBe('InvalidRequest');
      const batch = [
        { pk: 'p', sk: 'ok', value: b('v') },
        { pk: 'p', sk: 'bad', value: b('v'), token: 'AAAAAAAAAC4AAAAAAAAABAAAAAAAAAAr' },
      ];
      expect(await refusal(k2v.insertBatch(bucket, batch))).toBe('CausalityToken');
      expect(await k2v.readItem(bucket, 'p', 'ok')).toBeNull();
      expect((await k2v.readIndex(bucket)).items).toEqual([]);
    });
  });

  describe('counters and ReadIndex', () => {
    it('counts entries, conflicts, values and bytes per partition key', async () => {
      await k2v.insertBatch(bucket, [
        { pk: 'a', sk: '1', value: b('xx') },
        { pk: 'a', sk: '2', value: b('yyy') },
        { pk: 'b', sk: '1', value: b('z') },
      ]);
      await k2v.insertItem(bucket, 'a', '2', b('conflict'));
      expect((await k2v.readIndex(bucket)).items).toEqual([
        { pk: 'a', entries: 2n, conflicts: 1n, values: 3n, bytes: 13n },
        { pk: 'b', entries: 1n, conflicts: 0n, values: 1n, bytes: 1n },
      ]);
      const read = await k2v.readItem(bucket, 'b', '1');
      await k2v.deleteItem(bucket, 'b', '1', read!.token);
      // a partition key whose items are all tombstones drops out of the index
      expect((await k2v.readIndex(bucket)).items.map((e) => e.pk)).toEqual(['a']);
      // a tombstone concurrent with a value is a conflict, not an entry loss
      await k2v.deleteItem(bucket, 'a', '1');
      expect((await k2v.readIndex(bucket, { prefix: 'a' })).items).toEqual([
        { pk: 'a', entries: 2n, conflicts: 2n, values: 3n, bytes: 13n },
      ]);
    });

    it('pages through partition keys with limit, more and nextStart, forward and reverse', async () => {
      const pks = ['k1', 'k2', 'k3', 'k4', 'l1'];
      await k2v.insertBatch(bucket, pks.map((pk) => ({ pk, sk: 's', value: b('v') })));
      const page1 = await k2v.readIndex(bucket, { prefix: 'k', limit: 2 });
      expect(page1.items.map((e) => e.pk)).toEqual(['k1', 'k2']);
      expect(page1).toMatchObject({ more: true, nextStart: 'k3' });
      const page2 = await k2v.readIndex(bucket, { prefix: 'k', start: 'k3', limit: 2 });
      expect(page2.items.map((e) => e.pk)).toEqual(['k3', 'k4']);
      expect(page2).toMatchObject({ more: false, nextStart: null });
      const rev = await k2v.readIndex(bucket, { reverse: true, limit: 3 });
      expect(rev.items.map((e) => e.pk)).toEqual(['l1', 'k4', 'k3']);
      expect(rev.nextStart).toBe('k2');
      expect((await k2v.readIndex(bucket, { start: 'k2', end: 'k4' })).items.map((e) => e.pk)).toEqual(['k2', 'k3']);
      expect(await refusal(k2v.readIndex(bucket, { prefix: 'k', start: 'l' }))).toBe('InvalidRequest');
    });
  });

  describe('batches', () => {
    beforeEach(async () => {
      await k2v.insertBatch(bucket, ['a', 'b', 'c', 'd'].map((sk) => ({ pk: 'p', sk, value: b(sk) })));
    });

    it('reads ranges and single items with the ReadBatch filters', async () => {
      await k2v.insertItem(bucket, 'p', 'b', b('b2'));
      const c = await k2v.readItem(bucket, 'p', 'c');
      await k2v.deleteItem(bucket, 'p', 'c', c!.token);
      const [all, withTombstones, conflicts, single, page] = await k2v.readBatch(bucket, [
        { partitionKey: 'p' },
        { partitionKey: 'p', tombstones: true },
        { partitionKey: 'p', conflictsOnly: true },
        { partitionKey: 'p', singleItem: true, start: 'b' },
        { partitionKey: 'p', limit: 1, reverse: true },
      ]);
      expect(all!.items.map((i) => i.sk)).toEqual(['a', 'b', 'd']);
      expect(withTombstones!.items.map((i) => [i.sk, i.values.length])).toEqual([
        ['a', 1],
        ['b', 2],
        ['c', 1],
        ['d', 1],
      ]);
      expect(withTombstones!.items[2]!.values).toEqual([null]);
      expect(conflicts!.items.map((i) => i.sk)).toEqual(['b']);
      expect(single!.items.map((i) => i.values.map(String))).toEqual([['b', 'b2']]);
      expect(page).toMatchObject({ more: true, nextStart: 'b' });
      expect(page!.items.map((i) => i.sk)).toEqual(['d']);
    });

    it('refuses singleItem with range parameters', async () => {
      expect(await refusal(k2v.readBatch(bucket, [{ partitionKey: 'p', singleItem: true, start: 'a', limit: 1 }]))).toBe('InvalidRequest');
      expect(await refusal(k2v.readBatch(bucket, [{ partitionKey: 'p', singleItem: true }]))).toBe('InvalidRequest');
      expect(await refusal(k2v.deleteBatch(bucket, [{ partitionKey: 'p', singleItem: true, start: 'a', prefix: 'a' }]))).toBe('InvalidRequest');
    });

    it('deletes ranges and single items, counting what it deleted', async () => {
      const counts = await k2v.deleteBatch(bucket, [
        { partitionKey: 'p', start: 'b', end: 'd' },
        { partitionKey: 'p', singleItem: true, start: 'a' },
        { partitionKey: 'p', singleItem: true, start: 'zz' },
      ]);
      expect(counts).toEqual([2, 1, 0]);
      const [live] = await k2v.readBatch(bucket, [{ partitionKey: 'p' }]);
      expect(live!.items.map((i) => i.sk)).toEqual(['d']);
      expect(text(await k2v.readItem(bucket, 'p', 'b'))).toEqual([null]);
      // already deleted items are not deleted again
      expect(await k2v.deleteBatch(bucket, [{ partitionKey: 'p' }])).toEqual([1]);
    });
  });

  describe('polls', () => {
    it('PollItem returns at once when the token is stale', async () => {
      await k2v.insertItem(bucket, 'p', 's', b('1'));
      const stale = (await k2v.readItem(bucket, 'p', 's'))!.token;
      await k2v.insertItem(bucket, 'p', 's', b('2'), stale);
      const t0 = Date.now();
      expect(text(await k2v.pollItem(bucket, 'p', 's', stale, { timeoutMs: 10_000 }))).toEqual(['2']);
      expect(Date.now() - t0).toBeLessThan(100);
    });

    it('PollItem waits for a change, and returns null after the timeout', async () => {
      await k2v.insertItem(bucket, 'p', 's', b('1'));
      const { token } = (await k2v.readItem(bucket, 'p', 's'))!;
      expect(await k2v.pollItem(bucket, 'p', 's', token, { timeoutMs: 50 })).toBeNull();
      const poll = k2v.pollItem(bucket, 'p', 's', token, { timeoutMs: 10_000 });
      await new Promise((r) => setTimeout(r, 20));
      const changedAt = Date.now();
      await k2v.insertItem(bucket, 'p', 's', b('2'), token);
      expect(text(await poll)).toEqual(['2']);
      expect(Date.now() - changedAt).toBeLessThan(100);
    });

    it('PollItem on an absent item wakes on its creation; an abort ends it', async () => {
      const empty = encodeToken(new Map());
      const poll = k2v.pollItem(bucket, 'p', 'new', empty, { timeoutMs: 10_000 });
      await k2v.insertItem(bucket, 'p', 'other', b('x'));
      await k2v.insertItem(bucket, 'p', 'new', b('x'));
      expect(text(await poll)).toEqual(['x']);
      const ac = new AbortController();
      const aborted = k2v.pollItem(bucket, 'p', 'never', empty, { timeoutMs: 10_000, signal: ac.signal });
      ac.abort();
      expect(await aborted).toBeNull();
    });

    it('refuses timeouts out of range', async () => {
      const token = encodeToken(new Map());
      expect(await refusal(k2v.pollItem(bucket, 'p', 's', token, { timeoutMs: K2V_LIMITS.maxPollTimeoutMs + 1 }))).toBe('InvalidRequest');
      expect(await refusal(k2v.pollItem(bucket, 'p', 's', token, { timeoutMs: 0 }))).toBe('InvalidRequest');
      expect(await refusal(k2v.pollRange(bucket, 'p', { timeoutMs: -1 }))).toBe('InvalidRequest');
    });

    it('PollRange returns the range, then only what changed since the marker', async () => {
      await k2v.insertBatch(bucket, ['a1', 'a2', 'b1'].map((sk) => ({ pk: 'p', sk, value: b(sk) })));
      const first = await k2v.pollRange(bucket, 'p', { prefix: 'a' });
      expect(first!.items.map((i) => i.sk)).toEqual(['a1', 'a2']);
      expect(await k2v.pollRange(bucket, 'p', { prefix: 'a', seenMarker: first!.seenMarker, timeoutMs: 50 })).toBeNull();
      const poll = k2v.pollRange(bucket, 'p', { prefix: 'a', seenMarker: first!.seenMarker, timeoutMs: 10_000 });
      await k2v.insertItem(bucket, 'p', 'b2', b('outside'));
      await k2v.insertItem(bucket, 'p', 'a2', b('changed'));
      const second = await poll;
      expect(second!.items.map((i) => [i.sk, i.values.map(String)])).toEqual([['a2', ['a2', 'changed']]]);
      // the new marker covers that change; an empty range with no marker answers at once
      expect(await k2v.pollRange(bucket, 'p', { prefix: 'a', seenMarker: second!.seenMarker, timeoutMs: 50 })).toBeNull();
      expect(await k2v.pollRange(bucket, 'p', { prefix: 'zz' })).toMatchObject({ items: [] });
    });

    it('PollRange reports deletions and keeps foreign clocks per item', async () => {
      await k2v.insertItem(bucket, 'p', 'x', b('v'), encodeToken(new Map([[9n, 5n]])));
      const first = await k2v.pollRange(bucket, 'p', {});
      expect(await k2v.pollRange(bucket, 'p', { seenMarker: first!.seenMarker, timeoutMs: 50 })).toBeNull();
      await k2v.deleteItem(bucket, 'p', 'x', first!.items[0]!.token);
      const second = await k2v.pollRange(bucket, 'p', { seenMarker: first!.seenMarker, timeoutMs: 1000 });
      expect(second!.items.map((i) => i.values)).toEqual([[null]]);
    });

    it('refuses a malformed seen marker', async () => {
      expect(await refusal(k2v.pollRange(bucket, 'p', { seenMarker: 'garbage!' }))).toBe('InvalidRequest');
      expect(await refusal(k2v.pollRange(bucket, 'p', { seenMarker: Buffer.from('{}').toString('base64') }))).toBe('InvalidRequest');
    });
  });
});
