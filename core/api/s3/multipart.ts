import type { ChecksumAlgorithm } from '../../model/object-table.js';
import { ChecksumSet } from '../common/checksum.js';
import { ApiError } from '../common/errors.js';
import { sendXml } from '../common/http.js';
import { asArray, parseXml, xmlDocument, type XmlNode, type XmlObject } from '../common/xml.js';
import { dateOf } from './conditions.js';
import { bucketOf, header, intParam, keyOf, ownerXml, type RequestContext } from './context.js';
import { copySource } from './copy.js';
import { checkedBody, checksumElementName, checksumHeader, readCheckedBody } from './integrity.js';
import { listingParams } from './list.js';
import { storedHeaders } from './object-headers.js';

const MAX_PART_NUMBER = 10_000;
const ALGORITHMS: readonly ChecksumAlgorithm[] = ['crc32', 'crc32c', 'sha1', 'sha256'];

function uploadIdOf(ctx: RequestContext): Buffer {
  const id = ctx.query.get('uploadId') ?? '';
  if (!/^[0-9a-f]{64}$/.test(id)) throw new ApiError('NoSuchUpload');
  return Buffer.from(id, 'hex');
}

function partNumberOf(ctx: RequestContext): number {
  const text = ctx.query.get('partNumber') ?? '';
  const n = /^\d{1,5}$/.test(text) ? Number(text) : 0;
  if (n < 1 || n > MAX_PART_NUMBER) throw new ApiError('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`);
  return n;
}

function text(node: XmlNode | readonly XmlNode[] | undefined): string | undefined {
  return typeof node === 'string' ? node : undefined;
}

export async function createMultipartUpload(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const named = header(ctx, 'x-amz-checksum-algorithm')?.toLowerCase();
  const algorithm = ALGORITHMS.find((a) => a === named) ?? null;
  if (named !== undefined && algorithm === null) throw new ApiError('InvalidRequest', 'Value for x-amz-checksum-algorithm header is invalid.');
  const uploadId = await ctx.model.multipart.create(bucket.id, key, storedHeaders(ctx), algorithm);
  sendXml(
    ctx.res,
    200,
    xmlDocument('InitiateMultipartUploadResult', { Bucket: ctx.bucketName, Key: key, UploadId: uploadId.toString('hex') }, { namespace: true }),
    algorithm === null ? {} : { 'x-amz-checksum-algorithm': algorithm.toUpperCase() },
  );
}

export async function uploadPart(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const uploadId = uploadIdOf(ctx);
  const partNumber = partNumberOf(ctx);
  const body = checkedBody(ctx);
  const part = await ctx.model.multipart.uploadPart(bucket.id, key, uploadId, partNumber, body.chunks, body.verify);
  ctx.res.writeHead(200, { etag: `"${part.etag}"`, 'content-length': 0, ...checksumHeader(part.checksum) });
  ctx.res.end();
}

/** UploadPartCopy: a whole source object, or the bytes x-amz-copy-source-range names. */
export async function uploadPartCopy(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const uploadId = uploadIdOf(ctx);
  const partNumber = partNumberOf(ctx);
  ctx.model.multipart.required(bucket.id, key, uploadId);
  const source = await copySource(ctx);
  const size = source.version.meta.size;
  let start = 0;
  let end = size;
  const rangeText = header(ctx, 'x-amz-copy-source-range');
  if (rangeText !== undefined) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(rangeText.trim());
    if (!m) throw new ApiError('InvalidArgument', 'The x-amz-copy-source-range value must be of the form bytes=first-last.');
    start = Number(m[1]);
    end = Number(m[2]) + 1;
    if (end <= start || end > size) {
      throw new ApiError('InvalidRange', `Range specified is not valid for source object of size: ${size}`, { headers: { 'content-range': `bytes */${size}` } });
    }
  }
  const layout = ctx.model.objects.layout(source.version);
  const part = await ctx.model.multipart.uploadPartCopy(bucket.id, key, uploadId, partNumber, layout, start, end);
  sendXml(ctx.res, 200, xmlDocument('CopyPartResult', { ETag: `"${part.etag}"`, LastModified: dateOf(source.version.ts) }, { namespace: true }));
}

/** A multipart checksum: the checksum of the parts' checksums, with "-<parts>" appended. */
function compositeChecksum(algorithm: ChecksumAlgorithm, parts: string[]): { algorithm: ChecksumAlgorithm; value: string } {
  const set = new ChecksumSet([algorithm], { md5: false });
  for (const p of parts) set.update(Buffer.from(p, 'base64'));
  return { algorithm, value: `${set.digest()[algorithm]}-${parts.length}` };
}

