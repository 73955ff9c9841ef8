/**
 * An in-process S3 server for integration tests: a fresh temp dir, Db + BlockManager +
 * Model + createS3Server on 127.0.0.1 port 0, one key allowed to create buckets, one
 * bucket it owns, and helpers for SDK clients and raw signed requests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { createS3Server } from '../../../../../core/api/s3/server.js';
import { BlockManager } from '../../../../../core/block/index.js';
import { Db } from '../../../../../core/db/index.js';
import { Model, type KeyInfo } from '../../../../../core/model/index.js';
import { configFromToml, type Config } from '../../../../../core/util/config.js';
import { objectPath, SigV4Signer } from '../../../../helpers/sigv4.js';

export const REGION = 'garage';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RawRequest {
  method: string;
  bucket?: string;
  key?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Sign with these credentials (default: the harness key); null sends no signature. */
  credentials?: { accessKeyId: string; secretAccessKey: string } | null;
  /** Payload hash to sign (default: UNSIGNED-PAYLOAD). */
  payloadHash?: string;
  /** Virtual-host style: the bucket goes in this Host header instead of the path. */
  vhost?: string;
}

export interface S3Harness {
  endpoint: string;
  host: string;
  model: Model;
  db: Db;
  blocks: BlockManager;
  config: Config;
  /** The key the default client uses (may create buckets; owns `bucket`). */
  key: KeyInfo;
  bucket: string;
  bucketId: string;
  client: S3Client;
  newClient(credentials?: { accessKeyId: string; secretAccessKey: string }, extra?: Partial<S3ClientConfig>): S3Client;
  /** A signed request over node:http (or unsigned with credentials: null). */
  raw(req: RawRequest): Promise<RawResponse>;
  close(): Promise<void>;
}

export async function startS3(options: { toml?: Record<string, unknown>; bucket?: string } = {}): Promise<S3Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'aero-s3-'));
  const config = configFromToml(
    {
      metadata_dir: join(dir, 'meta'),
      data_dir: join(dir, 'data'),
      metadata_fsync: false,
      data_fsync: false,
      ...options.toml,
      s3_api: { s3_region: REGION, ...((options.toml?.['s3_api'] as Record<string, unknown>) ?? {}) },
    },
    dir,
  );
  const db = Db.open({ path: config.metadataDir, fsync: config.metadataFsync });
  const blocks = new BlockManager(db, { dataDir: config.dataDir, fsync: config.dataFsync, gcDelayMs: config.blockGcDelayMs });
  const model = new Model({ db, blocks, config });
  const server: Server = createS3Server(model, config);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const host = `127.0.0.1:${port}`;
  const endpoint = `http://${host}`;

  const created = await model.createKey('test key');
  await model.setKeyAllowCreateBucket(created.id, true);
  const bucket = options.bucket ?? 'test-bucket';
  const info = await model.createBucket(bucket);
  await model.allowKey(info.id, created.id, { read: true, write: true, owner: true });
  const key = (await model.getKey(created.id))!;

  const clients: S3Client[] = [];
  const newClient = (credentials = { accessKeyId: key.id, secretAccessKey: key.secretKey }, extra: Partial<S3ClientConfig> = {}) => {
    const client = new S3Client({ endpoint, region: REGION, forcePathStyle: true, credentials, maxAttempts: 1, ...extra });
    clients.push(client);
    return client;
  };

  const raw = (r: RawRequest): Promise<RawResponse> => {
    const creds = r.credentials === undefined ? { accessKeyId: key.id, secretAccessKey: key.secretKey } : r.credentials;
    const vhostPath = r.key === undefined ? '/' : objectPath('', r.key).slice(1);
    const path = r.vhost !== undefined ? vhostPath : r.bucket === undefined ? '/' : objectPath(r.bucket, r.key);
    const hostHeader = r.vhost ?? host;
    let headers: Record<string, string> = { ...(r.headers ?? {}), host: hostHeader };
    let pathWithQuery = path;
    const query = r.query ?? {};
    if (creds) {
      const signed = new SigV4Signer(creds.accessKeyId, creds.secretAccessKey, REGION).sign({
        method: r.method,
        path,
        query,
        host: hostHeader,
        headers: r.headers ?? {},
        payloadHash: r.payloadHash ?? 'UNSIGNED-PAYLOAD',
      });
      headers = signed.headers;
      pathWithQuery = signed.pathWithQuery;
    } else if (Object.keys(query).length > 0) {
      pathWithQuery += `?${new URLSearchParams(query).toString()}`;
    }
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: r.method, path: pathWithQuery, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(r.body);
    });
  };

  return {
    endpoint,
    host,
    model,
    db,
    blocks,
    config,
    key,
    bucket,
    bucketId: info.id,
    client: newClient(),
    newClient,
    raw,
    async close() {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The <Code> of an S3 XML error body. */
export function errorCode(body: Buffer): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(body.toString('utf8'))?.[1];
}
