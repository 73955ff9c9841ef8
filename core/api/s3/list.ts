import { after, resumeAfterMarker } from '../../model/list.js';
import type { ObjectVersionView } from '../../model/objects.js';
import { ApiError } from '../common/errors.js';
import { sendXml, uriEncode } from '../common/http.js';
import { xmlDocument, type XmlElement } from '../common/xml.js';
import { lastModified } from './conditions.js';
import { bucketOf, intParam, ownerXml, type RequestContext } from './context.js';

const MAX_KEYS = 1000;
const EMPTY = Buffer.alloc(0);

/** Common parameters of the listing endpoints, and the encoder `encoding-type=url` asks for. */
export function listingParams(ctx: RequestContext, maxName: string): { prefix: string; delimiter: string; maxKeys: number; encodingType: string | undefined; enc: (s: string) => string } {
  const encodingType = ctx.query.get('encoding-type');
  if (encodingType !== undefined && encodingType !== 'url') throw new ApiError('InvalidArgument', 'Invalid Encoding Method specified in Request');
  return {
    prefix: ctx.query.get('prefix') ?? '',
    delimiter: ctx.query.get('delimiter') ?? '',
    maxKeys: intParam(ctx, maxName, MAX_KEYS, 0, MAX_KEYS),
    encodingType,
    enc: encodingType === 'url' ? (s) => uriEncode(Buffer.from(s, 'utf8'), false) : (s) => s,
  };
}

/** A continuation token is the byte position where the next page starts, in base64. */
function decodeToken(token: string): Buffer {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(token)) {
    throw new ApiError('InvalidArgument', 'The continuation token provided is incorrect');
  }
  return Buffer.from(token, 'base64');
}

function objectXml(ctx: RequestContext, key: string, v: ObjectVersionView, withOwner: boolean): XmlElement {
  return {
    Key: key,
    LastModified: lastModified(v),
    ETag: `"${v.meta.etag}"`,
    ...(v.meta.checksum ? { ChecksumAlgorithm: v.meta.checksum.algorithm.toUpperCase() } : {}),
    Size: v.meta.size,
    StorageClass: 'STANDARD',
    ...(withOwner ? { Owner: ownerXml(ctx) } : {}),
  };
}

/** ListObjects (v1) and ListObjectsV2. */
export async function listObjects(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const v2 = ctx.query.get('list-type') === '2';
  const { prefix, delimiter, maxKeys, encodingType, enc } = listingParams(ctx, 'max-keys');
  const token = ctx.query.get('continuation-token');
  const startAfter = ctx.query.get('start-after');
  const marker = ctx.query.get('marker');
  let from: Buffer = EMPTY;
  if (v2 && token !== undefined) from = decodeToken(token);
  else if (v2 && startAfter) from = after(startAfter);
  else if (!v2 && marker) from = resumeAfterMarker(marker, prefix, delimiter);

  const page = ctx.model.objects.list(bucket.id, { prefix, delimiter, maxKeys, from });
  const withOwner = !v2 || ctx.query.get('fetch-owner') === 'true';
  const contents = page.items.map((i) => objectXml(ctx, enc(i.key), i.value, withOwner));
  const commonPrefixes = page.commonPrefixes.map((p) => ({ Prefix: enc(p) }));
  const result: XmlElement = v2
    ? {
        Name: ctx.bucketName,
        Prefix: enc(prefix),
        ...(delimiter ? { Delimiter: enc(delimiter) } : {}),
        MaxKeys: maxKeys,
        KeyCount: contents.length + commonPrefixes.length,
        IsTruncated: page.truncated,
        ContinuationToken: token,
        NextContinuationToken: page.truncated ? page.nextFrom?.toString('base64') : undefined,
        StartAfter: startAfter === undefined ? undefined : enc(startAfter),
        EncodingType: encodingType,
        Contents: contents,
        CommonPrefixes: commonPrefixes,
      }
    : {
        Name: ctx.bucketName,
        Prefix: enc(prefix),
        Marker: enc(marker ?? ''),
        // AWS sends NextMarker only with a delimiter; otherwise the last key is the marker.
        NextMarker: page.truncated && delimiter && page.last ? enc(page.last.name) : undefined,
        MaxKeys: maxKeys,
        ...(delimiter ? { Delimiter: enc(delimiter) } : {}),
        IsTruncated: page.truncated,
        EncodingType: encodingType,
        Contents: contents,
        CommonPrefixes: commonPrefixes,
      };
  sendXml(ctx.res, 200, xmlDocument('ListBucketResult', result, { namespace: true }));
}

/** ListObjectVersions without versioning: each current object as version "null", latest. */
export async function listObjectVersions(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const { prefix, delimiter, maxKeys, encodingType, enc } = listingParams(ctx, 'max-keys');
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const versionIdMarker = ctx.query.get('version-id-marker') ?? '';
  const from = keyMarker === '' ? EMPTY : resumeAfterMarker(keyMarker, prefix, delimiter);
  const page = ctx.model.objects.list(bucket.id, { prefix, delimiter, maxKeys, from });
  const last = page.truncated ? page.last : undefined;
  sendXml(
    ctx.res,
    200,
    xmlDocument(
      'ListVersionsResult',
      {
        Name: ctx.bucketName,
        Prefix: enc(prefix),
        KeyMarker: enc(keyMarker),
        VersionIdMarker: versionIdMarker,
        NextKeyMarker: last ? enc(last.name) : undefined,
        NextVersionIdMarker: last && !last.isPrefix ? 'null' : undefined,
        MaxKeys: maxKeys,
        ...(delimiter ? { Delimiter: enc(delimiter) } : {}),
        IsTruncated: page.truncated,
        EncodingType: encodingType,
        Version: page.items.map((i) => {
          const { Key, ...rest } = objectXml(ctx, enc(i.key), i.value, true);
          return { Key, VersionId: 'null', IsLatest: true, ...rest };
        }),
        CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
      },
      { namespace: true },
    ),
  );
}
