/**
 * Crash consistency: SIGKILL the server while 8 clients PUT objects of varied sizes
 * (inline ones under 3 KiB and multi-block ones of 100 KiB - 3 MiB), restart it on
 * the same directory, and check that
 *  - every acknowledged PUT reads back byte-identical;
 *  - the listing holds only keys that were acknowledged or in flight at the kill;
 *  - every in-flight key that is listed reads back complete and correct, and every
 *    in-flight key that is not listed cannot be read either (no partial object);
 *  - what was visible after one crash is still there, unchanged, after the next.
 * Two crash rounds run on the same data directory.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyAndBucket, s3Client, startServer, type KeyAndBucket, type TestServer } from '../helpers/server.js';
import { sha256 } from '../helpers/tools.js';
import '../helpers/vitest.js';

const WORKERS = 8;
const KiB = 1024;
const MiB = 1024 * KiB;

interface Expected {
  sha: string;
  size: number;
}

function randomSize(): number {
  // Half inline (under the 3 KiB inline threshold, 0 included), half multi-block.
  return Math.random() < 0.5 ? randomInt(0, 3 * KiB) : randomInt(100 * KiB, 3 * MiB + 1);
}

async function getObject(client: S3Client, bucket: string, key: string): Promise<Buffer | 'missing'> {
  try {
    const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await res.Body!.transformToByteArray());
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return 'missing';
    throw err;
  }
}

async function listAll(client: S3Client, bucket: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let token: string | undefined;
  do {
    const res = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token, MaxKeys: 1000 }));
    for (const o of res.Contents ?? []) {
      expect(out.has(o.Key!), `key listed twice: ${o.Key}`).toBe(false);
      out.set(o.Key!, o.Size!);
    }
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** Runs fn over items with at most `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

describe('crash consistency under kill -9 during concurrent PUTs', () => {
  let server: TestServer;
  let creds: KeyAndBucket;
  const bucket = 'crash-bucket';
  const acked = new Map<string, Expected>();
  /** Keys whose PUT was sent and not answered when the server was killed. */
  const inFlightAtKill = new Map<string, Expected>();
  /** In-flight keys found complete after a restart: they must stay. */
  const survivors = new Map<string, Expected>();

  beforeAll(async () => {
    server = await startServer();
    creds = await createKeyAndBucket(server, bucket);
  });

  afterAll(async () => {
    await server?.stop();
  });

  /** 8 writers until the kill; returns the number of acks and in-flight keys of this round. */
  async function writeAndKill(round: number): Promise<{ acks: number; inFlight: number }> {
    const killAfterAcks = 40 + randomInt(0, 60);
    let acks = 0;
    let killed = false;
    const errorsBeforeKill: string[] = [];
    const inFlight = new Map<string, Expected>();
    let killDone: Promise<void> | undefined;
    let signalKill!: () => void;
    const killTriggered = new Promise<void>((r) => (signalKill = r));

    const maybeKill = (): void => {
      if (killed || acks < killAfterAcks) return;
      signalKill();
    };
    // The kill comes at a random moment shortly after the ack threshold, not in an ack callback.
    const killer = killTriggered.then(async () => {
      await new Promise((r) => setTimeout(r, randomInt(0, 150)));
      killed = true;
      for (const [k, v] of inFlight) inFlightAtKill.set(k, v);
      killDone = server.kill9();
      await killDone;
    });

    const deadline = Date.now() + 120_000;
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, w) => {
        const client = s3Client(server, creds);
        try {
          for (let n = 0; !killed && Date.now() < deadline; n++) {
            const key = `r${round}/w${w}/obj-${n}-${randomBytes(3).toString('hex')}`;
            const body = randomBytes(randomSize());
            const exp = { sha: sha256(body), size: body.length };
            inFlight.set(key, exp);
            try {
              await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
              if (killed) continue; // answered after the kill began: counts as in flight, not as acked
              inFlight.delete(key);
              acked.set(key, exp);
              acks++;
              maybeKill();
            } catch (err) {
              if (!killed) errorsBeforeKill.push(`${key}: ${(err as Error).name}: ${(err as Error).message}`);
              break;
            }
          }
        } finally {
          client.destroy();
        }
      }),
    );
    if (!killed) {
      // Writers stopped without reaching the kill (errors or deadline): still kill, then fail below.
      signalKill();
    }
    await killer;
    expect(errorsBeforeKill, `PUTs failed before the kill:\n${errorsBeforeKill.join('\n')}\n--- server output:\n${server.output()}`).toEqual([]);
    expect(acks).toBeGreaterThanOrEqual(killAfterAcks);
    console.info(`crash round ${round}: ${acks} PUTs acknowledged, ${inFlight.size} in flight at the kill`);
    return { acks, inFlight: inFlight.size };
  }

  async function restartAndVerify(): Promise<void> {
    server = await server.restart();
    const client = s3Client(server, creds);
    try {
      // Every acknowledged object is there, byte-identical.
      const bad: string[] = [];
      await pool([...acked], 8, async ([key, exp]) => {
        const got = await getObject(client, bucket, key);
        if (got === 'missing') bad.push(`${key}: acknowledged (${exp.size} bytes) but missing after restart`);
        else if (got.length !== exp.size || sha256(got) !== exp.sha) bad.push(`${key}: acknowledged ${exp.size} bytes, read back ${got.length} bytes with another content`);
      });
      expect(bad, bad.join('\n')).toEqual([]);

      // The listing holds only acknowledged or in-flight keys; sizes are right.
      const listed = await listAll(client, bucket);
      for (const key of acked.keys()) expect(listed.has(key), `acknowledged key not listed: ${key}`).toBe(true);
      for (const [key, size] of listed) {
        const exp = acked.get(key) ?? inFlightAtKill.get(key);
        expect(exp, `listed key was never acknowledged nor in flight: ${key}`).toBeDefined();
        expect(size, `listed size of ${key}`).toBe(exp!.size);
      }

      // In-flight keys: listed ones are complete and correct; unlisted ones cannot be read.
      await pool([...inFlightAtKill].filter(([k]) => !acked.has(k)), 8, async ([key, exp]) => {
        const got = await getObject(client, bucket, key);
        if (listed.has(key)) {
          if (got === 'missing') bad.push(`${key}: listed but GET says NoSuchKey`);
          else if (got.length !== exp.size || sha256(got) !== exp.sha) bad.push(`${key}: in flight at the kill, listed, but reads back ${got.length} bytes of other content (expected ${exp.size})`);
          else survivors.set(key, exp);
        } else if (got !== 'missing') {
          bad.push(`${key}: not listed but GET returned ${got.length} bytes`);
        }
      });
      expect(bad, bad.join('\n')).toEqual([]);
      for (const key of survivors.keys()) expect(listed.has(key), `in-flight key seen after an earlier restart vanished: ${key}`).toBe(true);
      console.info(`after restart: ${acked.size} acknowledged objects verified, ${listed.size} listed, ${survivors.size} in-flight PUTs completed`);
    } finally {
      client.destroy();
    }
  }

  it('round 1: acknowledged PUTs survive kill -9, no partial object is visible', async () => {
    const r = await writeAndKill(1);
    expect(r.inFlight).toBeGreaterThan(0);
    await restartAndVerify();
  }, 240_000);

  it('round 2: again on the restarted server, earlier data intact', async () => {
    const before = acked.size;
    const r = await writeAndKill(2);
    expect(acked.size).toBeGreaterThan(before);
    expect(r.inFlight).toBeGreaterThan(0);
    await restartAndVerify();
  }, 240_000);
});
