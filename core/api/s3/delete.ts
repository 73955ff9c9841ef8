import { ApiError } from '../common/errors.js';
import { sendXml } from '../common/http.js';
import { asArray, parseXml, xmlDocument, type XmlNode, type XmlObject } from '../common/xml.js';
import { bucketOf, keyOf, type RequestContext } from './context.js';
import { readCheckedBody } from './integrity.js';

const MAX_DELETE_KEYS = 1000;

/** DeleteObject: 204 whether or not the key existed. */
export async function deleteObject(ctx: RequestContext): Promise<void> {
  await ctx.model.objects.delete(bucketOf(ctx).id, [keyOf(ctx)]);
  ctx.res.writeHead(204);
  ctx.res.end();
}

function text(node: XmlNode | readonly XmlNode[] | undefined): string | undefined {
  return typeof node === 'string' ? node : undefined;
}

/**
 * DeleteObjects: up to 1000 keys in one transaction. The body must carry Content-MD5
 * (or an x-amz-checksum-*), as AWS requires; a malformed list deletes nothing.
 */
export async function deleteObjects(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const doc = parseXml(await readCheckedBody(ctx, true), 'Delete');
  const quiet = text(doc['Quiet'])?.trim().toLowerCase() === 'true';
  const objects = asArray(doc['Object']).map((node) => {
    const o = typeof node === 'object' ? (node as XmlObject) : {};
    const key = text(o['Key']);
    if (key === undefined) throw new ApiError('MalformedXML');
    return { key, versionId: text(o['VersionId']) };
  });
  if (objects.length === 0 || objects.length > MAX_DELETE_KEYS) throw new ApiError('MalformedXML', `Between 1 and ${MAX_DELETE_KEYS} objects may be deleted at once.`);
  // Without versioning the only version is "null", the current one.
  const deletable = objects.filter((o) => o.versionId === undefined || o.versionId === 'null');
  await ctx.model.objects.delete(bucket.id, deletable.map((o) => o.key));
  sendXml(
    ctx.res,
    200,
    xmlDocument(
      'DeleteResult',
      {
        Deleted: quiet ? [] : deletable.map((o) => ({ Key: o.key, VersionId: o.versionId })),
        Error: objects
          .filter((o) => !deletable.includes(o))
          .map((o) => ({ Key: o.key, VersionId: o.versionId, Code: 'NoSuchVersion', Message: 'The specified version does not exist.' })),
      },
      { namespace: true },
    ),
  );
}
