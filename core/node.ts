import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAdminServer } from './api/admin/server.js';
import { ApiError } from './api/common/errors.js';
import { createK2vServer } from './api/k2v/server.js';
import { createS3Server } from './api/s3/server.js';
import { createWebServer } from './api/web/server.js';
import { BlockManager } from './block/index.js';
import { Db } from './db/index.js';
import { Model } from './model/index.js';
import { K2vService } from './model/k2v/index.js';
import { LifecycleWorker } from './model/lifecycle-worker.js';
import { rightsOn } from './model/permission.js';
import { parseBindAddr, type Config } from './util/config.js';
import type { Logger } from './util/log.js';
import { ApiMetrics, Registry } from './util/metrics.js';
import { loadOrCreateNodeKey } from './util/node-key.js';

export const VERSION = '0.1.0';

/** A running node: its services and how to stop it. */
export interface RunningNode {
  id: string;
  model: Model;
  k2v: K2vService;
  /** Bound addresses by API name ("s3", "admin"), as host:port. */
  addresses: Record<string, string>;
  stop(): Promise<void>;
}

function listen(server: Server, bindAddr: string): Promise<string> {
  const { host, port } = parseBindAddr(bindAddr);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      resolve(`${addr.address}:${addr.port}`);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Assembles one node from its configuration: database, blocks, model and HTTP APIs. */
export async function startNode(config: Config, logger: Logger): Promise<RunningNode> {
  const nodeKey = loadOrCreateNodeKey(config.metadataDir);
  const db = Db.open({ path: join(config.metadataDir, 'db'), fsync: config.metadataFsync, mapSize: config.lmdbMapSize });
  let blocks: BlockManager;
  try {
    blocks = new BlockManager(db, { dataDir: config.dataDir, fsync: config.dataFsync, gcDelayMs: config.blockGcDelayMs });
    await blocks.ready;
  } catch (err) {
    await db.close();
    throw err;
  }
  const model = new Model({ db, blocks, config });
  const registry = new Registry();
  const startedAt = Date.now();
  registry.gauge('garage_replication_factor', 'Replication factor', () => config.replicationFactor);
  registry.gauge('cluster_healthy', 'Whether all storage nodes are up (1) or not (0)', () => 1);
  registry.gauge('process_uptime_seconds', 'Seconds since the node started', () => (Date.now() - startedAt) / 1000);

  const s3Metrics = new ApiMetrics(registry, 's3');
  const s3 = createS3Server(model, config, {
    logger: logger.child({ api: 's3' }),
    onRequest: (endpoint, status, durationMs) => s3Metrics.record(endpoint, status, durationMs),
  });
  const webMetrics = new ApiMetrics(registry, 'web', 'web');
  const web = createWebServer(model, config, {
    logger: logger.child({ api: 'web' }),
    onRequest: (method, status, durationMs) => webMetrics.record(method, status, durationMs),
  });
  const lifecycle = new LifecycleWorker({ lifecycle: model.lifecycle, db, logger: logger.child({ worker: 'lifecycle' }) });
  const k2vMetrics = new ApiMetrics(registry, 'k2v');
  const k2vService = new K2vService({ db, nodeId: nodeKey.id });
  const k2v = createK2vServer({
    k2v: k2vService,
    config,
    logger: logger.child({ api: 'k2v' }),
    onRequest: (endpoint, status, durationMs) => k2vMetrics.record(endpoint, status, durationMs),
    lookupSecret: async (id) => model.keys.byId(id)?.state.present.secret,
    resolveBucket: async (name, keyId, need) => {
      const key = model.keys.byId(keyId);
      const bucket = model.buckets.resolve(name, key);
      if (!key || !bucket) throw new ApiError('NoSuchBucket');
      if (!rightsOn(key, bucket)[need]) throw new ApiError('AccessDenied');
      return bucket.id;
    },
  });
  const admin = createAdminServer({
    model,
    adminToken: config.admin.adminToken,
    metricsToken: config.admin.metricsToken,
    registry,
    metrics: new ApiMetrics(registry, 'admin'),
    logger: logger.child({ api: 'admin' }),
    status: () => ({
      node: nodeKey.id,
      version: VERSION,
      dbEngine: 'lmdb',
      replicationFactor: config.replicationFactor,
      nodes: [{ id: nodeKey.id, addr: config.rpcBindAddr, isUp: true, lastSeenSecsAgo: 0, role: { zone: 'local', capacity: null, tags: [] } }],
    }),
    repairs: { rebalance: () => blocks.rebalance(), lifecycle: () => lifecycle.runNow() },
  });

  const servers: Array<[string, Server, string]> = [
    ['s3', s3, config.s3.bindAddr],
    ['web', web, config.web.bindAddr],
    ['k2v', k2v, config.k2v.bindAddr],
    ['admin', admin, config.admin.bindAddr],
  ];
  const addresses: Record<string, string> = {};
  try {
    for (const [api, server, bindAddr] of servers) {
      addresses[api] = await listen(server, bindAddr);
      logger.info({ api, addr: addresses[api] }, 'listening');
    }
  } catch (err) {
    await Promise.all(servers.map(([, s]) => close(s)));
    await db.close();
    throw err;
  }
  blocks.startGc(60_000, (err) => logger.error({ err }, 'block garbage collection failed'));
  lifecycle.start();

  return {
    id: nodeKey.id,
    model,
    k2v: k2vService,
    addresses,
    async stop() {
      blocks.stop();
      await Promise.all(servers.map(([, s]) => close(s)));
      await lifecycle.stop();
      await db.close();
    },
  };
}
