import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Model } from '../../model/index.js';
import { ModelError, type ModelErrorCode } from '../../model/errors.js';
import type { Config } from '../../util/config.js';
import type { Logger } from '../../util/log.js';
import { requestBody } from '../common/body.js';
import { ApiError, toApiError, type ErrorCode } from '../common/errors.js';
import { newRequestId, parseQuery, percentDecode, sendError, splitTarget } from '../common/http.js';
import { verifySignature } from '../common/signature.js';
import type { AccessKey, RequestContext } from './context.js';
import { rightsOn } from '../../model/permission.js';
import { applyCorsHeaders, preflight } from './cors.js';
import { route } from './router.js';

export interface S3ServerOptions {
  logger?: Logger;
  /** Called once per request when its response is done (or the connection closed). */
  onRequest?: (endpoint: string, status: number, durationMs: number) => void;
}

// Model errors that are S3 errors keep their code; the admin-only ones never reach S3.
const S3_CODES: Partial<Record<ModelErrorCode, ErrorCode>> = {
  AccessDenied: 'AccessDenied',
  BucketAlreadyExists: 'BucketAlreadyExists',
  BucketNotEmpty: 'BucketNotEmpty',
  EntityTooSmall: 'EntityTooSmall',
  InvalidArgument: 'InvalidArgument',
  InvalidBucketName: 'InvalidBucketName',
  InvalidPart: 'InvalidPart',
  InvalidPartOrder: 'InvalidPartOrder',
  InvalidRequest: 'InvalidRequest',
  KeyTooLongError: 'KeyTooLongError',
  NoSuchBucket: 'NoSuchBucket',
  NoSuchKey: 'NoSuchKey',
  NoSuchUpload: 'NoSuchUpload',
  QuotaExceeded: 'QuotaExceeded',
};

function asApiError(err: unknown): ApiError {
  if (err instanceof ModelError) {
    const code = S3_CODES[err.code as ModelErrorCode];
    if (code !== undefined) return new ApiError(code, err.message);
  }
  return toApiError(err);
}

/** Bucket and key of a request: virtual-host style when the Host is a sub-domain of the root domain, else path style. */
export function locate(rawPath: string, host: string | undefined, rootDomain: string | undefined): { bucket: string | undefined; key: string | undefined } {
  const decode = (raw: string) => percentDecode(raw, false).toString('utf8');
  const hostname = host?.replace(/:\d+$/, '').toLowerCase();
  if (rootDomain !== undefined && hostname !== undefined && hostname.endsWith(`.${rootDomain}`)) {
    const key = rawPath.slice(1);
    return { bucket: hostname.slice(0, -rootDomain.length - 1), key: key === '' ? undefined : decode(key) };
  }
  const path = rawPath.slice(1);
  if (path === '') return { bucket: undefined, key: undefined };
  const slash = path.indexOf('/');
  if (slash < 0) return { bucket: decode(path), key: undefined };
  const key = path.slice(slash + 1);
  return { bucket: decode(path.slice(0, slash)), key: key === '' ? undefined : decode(key) };
}

/**
 * The S3 API over node:http: routing (path and virtual-host style), SigV4, permissions,
 * CORS, then one handler per operation. Errors are answered in S3's XML format.
 */
export function createS3Server(model: Model, config: Config, options: S3ServerOptions = {}): Server {
  const { logger, onRequest } = options;
  const region = config.s3.region;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = newRequestId();
    let endpointName = 'Unknown';
    res.setHeader('x-amz-request-id', requestId);
    if (onRequest) res.once('close', () => onRequest(endpointName, res.statusCode, performance.now() - started));
    try {
      const { path, query: rawQuery } = splitTarget(req.url ?? '/');
      const params = parseQuery(rawQuery);
      const query = new Map(params.map((p) => [p.key, p.value]));
      const { bucket: bucketName, key } = locate(path, req.headers.host, config.s3.rootDomain);
      const method = req.method ?? 'GET';
      if (method === 'OPTIONS') {
        endpointName = 'Options';
        await preflight(model, bucketName, req, res);
        return;
      }
      const ep = route(method, bucketName, key, query, req.headers);
      endpointName = ep.name;

      let accessKey: AccessKey | undefined;
      const verified = await verifySignature(
        { method, path, query: params, headers: req.headers },
        {
          region,
          service: 's3',
          lookupSecret: async (id) => {
            accessKey = model.keys.byId(id);
            return accessKey?.state.present.secret;
          },
        },
      );
      if (verified.accessKeyId === undefined || accessKey === undefined) throw new ApiError('AccessDenied', 'Anonymous access is not supported; sign the request.');
      const headers: IncomingHttpHeaders = verified.queryHeaders ? { ...req.headers, ...verified.queryHeaders } : req.headers;
      if (ep.handle === undefined) throw new ApiError('NotImplemented', `${ep.name} is not implemented.`);

      let bucket: RequestContext['bucket'];
      if (bucketName !== undefined && ep.permission !== 'none') {
        bucket = model.buckets.resolve(bucketName, accessKey);
        if (!bucket) throw new ApiError('NoSuchBucket', undefined, { resource: `/${bucketName}` });
        if (!rightsOn(accessKey, bucket)[ep.permission]) throw new ApiError('AccessDenied');
        applyCorsHeaders(bucket, req, res);
      }
      const body = requestBody(req, verified.payload, headers);
      await ep.handle({ req, res, requestId, model, config, logger, headers, query, bucketName, key, accessKey, body, bucket });
    } catch (err) {
      const e = asApiError(err);
      if (e.status >= 500 && e.code !== 'NotImplemented') logger?.error({ err: e.cause ?? err, endpoint: endpointName, requestId }, 's3 request failed');
      sendError(res, e, requestId);
    }
  }

  return createServer((req, res) => {
    void handle(req, res);
  });
}
