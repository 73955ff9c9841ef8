/**
 * A storage node for the mail tests and the mail benchmark: one in-process core over a
 * fresh temp dir, reached through the EMBEDDED port (direct calls) or the HTTP port
 * (S3 + K2V servers on 127.0.0.1 with SigV4), one bucket per user as in production.
 * No vitest here: test/bench/mail.ts uses it from plain Node.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../../core/api/common/errors.js';
import { createK2vServer } from '../../../core/api/k2v/server.js';
import { createS3Server } from '../../../core/api/s3/server.js';
import { BlockManager } from '../../../core/block/index.js';
import { EmbeddedBlobStore, EmbeddedK2vStore, HttpBlobStore, HttpK2vStore } from '../../../core/client/index.js';
import { Db } from '../../../core/db/index.js';
import { Model } from '../../../core/model/index.js';
import { K2vService } from '../../../core/model/k2v/index.js';
import { configFromToml } from '../../../core/util/config.js';
import type { UserStorage } from '../../../mail/store/storage.js';

export type PortKind = 'embedded' | 'http';

export interface MailNode {
  port: PortKind;
  /** Holds meta/ (LMDB) and data/ (blocks): every byte the node stored. */
  dir: string;
  /** The storage of `bucket` (created on first use); each call gives independent port objects. */
  storage(bucket: string): Promise<UserStorage>;
  close(): Promise<void>;
}

export interface MailNodeOptions {
  port: PortKind;
  /** fsync metadata and blocks (durable writes, as in production); default false. */
  fsync?: boolean;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startMailNode(opts: MailNodeOptions): Promise<MailNode> {
  const fsync = opts.fsync ?? false;
  const dir = mkdtempSync(join(tmpdir(), 'aero-mail-'));
  const config = configFromToml(
    { metadata_dir: join(dir, 'meta'), data_dir: join(dir, 'data'), metadata_fsync: fsync, data_fsync: fsync, rpc_secret: 'd'.repeat(64), admin: { admin_token: 'x' } },
    dir,
  );
  const db = Db.open({ path: join(dir, 'meta', 'db'), fsync });
  const blocks = new BlockManager(db, { dataDir: join(dir, 'data'), fsync, gcDelayMs: config.blockGcDelayMs });
  const model = new Model({ db, blocks, config });
  const k2v = new K2vService({ db, nodeId: randomBytes(32).toString('hex') });
  const key = await model.createKey('mail-tests');
  const buckets = new Map<string, Promise<Buffer>>();
  const bucketId = (name: string): Promise<Buffer> => {
    let id = buckets.get(name);
    if (id === undefined) {
      id = (async () => {
        const info = await model.createBucket(name);
        await model.allowKey(info.id, key.id, { read: true, write: true, owner: true });
        return Buffer.from(info.id, 'hex');
      })();
      buckets.set(name, id);
    }
    return id;
  };

  const servers: Server[] = [];
  const clients: { close(): void }[] = [];
  let urls: { s3: string; k2v: string } | undefined;
  if (opts.port === 'http') {
    const s3 = createS3Server(model, config);
    const k2vServer = createK2vServer({
      k2v,
      config,
      lookupSecret: async (id) => model.keys.byId(id)?.state.present.secret,
      resolveBucket: async (name, keyId, need) => {
        const k = model.keys.byId(keyId);
        const bucket = model.buckets.resolve(name, k);
        if (!k || !bucket) throw new ApiError('NoSuchBucket');
        const perm = k.state.present.authorizedBuckets.find(([id]) => id === bucket.id.toString('hex'))?.[1];
        if (!perm?.[need]) throw new ApiError('AccessDenied');
        return bucket.id;
      },
    });
    servers.push(s3, k2vServer);
    urls = { s3: await listen(s3), k2v: await listen(k2vServer) };
  }

  return {
    port: opts.port,
    dir,
    async storage(bucket) {
      const id = await bucketId(bucket);
      if (urls === undefined) return { k2v: new EmbeddedK2vStore(k2v, id), blobs: new EmbeddedBlobStore(model.objects, id) };
      const target = { region: config.s3.region, credentials: { accessKeyId: key.id, secretAccessKey: key.secretKey }, bucket };
      const http = { k2v: new HttpK2vStore({ ...target, endpoint: urls.k2v }), blobs: new HttpBlobStore({ ...target, endpoint: urls.s3 }) };
      clients.push(http.k2v, http.blobs);
      return http;
    },
    async close() {
      for (const c of clients) c.close();
      await Promise.all(servers.map(stop));
      blocks.stop();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
