/**
 * The Bayou log over real storage (embedded and HTTP ports): convergence of writers,
 * late ops behind a checkpoint, checkpoints and garbage collection over 10,000 ops,
 * large ops spilled to S3, and change notification through the watch row.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bayou } from '../../../mail/bayou/bayou.js';
import { checkpointPrefix, logPk } from '../../../mail/bayou/layout.js';
import { LogStorage } from '../../../mail/bayou/storage.js';
import { makeTimestamp, timestampMs, type Timestamp } from '../../../mail/bayou/timestamp.js';
import type { BayouOptions, LogContext, LogSpec } from '../../../mail/bayou/types.js';
import { startMailNode, type MailNode, type PortKind } from './harness.js';

interface Chain {
  n: number;
  /** A hash over the ops in the order applied: equal chains applied the same ops in the same order. */
  h: string;
}

const spec: LogSpec<Chain, string> = {
  kind: 'test-chain',
  initial: () => ({ n: 0, h: '' }),
  apply: (s, op) => ({ n: s.n + 1, h: createHash('sha256').update(s.h).update(op).digest('hex') }),
  encodeOp: (op) => Buffer.from(op),
  decodeOp: (b) => Buffer.from(b).toString(),
  encodeState: (s) => Buffer.from(JSON.stringify(s)),
  decodeState: (b) => JSON.parse(Buffer.from(b).toString()) as Chain,
};

function replay(ops: string[]): Chain {
  return ops.reduce(spec.apply, spec.initial());
}

const fast: Partial<BayouOptions> = { settleMs: 0, gcMinAgeMs: 0, checkpointEvery: 100, keepCheckpoints: 3, pageSize: 250, watchPollMs: 2_000 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const port of ['embedded', 'http'] as PortKind[]) {
  describe(`Bayou log (${port} port)`, () => {
    let node: MailNode;
    let ctx: LogContext;
    const key = randomBytes(32);
    beforeAll(async () => {
      node = await startMailNode({ port });
      ctx = { ...(await node.storage('bayou')), userId: 'u1', key };
    });
    afterAll(async () => node?.close());

    const push = (log: Bayou<Chain, string>, op: string) => log.update(() => ({ op, result: undefined }));

    it('replicates ops between writers in one total order', async () => {
      const a = new Bayou(ctx, spec, 'converge', fast);
      const b = new Bayou(ctx, spec, 'converge', fast);
      await Promise.all([a.open(), b.open()]);
      await Promise.all(Array.from({ length: 30 }, (_, i) => push(i % 2 ? a : b, `op${i}`)));
      await Promise.all([a.sync(true), b.sync(true)]);
      expect(a.state.n).toBe(30);
      expect(b.state).toEqual(a.state);
      const c = new Bayou(ctx, spec, 'converge', fast);
      await c.open();
      expect(c.state).toEqual(a.state);
      await Promise.all([a.close(), b.close(), c.close()]);
    });

    it('replays from an older checkpoint when an op arrives late behind the newest', async () => {
      const a = new Bayou(ctx, spec, 'late', { ...fast, checkpointEvery: 10_000 });
      await a.open();
      const ops: { ts: Timestamp; op: string }[] = [];
      for (let i = 0; i < 40; i++) {
        await push(a, `op${i}`);
        ops.push({ ts: a.lastTs, op: `op${i}` });
        if (i === 9 || i === 29) await a.checkpoint();
      }
      await a.checkpoint();
      // An op another writer timestamped between op 14 and op 15, landing only now.
      const t14 = ops[14]!.ts;
      const late = makeTimestamp(timestampMs(t14), Number.parseInt(t14.slice(16, 24), 16) + 1, randomBytes(8));
      const storage = new LogStorage(ctx, spec, 'late', 1000);
      await ctx.k2v.insert(logPk('late'), late, await storage.sealForPush(late, 'late op', 1 << 20));
      const truth = replay([...ops, { ts: late, op: 'late op' }].sort((x, y) => (x.ts < y.ts ? -1 : 1)).map((e) => e.op));

      const b = new Bayou(ctx, spec, 'late', fast);
      await b.open();
      expect(b.state).toEqual(truth);
      // The writer learns of it at its next full check (before its next checkpoint).
      const before = (await ctx.blobs.list(checkpointPrefix('late'))).items.length;
      await push(a, 'op40');
      await a.checkpoint();
      await b.sync(true);
      expect(a.state).toEqual(b.state);
      expect(a.state.n).toBe(42);
      // The two checkpoints that missed the late op are gone: neither can become a trusted anchor.
      expect((await ctx.blobs.list(checkpointPrefix('late'))).items.length).toBe(before - 1);
      for (let i = 41; i < 45; i++) {
        await push(a, `op${i}`);
        await a.checkpoint();
      }
      const c = new Bayou(ctx, spec, 'late', fast);
      await c.open();
      expect(c.state).toEqual(a.state);
      expect(c.state.n).toBe(46);
      await Promise.all([a.close(), b.close(), c.close()]);
    });

    it('restarts from checkpoints after 10,000 ops, and garbage collection leaves the state as it was', async () => {
      const a = new Bayou(ctx, spec, 'long', fast);
      await a.open();
      const ops: string[] = [];
      for (let i = 0; i < 10_000; i++) {
        ops.push(`op${i}`);
        await push(a, `op${i}`);
      }
      await a.idle();
      await a.checkpoint();
      await a.idle();
      expect(a.state).toEqual(replay(ops));

      const names = (await ctx.blobs.list(checkpointPrefix('long'))).items.map((i) => i.key);
      expect(names.length).toBe(3);
      const [page] = await ctx.k2v.readBatch([{ pk: logPk('long'), end: 'g' }]);
      expect(page!.items.length).toBeLessThan(400);

      const b = new Bayou(ctx, spec, 'long', fast);
      await b.open();
      expect(b.state).toEqual(a.state);
      expect(b.opCount).toBe(10_000);
      await Promise.all([a.close(), b.close()]);
    }, 120_000);

    it('spills ops too large for a K2V value to S3', async () => {
      const a = new Bayou(ctx, spec, 'spill', { ...fast, spillBytes: 1024 });
      await a.open();
      const big = 'x'.repeat(5000);
      await push(a, big);
      await push(a, 'small');
      const b = new Bayou(ctx, spec, 'spill', fast);
      await b.open();
      expect(b.state).toEqual(replay([big, 'small']));
      await Promise.all([a.close(), b.close()]);
    });

    it("tells a subscriber of its own pushes at once and of another writer's within a second", async () => {
      const a = new Bayou(ctx, spec, 'watch', fast);
      const b = new Bayou(ctx, spec, 'watch', fast);
      await Promise.all([a.open(), b.open()]);
      const seenByA: Chain[] = [];
      const unsubscribe = a.subscribe((s) => seenByA.push(s));
      await sleep(200);
      await push(a, 'own');
      expect(seenByA).toEqual([a.state]);
      seenByA.length = 0;
      const t0 = Date.now();
      await push(b, 'remote');
      while (seenByA.length === 0 && Date.now() - t0 < 1000) await sleep(10);
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(seenByA.at(-1)).toEqual(b.state);
      unsubscribe();
      await Promise.all([a.close(), b.close()]);
    });
  });
}
