/**
 * The K2V HTTP API (Garage's, all nine endpoints), on its own port: SigV4 with service
 * "k2v", bucket name in the path, JSON errors {code, message, region, path}.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { K2vService } from '../../model/k2v/index.js';
import type { Config } from '../../util/config.js';
import type { Logger } from '../../util/log.js';
import { ApiError } from '../common/errors.js';
import { parseQuery, splitTarget } from '../common/http.js';
import { verifySignature } from '../common/signature.js';
import { deleteBatch, insertBatch, pollRange, readBatch } from './batch.js';
import { discardBody, readBody } from './body.js';
import type { K2vHandler } from './call.js';
import { toK2vApiError } from './errors.js';
import { deleteItem, insertItem, pollItem, readItem } from './item.js';
import { readIndex } from './read-index.js';
import { errorResponse, sendResponse, type K2vResponse } from './response.js';
import { permissionOf, routeK2v, type K2vEndpoint } from './router.js';

export interface K2vServerDeps {
  k2v: K2vService;
  /**
   * The id of the bucket `name` designates for this key, provided the key has `need` on
   * it. Refusals: throw an ApiError, or any AeroError coded NoSuchBucket or AccessDenied.
   */
  resolveBucket: (name: string, accessKeyId: string, need: 'read' | 'write') => Promise<Buffer>;
  /** The secret of an access key, undefined if there is no such key. */
  lookupSecret: (accessKeyId: string) => Promise<string | undefined>;
  /** The region signatures must name is config.s3.region (K2V has none of its own). */
  config: Config;
  logger?: Logger;
  /** Called once per request after the response was written (metrics). */
  onRequest?: (endpoint: string, status: number, durationMs: number) => void;
}

/** A refused request's body is read and dropped up to this size; beyond it the connection is closed. */
const MAX_DISCARDED_BYTES = 8 * 1024 * 1024;

const HANDLERS: Readonly<Record<K2vEndpoint, K2vHandler>> = {
  ReadItem: readItem,
  PollItem: pollItem,
  InsertItem: insertItem,
  DeleteItem: deleteItem,
  ReadIndex: readIndex,
  InsertBatch: insertBatch,
  ReadBatch: readBatch,
  DeleteBatch: deleteBatch,
  PollRange: pollRange,
};

/** A node:http server answering the K2V API; the caller listens and closes it. */
export function createK2vServer(deps: K2vServerDeps): Server {
  return createServer((req, res) => void handle(deps, req, res));
}

/** Aborts when the response's connection closes: ends a long poll whose client went away. */
function clientGone(res: ServerResponse): AbortSignal {
  const gone = new AbortController();
  if (res.socket === null || res.socket.destroyed) gone.abort();
  else res.once('close', () => gone.abort());
  return gone.signal;
}

async function handle(deps: K2vServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  const region = deps.config.s3.region;
  const { path, query } = splitTarget(req.url ?? '/');
  let endpoint = 'Unknown';
  let response: K2vResponse;
  try {
    const params = parseQuery(query);
    const route = routeK2v(req.method ?? '', path, params);
    endpoint = route.endpoint;
    const verified = await verifySignature(
      { method: req.method ?? '', path, query: params, headers: req.headers },
      { region, service: 'k2v', lookupSecret: deps.lookupSecret },
    );
    if (verified.accessKeyId === undefined) throw new ApiError('AccessDenied', 'K2V does not support anonymous access.');
    const bucketId = await deps.resolveBucket(route.bucket, verified.accessKeyId, permissionOf(route.endpoint));
    response = await HANDLERS[route.endpoint]({
      k2v: deps.k2v,
      bucketId,
      route,
      headers: req.headers,
      body: (maxBytes) => readBody(req, verified.payload, maxBytes),
      signal: () => clientGone(res),
    });
  } catch (err) {
    const apiError = toK2vApiError(err);
    if (apiError.status >= 500) deps.logger?.error({ err, endpoint }, 'K2V request failed');
    else deps.logger?.debug({ code: apiError.code, message: apiError.message, endpoint }, 'K2V request refused');
    response = errorResponse(apiError, region, path);
    if (!(await discardBody(req, MAX_DISCARDED_BYTES))) response = { ...response, headers: { ...response.headers, connection: 'close' } };
  }
  if (!res.destroyed && !res.writableEnded) sendResponse(res, response);
  deps.onRequest?.(endpoint, response.status, performance.now() - started);
}
