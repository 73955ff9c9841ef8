import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { BucketInfo, KeyInfo, Model } from '../../model/index.js';
import type { Logger } from '../../util/log.js';
import type { ApiMetrics, Registry } from '../../util/metrics.js';
import { AeroError } from '../../util/errors.js';
import { parseBucketUpdate } from './bucket-update.js';
import { AdminError } from './errors.js';

/**
 * The admin HTTP API (Garage's v1 shape, JSON, camelCase): health, keys, buckets,
 * permissions and Prometheus metrics. Everything but /health and /metrics needs
 * `Authorization: Bearer <admin_token>`.
 */
export interface AdminServerOptions {
  model: Model;
  adminToken: string;
  metricsToken: string | undefined;
  registry: Registry;
  metrics: ApiMetrics;
  logger: Logger;
  status: () => Record<string, unknown>;
  /** Maintenance operations `POST /v1/repair {repairType}` runs, by name; each resolves with what it did. */
  repairs: Readonly<Record<string, () => Promise<object>>>;
}

type Json = Record<string, unknown> | unknown[];

function keyJson(k: KeyInfo, showSecret: boolean): Json {
  return {
    accessKeyId: k.id,
    name: k.name,
    ...(showSecret ? { secretAccessKey: k.secretKey } : {}),
    permissions: { createBucket: k.allowCreateBucket },
    buckets: k.buckets.map((b) => ({
      id: b.id,
      globalAliases: b.globalAliases,
      localAliases: b.localAliases,
      permissions: { read: b.read, write: b.write, owner: b.owner },
    })),
  };
}

function bucketJson(b: BucketInfo): Json {
  return {
    id: b.id,
    globalAliases: b.globalAliases,
    localAliases: b.localAliases,
    createdAt: b.createdAt.toISOString(),
    keys: b.keys.map((k) => ({
      accessKeyId: k.id,
      name: k.name,
      permissions: { read: k.read, write: k.write, owner: k.owner },
    })),
    objects: Number(b.objects),
    bytes: Number(b.bytes),
    unfinishedUploads: Number(b.unfinishedUploads),
    websiteAccess: b.website !== null,
    websiteConfig: b.website,
    quotas: {
      maxSize: b.quotas.maxSize === null ? null : Number(b.quotas.maxSize),
      maxObjects: b.quotas.maxObjects === null ? null : Number(b.quotas.maxObjects),
    },
  };
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new AdminError(413, 'PayloadTooLarge', 'request body over 1 MiB');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new AdminError(400, 'InvalidRequest', `body is not a JSON object: ${(err as Error).message}`);
  }
}

function requireString(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  if (typeof v !== 'string' || v === '') throw new AdminError(400, 'InvalidRequest', `field "${field}" (a string) is required`);
  return v;
}

function permissions(body: Record<string, unknown>): { read: boolean; write: boolean; owner: boolean } {
  const p = body['permissions'];
  if (typeof p !== 'object' || p === null) throw new AdminError(400, 'InvalidRequest', 'field "permissions" ({read, write, owner}) is required');
  const flags = p as Record<string, unknown>;
  return { read: flags['read'] === true, write: flags['write'] === true, owner: flags['owner'] === true };
}

