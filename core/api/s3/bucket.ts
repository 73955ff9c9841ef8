import { ApiError } from '../common/errors.js';
import { sendXml } from '../common/http.js';
import { parseXml, xmlDocument } from '../common/xml.js';
import { bucketOf, ownerXml, type RequestContext } from './context.js';
import { rightsOn } from '../../model/permission.js';
import { readCheckedBody } from './integrity.js';

function bucketNameOf(ctx: RequestContext): string {
  if (ctx.bucketName === undefined) throw new ApiError('InvalidBucketName');
  return ctx.bucketName;
}

export async function listBuckets(ctx: RequestContext): Promise<void> {
  const buckets = ctx.model.buckets.listForKey(ctx.accessKey);
  sendXml(
    ctx.res,
    200,
    xmlDocument(
      'ListAllMyBucketsResult',
      { Owner: ownerXml(ctx), Buckets: { Bucket: buckets.map((b) => ({ Name: b.name, CreationDate: b.createdAt })) } },
      { namespace: true },
    ),
  );
}

/**
 * CreateBucket. A LocationConstraint, if given, must be this server's region. See
 * Buckets.createForKey for the alias choice (global) and idempotence.
 */
export async function createBucket(ctx: RequestContext): Promise<void> {
  const name = bucketNameOf(ctx);
  const body = await readCheckedBody(ctx, false);
  if (body.length > 0) {
    const location = parseXml(body, 'CreateBucketConfiguration')['LocationConstraint'];
    if (location !== undefined && location !== ctx.config.s3.region) {
      throw new ApiError('InvalidLocationConstraint', `The location constraint must be "${ctx.config.s3.region}" (this server's region).`);
    }
  }
  await ctx.model.buckets.createForKey(name, ctx.accessKey.id);
  ctx.res.writeHead(200, { location: `/${name}`, 'content-length': 0 });
  ctx.res.end();
}

export async function headBucket(ctx: RequestContext): Promise<void> {
  bucketOf(ctx);
  ctx.res.writeHead(200, { 'x-amz-bucket-region': ctx.config.s3.region, 'content-length': 0 });
  ctx.res.end();
}

export async function deleteBucket(ctx: RequestContext): Promise<void> {
  await ctx.model.buckets.deleteForKey(bucketOf(ctx), bucketNameOf(ctx), ctx.accessKey.id);
  ctx.res.writeHead(204);
  ctx.res.end();
}

export async function getBucketLocation(ctx: RequestContext): Promise<void> {
  sendXml(ctx.res, 200, xmlDocument('LocationConstraint', ctx.config.s3.region, { namespace: true }));
}

/** Versioning is not supported: the bucket reports it was never enabled. */
export async function getBucketVersioning(ctx: RequestContext): Promise<void> {
  sendXml(ctx.res, 200, xmlDocument('VersioningConfiguration', {}, { namespace: true }));
}

/** An ACL synthesised from the key's permissions (FULL_CONTROL for owners, else READ / WRITE). */
export async function getBucketAcl(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const rights = rightsOn(ctx.accessKey, bucket);
  const permissions = rights.owner ? ['FULL_CONTROL'] : [...(rights.read ? ['READ', 'READ_ACP'] : []), ...(rights.write ? ['WRITE'] : [])];
  const grantee = {
    '@': { 'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', 'xsi:type': 'CanonicalUser' },
    ...ownerXml(ctx),
  };
  sendXml(
    ctx.res,
    200,
    xmlDocument(
      'AccessControlPolicy',
      { Owner: ownerXml(ctx), AccessControlList: { Grant: permissions.map((Permission) => ({ Grantee: grantee, Permission })) } },
      { namespace: true },
    ),
  );
}
