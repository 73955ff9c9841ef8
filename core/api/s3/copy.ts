import type { LiveBucket } from '../../model/index.js';
import type { ObjectVersionView } from '../../model/objects.js';
import { ApiError } from '../common/errors.js';
import { percentDecode, sendXml } from '../common/http.js';
import { xmlDocument } from '../common/xml.js';
import { dateOf, evaluateConditions } from './conditions.js';
import { bucketOf, header, keyOf, type RequestContext } from './context.js';
import { rightsOn } from '../../model/permission.js';
import { storedHeaders } from './object-headers.js';

export interface CopySource {
  bucket: LiveBucket;
  key: string;
  version: ObjectVersionView;
}

/**
 * The object x-amz-copy-source names ("bucket/key", URL-encoded, optional leading "/"
 * and "?versionId=null"), readable by the key, passing the x-amz-copy-source-if-* checks.
 */
export async function copySource(ctx: RequestContext): Promise<CopySource> {
  const raw = header(ctx, 'x-amz-copy-source') ?? '';
  const q = raw.indexOf('?');
  const path = percentDecode(q < 0 ? raw : raw.slice(0, q), false).toString('utf8').replace(/^\//, '');
  const versionId = q < 0 ? undefined : new URLSearchParams(raw.slice(q + 1)).get('versionId');
  if (versionId !== undefined && versionId !== null && versionId !== 'null') throw new ApiError('InvalidArgument', 'Invalid version id specified');
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) throw new ApiError('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
  const bucketName = path.slice(0, slash);
  const key = path.slice(slash + 1);
  const bucket = ctx.model.buckets.resolve(bucketName, ctx.accessKey);
  if (!bucket) throw new ApiError('NoSuchBucket', undefined, { resource: `/${bucketName}` });
  if (!rightsOn(ctx.accessKey, bucket).read) throw new ApiError('AccessDenied', 'The key may not read the copy source.');
  const version = await ctx.model.objects.head(bucket.id, key);
  if (!version) throw new ApiError('NoSuchKey', undefined, { resource: `/${bucketName}/${key}` });
  if (evaluateConditions(ctx, version, 'x-amz-copy-source-') !== 'ok') throw new ApiError('PreconditionFailed');
  return { bucket, key, version };
}

/** CopyObject: metadata-only (new references to the source's blocks); metadata directive COPY or REPLACE. */
export async function copyObject(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const directive = (header(ctx, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') throw new ApiError('InvalidArgument', 'Unknown metadata directive.');
  const headers = directive === 'REPLACE' ? storedHeaders(ctx) : null;
  const source = await copySource(ctx);
  if (headers === null && source.bucket.id.equals(bucket.id) && source.key === key) {
    throw new ApiError(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const result = await ctx.model.objects.copy(source.version, bucket.id, key, headers);
  sendXml(ctx.res, 200, xmlDocument('CopyObjectResult', { ETag: `"${result.meta.etag}"`, LastModified: dateOf(result.ts) }, { namespace: true }));
}