export function createAdminServer(options: AdminServerOptions): Server {
  const { model, logger } = options;

  async function findKey(params: URLSearchParams): Promise<KeyInfo> {
    const query = params.get('id') ?? params.get('search');
    if (!query) throw new AdminError(400, 'InvalidRequest', 'give ?id=KEY_ID or ?search=NAME');
    const key = await model.getKey(query);
    if (!key) throw new AdminError(404, 'NoSuchAccessKey', `no access key matches "${query}"`);
    return key;
  }

  async function findBucket(params: URLSearchParams): Promise<BucketInfo> {
    const query = params.get('id') ?? params.get('globalAlias');
    if (!query) throw new AdminError(400, 'InvalidRequest', 'give ?id=BUCKET_ID or ?globalAlias=NAME');
    const bucket = await model.getBucket(query);
    if (!bucket) throw new AdminError(404, 'NoSuchBucket', `no bucket matches "${query}"`);
    return bucket;
  }

  /** Routes one authenticated request; returns [status, JSON body or null]. */
  async function route(method: string, path: string, params: URLSearchParams, req: IncomingMessage): Promise<[string, number, Json | null]> {
    const body = method === 'POST' || method === 'PUT' ? await readJson(req) : {};
    switch (`${method} ${path}`) {
      case 'GET /v1/status':
        return ['GetClusterStatus', 200, options.status()];
      case 'GET /v1/key':
        if (params.has('id') || params.has('search')) {
          return ['GetKeyInfo', 200, keyJson(await findKey(params), params.get('showSecretKey') === 'true')];
        }
        return ['ListKeys', 200, (await model.listKeys()).map((k) => ({ id: k.id, name: k.name }))];
      case 'POST /v1/key':
        if (params.has('id')) {
          const key = await findKey(params);
          const allow = body['allow'] as { createBucket?: boolean } | undefined;
          const deny = body['deny'] as { createBucket?: boolean } | undefined;
          if (allow?.createBucket) await model.setKeyAllowCreateBucket(key.id, true);
          if (deny?.createBucket) await model.setKeyAllowCreateBucket(key.id, false);
          return ['UpdateKey', 200, keyJson((await model.getKey(key.id))!, false)];
        }
        return ['CreateKey', 200, keyJson(await model.createKey(typeof body['name'] === 'string' ? body['name'] : 'Unnamed key'), true)];
      case 'POST /v1/key/import': {
        const key = await model.importKey(requireString(body, 'accessKeyId'), requireString(body, 'secretAccessKey'), typeof body['name'] === 'string' ? body['name'] : 'Imported key');
        return ['ImportKey', 200, keyJson(key, false)];
      }
      case 'DELETE /v1/key':
        await model.deleteKey((await findKey(params)).id);
        return ['DeleteKey', 204, null];
      case 'GET /v1/bucket':
        if (params.has('id') || params.has('globalAlias')) return ['GetBucketInfo', 200, bucketJson(await findBucket(params))];
        return ['ListBuckets', 200, (await model.listBuckets()).map(bucketJson)];
      case 'POST /v1/bucket':
        return ['CreateBucket', 200, bucketJson(await model.createBucket(requireString(body, 'globalAlias')))];
      case 'PUT /v1/bucket':
        return ['UpdateBucket', 200, bucketJson(await model.updateBucket((await findBucket(params)).id, parseBucketUpdate(body)))];
      case 'POST /v1/repair': {
        const type = requireString(body, 'repairType');
        const repair = options.repairs[type];
        if (!repair) throw new AdminError(400, 'InvalidRequest', `unknown repairType "${type}"; known: ${Object.keys(options.repairs).join(', ')}`);
        return ['LaunchRepairOperation', 200, { repairType: type, ...(await repair()) }];
      }
      case 'DELETE /v1/bucket':
        await model.deleteBucket((await findBucket(params)).id);
        return ['DeleteBucket', 204, null];
      case 'POST /v1/bucket/allow':
      case 'POST /v1/bucket/deny': {
        const bucketId = requireString(body, 'bucketId');
        const keyId = requireString(body, 'accessKeyId');
        const perms = permissions(body);
        const allow = path.endsWith('allow');
        if (allow) await model.allowKey(bucketId, keyId, perms);
        else await model.denyKey(bucketId, keyId, perms);
        return [allow ? 'AllowBucketKey' : 'DenyBucketKey', 200, bucketJson((await model.getBucket(bucketId))!)];
      }
      default:
        throw new AdminError(404, 'NotFound', `no admin endpoint ${method} ${path}`);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://admin');
    const method = req.method ?? 'GET';
    let endpoint = 'Unknown';
    const send = (status: number, contentType: string, payload: string) => {
      res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
      options.metrics.record(endpoint, status, performance.now() - started);
    };
    try {
      if (url.pathname === '/health' && method === 'GET') {
        endpoint = 'Health';
        return send(200, 'text/plain', 'healthy\n');
      }
      if (url.pathname === '/metrics' && method === 'GET') {
        endpoint = 'Metrics';
        if (options.metricsToken !== undefined && !tokenMatches(req.headers.authorization, options.metricsToken)) {
          throw new AdminError(403, 'Forbidden', 'invalid or missing metrics token (Authorization: Bearer <metrics_token>)');
        }
        return send(200, 'text/plain; version=0.0.4', options.registry.render());
      }
      if (!tokenMatches(req.headers.authorization, options.adminToken)) {
        throw new AdminError(403, 'Forbidden', 'invalid or missing admin token (Authorization: Bearer <admin_token>)');
      }
      const [name, status, json] = await route(method, url.pathname, url.searchParams, req);
      endpoint = name;
      if (json === null) {
        res.writeHead(status);
        res.end();
        options.metrics.record(endpoint, status, performance.now() - started);
        return;
      }
      return send(status, 'application/json', `${JSON.stringify(json, null, 2)}\n`);
    } catch (err) {
      const status = err instanceof AdminError ? err.status : typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 500;
      const code = err instanceof AeroError ? err.code : 'InternalError';
      if (status >= 500) logger.error({ err, path: url.pathname }, 'admin request failed');
      return send(status, 'application/json', `${JSON.stringify({ code, message: (err as Error).message, path: url.pathname })}\n`);
    }
  }

  return createServer((req, res) => {
    void handle(req, res);
  });
}
