/**
 * An in-process K2V server on 127.0.0.1:0 over a fresh temp dir, with a fixed bucket and
 * two keys injected through resolveBucket / lookupSecret (the K2V layer's own tests do
 * not need the bucket model), and a request helper signed by the AWS SDK's signer so the
 * server's SigV4 check is tested against an independent implementation.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { ApiError } from '../../../../../core/api/common/errors.js';
import { createK2vServer } from '../../../../../core/api/k2v/server.js';
import { Db } from '../../../../../core/db/index.js';
import { K2vService } from '../../../../../core/model/k2v/index.js';
import { configFromToml } from '../../../../../core/util/config.js';

export const BUCKET = 'k2v-test';
export const REGION = 'garage';

export interface TestKey {
  accessKeyId: string;
  secretAccessKey: string;
}

export const RW_KEY: TestKey = { accessKeyId: `GK${'1'.repeat(24)}`, secretAccessKey: 'a'.repeat(64) };
export const RO_KEY: TestKey = { accessKeyId: `GK${'2'.repeat(24)}`, secretAccessKey: 'b'.repeat(64) };

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON (undefined if empty). */
  json<T = unknown>(): T;
}

export interface K2vRequest {
  method: string;
  /** Path after the bucket: '' or a partition key (encoded here, slashes included). */
  pk?: string;
  /** The path exactly as sent, instead of bucket and pk. */
  rawPath?: string;
  bucket?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer | string | unknown[] | Record<string, unknown>;
  key?: TestKey | null;
  /** Aborting it resets the connection (a client going away). */
  signal?: AbortSignal;
}

export interface K2vTestServer {
  url: string;
  port: number;
  k2v: K2vService;
  bucketId: Buffer;
  /** Status codes of every request the server answered (onRequest). */
  answered: Array<{ endpoint: string; status: number }>;
  send(req: K2vRequest): Promise<Reply>;
  close(): Promise<void>;
}

export async function startK2vServer(options: { fsync?: boolean } = {}): Promise<K2vTestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'aero-k2v-http-'));
  const db = Db.open({ path: join(dir, 'db'), fsync: options.fsync ?? false });
  const k2v = new K2vService({ db, nodeId: randomBytes(32).toString('hex') });
  const config = configFromToml({ metadata_dir: dir, rpc_secret: 'c'.repeat(64), admin: { admin_token: 'x' } }, dir);
  const bucketId = randomBytes(32);
  const answered: K2vTestServer['answered'] = [];
  const server: Server = createK2vServer({
    k2v,
    config,
    lookupSecret: async (id) => [RW_KEY, RO_KEY].find((k) => k.accessKeyId === id)?.secretAccessKey,
    resolveBucket: async (name, keyId, need) => {
      if (name !== BUCKET) throw new ApiError('NoSuchBucket');
      if (need === 'write' && keyId === RO_KEY.accessKeyId) throw new ApiError('AccessDenied', 'this key may only read');
      return bucketId;
    },
    onRequest: (endpoint, status) => answered.push({ endpoint, status }),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const send = async (req: K2vRequest): Promise<Reply> => {
    const body =
      req.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(req.body) ? req.body : Buffer.from(typeof req.body === 'string' ? req.body : JSON.stringify(req.body));
    const bucket = req.bucket ?? BUCKET;
    const path = req.rawPath ?? `/${encodeURIComponent(bucket)}${req.pk === undefined ? '' : `/${encodeURIComponent(req.pk)}`}`;
    let headers: Record<string, string> = { host: `127.0.0.1:${port}`, ...req.headers };
    const key = req.key === undefined ? RW_KEY : req.key;
    if (key !== null) {
      const signer = new SignatureV4({ service: 'k2v', region: REGION, credentials: key, sha256: Sha256 });
      const signed = await signer.sign({ method: req.method, protocol: 'http:', hostname: '127.0.0.1', port, path, query: req.query ?? {}, headers, body });
      headers = signed.headers as Record<string, string>;
    }
    const qs = Object.entries(req.query ?? {})
      .map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
      .join('&');
    return new Promise((resolve, reject) => {
      const target = { host: '127.0.0.1', port, method: req.method, path: qs ? `${path}?${qs}` : path, headers, ...(req.signal ? { signal: req.signal } : {}) };
      const r = request(target, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: buf,
            json: <T>() => (buf.length ? JSON.parse(buf.toString('utf8')) : undefined) as T,
          });
        });
      });
      r.on('error', reject);
      r.end(body);
    });
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    k2v,
    bucketId,
    answered,
    send,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
