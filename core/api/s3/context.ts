import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { LiveBucket, Model } from '../../model/index.js';
import type { KeyEntry, KeyParams } from '../../model/key-table.js';
import type { Config } from '../../util/config.js';
import type { Logger } from '../../util/log.js';
import type { RequestBody } from '../common/body.js';
import { ApiError } from '../common/errors.js';

export type AccessKey = KeyEntry & { state: { present: KeyParams } };

/** Everything a handler needs about one authenticated request. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  model: Model;
  config: Config;
  logger: Logger | undefined;
  /** Request headers, plus the x-amz-* ones a presigned URL carried in its query. */
  headers: IncomingHttpHeaders;
  /** Decoded query parameters. */
  query: ReadonlyMap<string, string>;
  /** Bucket name from the path or the Host, if any. */
  bucketName: string | undefined;
  /** Object key (decoded), if any. */
  key: string | undefined;
  accessKey: AccessKey;
  body: RequestBody;
  /** The bucket, resolved and permission-checked, for bucket and object endpoints. */
  bucket: LiveBucket | undefined;
}

export function header(ctx: Pick<RequestContext, 'headers'>, name: string): string | undefined {
  const v = ctx.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** The bucket of a bucket or object endpoint (the router resolved it). */
export function bucketOf(ctx: RequestContext): LiveBucket {
  if (!ctx.bucket) throw new ApiError('NoSuchBucket');
  return ctx.bucket;
}

export function keyOf(ctx: RequestContext): string {
  if (ctx.key === undefined) throw new ApiError('InvalidRequest', 'This operation needs an object key.');
  return ctx.key;
}

/** An integer query parameter within [min, max], or `fallback` when absent. */
export function intParam(ctx: RequestContext, name: string, fallback: number, min: number, max: number): number {
  const raw = ctx.query.get(name);
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ApiError('InvalidArgument', `${name} must be an integer.`);
  const n = Number(raw);
  if (n < min) throw new ApiError('InvalidArgument', `${name} must be at least ${min}.`);
  return Math.min(n, max);
}

/** The owner element S3 puts in listings and ACLs: the access key making the request. */
export function ownerXml(ctx: RequestContext): { ID: string; DisplayName: string } {
  return { ID: ctx.accessKey.id, DisplayName: ctx.accessKey.state.present.name.value };
}

/** Reads a small request body whole (XML configurations, delete lists). */
export async function readSmallBody(ctx: RequestContext, limit = 2 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.body.chunks) {
    size += chunk.length;
    if (size > limit) throw new ApiError('EntityTooLarge', `This request body is limited to ${limit} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
