import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LiveBucket, Model, WebsiteConfig } from '../../model/index.js';
import type { Config } from '../../util/config.js';
import type { Logger } from '../../util/log.js';
import { ApiError, toApiError } from '../common/errors.js';
import { splitTarget } from '../common/http.js';
import { applyCorsHeaders, bucketPreflight } from '../s3/cors.js';
import { sendObject, type ObjectRequest } from '../s3/get.js';
import { bucketNameOf, hostnameOf, webTarget } from './target.js';

export interface WebServerOptions {
  logger?: Logger;
  /** Called once per request when its response is done (or the connection closed), with the method as endpoint. */
  onRequest?: (endpoint: string, status: number, durationMs: number) => void;
}

const NO_QUERY: ReadonlyMap<string, string> = new Map();

/** Answers an error as plain text (a website visitor is no S3 client); HEAD and 304 get no body. */
function sendPlainError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = err.status === 304 || res.req.method === 'HEAD' ? '' : `${err.code}: ${err.message}\n`;
  res.writeHead(err.status, { ...err.headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function redirect(res: ServerResponse, status: 301 | 302, location: string): void {
  res.writeHead(status, { location, 'content-length': 0 });
  res.end();
}

/**
 * The static website endpoint ([s3_web]): GET and HEAD of the objects of buckets with
 * website access, found by Host (`<bucket>.<root_domain>` or a global alias), without
 * signatures; OPTIONS preflights against the bucket's CORS rules. A bucket that does
 * not exist or serves no website is the same 404, and nothing is ever listed.
 */
export function createWebServer(model: Model, config: Config, options: WebServerOptions = {}): Server {
  const { logger, onRequest } = options;

  function site(req: IncomingMessage): { bucket: LiveBucket; website: WebsiteConfig } {
    const bucket = model.buckets.byGlobalAlias(bucketNameOf(hostnameOf(req.headers.host), config.web.rootDomain));
    const website = bucket?.state.present.website.value;
    if (!bucket || !website) throw new ApiError('NoSuchBucket', 'No website is served at this address.');
    return { bucket, website };
  }

  /** The page for a GET or HEAD: the object, a redirect, or (GET with a 4xx) the error document with the error's status. */
  async function page(req: IncomingMessage, res: ServerResponse, bucket: LiveBucket, website: WebsiteConfig): Promise<void> {
    const target = webTarget(splitTarget(req.url ?? '/').path, website.indexDocument);
    const io: ObjectRequest = { req, res, model, headers: req.headers, query: NO_QUERY };
    try {
      const version = await model.objects.head(bucket.id, target.key);
      if (version === undefined) {
        if (target.directory && (await model.objects.head(bucket.id, target.directory.index))) return redirect(res, 302, target.directory.location);
        throw new ApiError('NoSuchKey', 'This page does not exist.');
      }
      applyCorsHeaders(bucket, req, res);
      const moved = version.meta.headers.find(([name]) => name === 'x-amz-website-redirect-location')?.[1];
      if (moved !== undefined) return redirect(res, 301, moved);
      await sendObject(io, version);
    } catch (err) {
      const e = toApiError(err);
      const errorDocument = website.errorDocument?.replace(/^\/+/, '');
      if (req.method !== 'GET' || e.status < 400 || e.status >= 500 || errorDocument === undefined || res.headersSent) throw e;
      const doc = await model.objects.head(bucket.id, errorDocument);
      if (!doc) throw e;
      // The request's conditions and range were about the missing page, not the error document.
      await sendObject({ ...io, headers: {} }, doc, e.status);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = req.method ?? 'GET';
    if (onRequest) res.once('close', () => onRequest(method, res.statusCode, performance.now() - started));
    try {
      const { bucket, website } = site(req);
      if (method === 'OPTIONS') return bucketPreflight(bucket.state.present.cors.value ?? [], req, res);
      if (method !== 'GET' && method !== 'HEAD') throw new ApiError('MethodNotAllowed', 'A website only answers GET, HEAD and OPTIONS.', { headers: { allow: 'GET, HEAD, OPTIONS' } });
      await page(req, res, bucket, website);
    } catch (err) {
      const e = toApiError(err);
      if (e.status >= 500) logger?.error({ err: e.cause ?? err, host: req.headers.host, url: req.url }, 'web request failed');
      sendPlainError(res, e);
    }
  }

  return createServer((req, res) => {
    void handle(req, res);
  });
}
