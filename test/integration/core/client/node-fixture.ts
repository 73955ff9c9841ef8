/**
 * A single node assembled in-process over a fresh temp dir (database, blocks, model,
 * K2V service), with one bucket and a key allowed on it; optionally serving S3 and K2V
 * on 127.0.0.1:0 with K2V's bucket resolution wired to the model as a node does it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../../../core/api/common/errors.js';
import { createK2vServer } from '../../../../core/api/k2v/server.js';
import { createS3Server } from '../../../../core/api/s3/server.js';
import { BlockManager } from '../../../../core/block/index.js';
import { Db } from '../../../../core/db/index.js';
import { Model } from '../../../../core/model/index.js';
import { K2vService } from '../../../../core/model/k2v/index.js';
import { configFromToml, type Config } from '../../../../core/util/config.js';

export interface TestNode {
  model: Model;
  k2v: K2vService;
  config: Config;
  bucket: string;
  bucketId: Buffer;
  credentials: { accessKeyId: string; secretAccessKey: string };
  close(): Promise<void>;
}

export interface ServingNode extends TestNode {
  s3Url: string;
  k2vUrl: string;
}

export async function startNode(): Promise<TestNode> {
  const dir = mkdtempSync(join(tmpdir(), 'aero-port-'));
  const config = configFromToml(
    { metadata_dir: join(dir, 'meta'), data_dir: join(dir, 'data'), metadata_fsync: false, data_fsync: false, rpc_secret: 'c'.repeat(64), admin: { admin_token: 'x' } },
    dir,
  );
  const db = Db.open({ path: join(dir, 'meta', 'db'), fsync: false });
  const blocks = new BlockManager(db, { dataDir: config.dataDir, fsync: false, gcDelayMs: config.blockGcDelayMs });
  const model = new Model({ db, blocks, config });
  const k2v = new K2vService({ db, nodeId: randomBytes(32).toString('hex') });
  const bucket = 'port-contract';
  const bucketInfo = await model.createBucket(bucket);
  const key = await model.createKey('port-contract-key');
  await model.allowKey(bucketInfo.id, key.id, { read: true, write: true, owner: true });
  return {
    model,
    k2v,
    config,
    bucket,
    bucketId: Buffer.from(bucketInfo.id, 'hex'),
    credentials: { accessKeyId: key.id, secretAccessKey: key.secretKey },
    async close() {
      blocks.stop();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startServingNode(): Promise<ServingNode> {
  const node = await startNode();
  const { model } = node;
  const s3 = createS3Server(model, node.config);
  const k2v = createK2vServer({
    k2v: node.k2v,
    config: node.config,
    lookupSecret: async (id) => model.keys.byId(id)?.state.present.secret,
    resolveBucket: async (name, keyId, need) => {
      const key = model.keys.byId(keyId);
      const bucket = model.buckets.resolve(name, key);
      if (!key || !bucket) throw new ApiError('NoSuchBucket');
      const perm = key.state.present.authorizedBuckets.find(([id]) => id === bucket.id.toString('hex'))?.[1];
      if (!perm?.[need]) throw new ApiError('AccessDenied');
      return bucket.id;
    },
  });
  const [s3Url, k2vUrl] = [await listen(s3), await listen(k2v)];
  return {
    ...node,
    s3Url,
    k2vUrl,
    async close() {
      await Promise.all([close(s3), close(k2v)]);
      await node.close();
    },
  };
}
