import type { WebsiteConfig } from '../../model/index.js';
import { ApiError } from '../common/errors.js';
import { sendXml } from '../common/http.js';
import { childElement, childText, parseXml, xmlDocument } from '../common/xml.js';
import { bucketOf, type RequestContext } from './context.js';
import { readCheckedBody } from './integrity.js';

const KNOWN = ['IndexDocument', 'ErrorDocument', 'RedirectAllRequestsTo', 'RoutingRules'];
const UNSUPPORTED = ['RedirectAllRequestsTo', 'RoutingRules'];

/** A WebsiteConfiguration document: an index document suffix and an optional error document, as Garage supports. */
function parseWebsite(body: Buffer): WebsiteConfig {
  const doc = parseXml(body, 'WebsiteConfiguration');
  if (Object.keys(doc).some((name) => !KNOWN.includes(name))) throw new ApiError('MalformedXML');
  const unsupported = UNSUPPORTED.find((name) => doc[name] !== undefined);
  if (unsupported !== undefined) throw new ApiError('NotImplemented', `${unsupported} is not supported in website configurations; only IndexDocument and ErrorDocument are.`);
  const index = childElement(doc, 'IndexDocument');
  const suffix = index === undefined ? undefined : childText(index, 'Suffix');
  if (suffix === undefined || suffix === '') throw new ApiError('InvalidArgument', 'A value for IndexDocument Suffix must be provided.');
  if (suffix.includes('/')) throw new ApiError('InvalidArgument', 'The IndexDocument Suffix is not well formed: it may not contain a slash.');
  const error = childElement(doc, 'ErrorDocument');
  const errorKey = error === undefined ? undefined : childText(error, 'Key');
  if (error !== undefined && (errorKey === undefined || errorKey === '')) throw new ApiError('InvalidArgument', 'The ErrorDocument needs a Key.');
  return { indexDocument: suffix, errorDocument: errorKey ?? null };
}

export async function putBucketWebsite(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const website = parseWebsite(await readCheckedBody(ctx, false));
  await ctx.model.buckets.setConfig(bucket.id, 'website', website);
  ctx.res.writeHead(200, { 'content-length': 0 });
  ctx.res.end();
}

export async function getBucketWebsite(ctx: RequestContext): Promise<void> {
  const website = bucketOf(ctx).state.present.website.value;
  if (website === null) throw new ApiError('NoSuchWebsiteConfiguration');
  const doc = {
    IndexDocument: { Suffix: website.indexDocument },
    ErrorDocument: website.errorDocument === null ? undefined : { Key: website.errorDocument },
  };
  sendXml(ctx.res, 200, xmlDocument('WebsiteConfiguration', doc, { namespace: true }));
}

export async function deleteBucketWebsite(ctx: RequestContext): Promise<void> {
  await ctx.model.buckets.setConfig(bucketOf(ctx).id, 'website', null);
  ctx.res.writeHead(204);
  ctx.res.end();
}
