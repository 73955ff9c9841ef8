import type { OutgoingHttpHeaders } from 'node:http';
import type { ObjectVersionView } from '../../model/objects.js';
import { partRanges } from '../../model/read.js';
import { ApiError } from '../common/errors.js';
import { formatHttpDate, parseRange } from '../common/http.js';
import { checkConditions, lastModified } from './conditions.js';
import { bucketOf, header, keyOf, type RequestContext } from './context.js';
import { checksumHeader } from './integrity.js';
import { objectResponseHeaders } from './object-headers.js';
import { writeBody } from './stream.js';

const MAX_PART_NUMBER = 10_000;

/** What answering with an object needs of a request: the S3 API's context, or the website endpoint's. */
export type ObjectRequest = Pick<RequestContext, 'req' | 'res' | 'model' | 'headers' | 'query'>;

/** GetObject and HeadObject. */
export async function getObject(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const version = await ctx.model.objects.head(bucket.id, key);
  if (!version) throw new ApiError('NoSuchKey', undefined, { resource: `/${ctx.bucketName}/${key}` });
  await sendObject(ctx, version);
}

/**
 * Answers a GET or HEAD with an object version: conditional headers, Range or
 * partNumber, response-* overrides, checksums. `status` replaces 200 (a website's
 * error document is served with the status of the error).
 */
export async function sendObject(ctx: ObjectRequest, version: ObjectVersionView, status = 200): Promise<void> {
  checkConditions(ctx, version);

  const size = version.meta.size;
  const partText = ctx.query.get('partNumber');
  const rangeText = header(ctx, 'range');
  const isHead = ctx.req.method === 'HEAD';
  // Read before answering: the version may have been deleted since it was looked up.
  const layout = isHead && partText === undefined ? undefined : ctx.model.objects.layout(version);
  const headers: OutgoingHttpHeaders = {
    ...objectResponseHeaders(ctx, version.meta.headers),
    etag: `"${version.meta.etag}"`,
    'last-modified': formatHttpDate(lastModified(version)),
    'accept-ranges': 'bytes',
  };
  let start = 0;
  let end = size;
  let partial = false;
  if (partText !== undefined) {
    if (rangeText !== undefined) throw new ApiError('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter.');
    const partNumber = /^\d{1,5}$/.test(partText) ? Number(partText) : 0;
    if (partNumber < 1 || partNumber > MAX_PART_NUMBER) throw new ApiError('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}.`);
    const ranges = partRanges(layout!, size);
    // Only a multipart upload's ETag has a "-<parts>" suffix; any other object is one part.
    const multipart = version.meta.etag.includes('-');
    const r = multipart ? ranges.get(partNumber) : partNumber === 1 ? { start: 0, end: size } : undefined;
    if (r === undefined) throw new ApiError('InvalidRange', 'The requested partnumber is not satisfiable.', { headers: { 'content-range': `bytes */${size}` } });
    if (multipart) headers['x-amz-mp-parts-count'] = String(ranges.size);
    ({ start, end } = r);
    partial = true;
  } else {
    const range = parseRange(rangeText, size);
    if (range !== undefined) {
      start = range.start;
      end = range.end + 1;
      partial = true;
    } else if (header(ctx, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') {
      Object.assign(headers, checksumHeader(version.meta.checksum));
    }
  }
  if (partial) headers['content-range'] = `bytes ${start}-${Math.max(start, end - 1)}/${size}`;
  headers['content-length'] = end - start;
  ctx.res.writeHead(partial ? 206 : status, headers);
  if (layout === undefined || isHead) {
    ctx.res.end();
    return;
  }
  await writeBody(ctx.res, ctx.model.objects.read(layout, start, end));
}
