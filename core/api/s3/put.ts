import { bucketOf, keyOf, type RequestContext } from './context.js';
import { checkedBody, checksumHeader } from './integrity.js';
import { storedHeaders } from './object-headers.js';

/** PutObject: the body is streamed into blocks (or inline); ETag = MD5, always quoted. */
export async function putObject(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const headers = storedHeaders(ctx);
  const body = checkedBody(ctx);
  const { meta } = await ctx.model.objects.put({
    bucketId: bucket.id,
    key,
    body: body.chunks,
    headers,
    checksumAlgorithm: body.algorithm,
    verify: body.verify,
  });
  ctx.res.writeHead(200, { etag: `"${meta.etag}"`, 'content-length': 0, ...checksumHeader(meta.checksum) });
  ctx.res.end();
}