export async function completeMultipartUpload(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const uploadId = uploadIdOf(ctx);
  const { upload } = ctx.model.multipart.required(bucket.id, key, uploadId);
  const algorithm = upload.state.checksumAlgorithm;
  const doc = parseXml(await readCheckedBody(ctx, false), 'CompleteMultipartUpload');
  const parts = asArray(doc['Part']).map((node) => {
    const p = typeof node === 'object' ? (node as XmlObject) : {};
    const number = text(p['PartNumber'])?.trim();
    const etag = text(p['ETag'])?.trim();
    if (number === undefined || !/^\d{1,5}$/.test(number) || etag === undefined) throw new ApiError('MalformedXML');
    const checksum = algorithm === null ? undefined : text(p[checksumElementName(algorithm)])?.trim();
    return { part: Number(number), etag, checksum: checksum ?? null };
  });
  const result = await ctx.model.multipart.complete(bucket.id, key, uploadId, parts, compositeChecksum);
  const checksum = result.meta.checksum;
  sendXml(
    ctx.res,
    200,
    xmlDocument(
      'CompleteMultipartUploadResult',
      {
        Location: `/${ctx.bucketName}/${key}`,
        Bucket: ctx.bucketName,
        Key: key,
        ETag: `"${result.meta.etag}"`,
        ...(checksum ? { [checksumElementName(checksum.algorithm)]: checksum.value } : {}),
      },
      { namespace: true },
    ),
  );
}

export async function abortMultipartUpload(ctx: RequestContext): Promise<void> {
  await ctx.model.multipart.abort(bucketOf(ctx).id, keyOf(ctx), uploadIdOf(ctx));
  ctx.res.writeHead(204);
  ctx.res.end();
}

export async function listParts(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const uploadId = uploadIdOf(ctx);
  const { upload, mpu } = ctx.model.multipart.required(bucket.id, key, uploadId);
  const marker = intParam(ctx, 'part-number-marker', 0, 0, MAX_PART_NUMBER);
  const maxParts = intParam(ctx, 'max-parts', 1000, 0, 1000);
  const { parts, truncated } = ctx.model.multipart.parts(mpu, marker, maxParts);
  const algorithm = upload.state.checksumAlgorithm;
  sendXml(
    ctx.res,
    200,
    xmlDocument(
      'ListPartsResult',
      {
        Bucket: ctx.bucketName,
        Key: key,
        UploadId: uploadId.toString('hex'),
        Initiator: ownerXml(ctx),
        Owner: ownerXml(ctx),
        StorageClass: 'STANDARD',
        PartNumberMarker: marker,
        NextPartNumberMarker: parts.length > 0 ? parts[parts.length - 1]!.part : marker,
        MaxParts: maxParts,
        IsTruncated: truncated,
        ChecksumAlgorithm: algorithm?.toUpperCase(),
        Part: parts.map((p) => ({
          PartNumber: p.part,
          LastModified: dateOf(p.ts),
          ETag: `"${p.etag}"`,
          Size: p.size,
          ...(algorithm !== null && p.checksum !== null ? { [checksumElementName(algorithm)]: p.checksum } : {}),
        })),
      },
      { namespace: true },
    ),
  );
}

export async function listMultipartUploads(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const { prefix, delimiter, maxKeys, encodingType, enc } = listingParams(ctx, 'max-uploads');
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const uploadIdMarker = ctx.query.get('upload-id-marker') ?? '';
  const page = ctx.model.multipart.listUploads(bucket.id, { prefix, delimiter, maxKeys }, keyMarker, uploadIdMarker);
  const lastItem = page.truncated && page.last && !page.last.isPrefix ? page.items[page.items.length - 1] : undefined;
  sendXml(
    ctx.res,
    200,
    xmlDocument(
      'ListMultipartUploadsResult',
      {
        Bucket: ctx.bucketName,
        KeyMarker: enc(keyMarker),
        UploadIdMarker: uploadIdMarker,
        NextKeyMarker: page.truncated && page.last ? enc(page.last.name) : undefined,
        NextUploadIdMarker: lastItem?.value.uploadId.toString('hex'),
        Prefix: enc(prefix),
        ...(delimiter ? { Delimiter: enc(delimiter) } : {}),
        MaxUploads: maxKeys,
        IsTruncated: page.truncated,
        EncodingType: encodingType,
        Upload: page.items.map((i) => ({
          Key: enc(i.key),
          UploadId: i.value.uploadId.toString('hex'),
          Initiator: ownerXml(ctx),
          Owner: ownerXml(ctx),
          StorageClass: 'STANDARD',
          Initiated: new Date(Number(i.value.ts)),
          ChecksumAlgorithm: i.value.state.checksumAlgorithm?.toUpperCase(),
        })),
        CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
      },
      { namespace: true },
    ),
  );
}
