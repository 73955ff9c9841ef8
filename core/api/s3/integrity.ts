import type { BodyVerifier } from '../../model/objects.js';
import type { ChecksumAlgorithm, ObjectChecksum } from '../../model/object-table.js';
import { addTrailerChecksums, ChecksumSet, parseChecksumHeaders } from '../common/checksum.js';
import { ApiError } from '../common/errors.js';
import { readSmallBody, type RequestContext } from './context.js';

/** A request body with the checks its headers (and trailers) ask for. */
export interface CheckedBody {
  chunks: AsyncIterable<Buffer>;
  /** Content-MD5 and x-amz-checksum-* checks, run on the complete body before it is stored. */
  verify: BodyVerifier;
  algorithm: ChecksumAlgorithm | null;
}

async function* tap(chunks: AsyncIterable<Buffer>, set: ChecksumSet): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    set.update(chunk);
    yield chunk;
  }
}

/**
 * The body of a PutObject or UploadPart with its integrity checks. The model computes
 * the MD5 anyway (the ETag); an x-amz-checksum algorithm, when one is named, is computed
 * here on the way through and stored with the object.
 */
export function checkedBody(ctx: RequestContext): CheckedBody {
  const request = parseChecksumHeaders(ctx.headers);
  const algorithm = request.algorithm ?? null;
  const set = algorithm === null ? undefined : new ChecksumSet([algorithm], { md5: false });
  const verify: BodyVerifier = ({ md5 }): ObjectChecksum | null => {
    const expected = addTrailerChecksums(request, ctx.body.trailers);
    if (expected.md5 !== undefined && !expected.md5.equals(md5)) {
      throw new ApiError('BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    if (set === undefined || algorithm === null) return null;
    const actual = set.verify({ ...expected, md5: undefined });
    return { algorithm, value: actual[algorithm]! };
  };
  return { chunks: set === undefined ? ctx.body.chunks : tap(ctx.body.chunks, set), verify, algorithm };
}

/** The x-amz-checksum-* response header of a stored checksum. */
export function checksumHeader(checksum: ObjectChecksum | null): Record<string, string> {
  return checksum === null ? {} : { [`x-amz-checksum-${checksum.algorithm}`]: checksum.value };
}

/** The checksum element of listings and multipart responses (ChecksumCRC32 ...). */
export function checksumElementName(algorithm: ChecksumAlgorithm): string {
  return `Checksum${algorithm.toUpperCase()}`;
}

/**
 * A small request body (XML) read whole and checked against Content-MD5 or an
 * x-amz-checksum-*; `required`: one of them must be there (DeleteObjects, as AWS demands).
 */
export async function readCheckedBody(ctx: RequestContext, required: boolean): Promise<Buffer> {
  const request = parseChecksumHeaders(ctx.headers);
  if (required && Object.keys(request.expected).length === 0 && request.trailer === undefined) {
    throw new ApiError('InvalidRequest', 'Missing required header for this request: Content-MD5 (or an x-amz-checksum-* header).');
  }
  const data = await readSmallBody(ctx);
  const set = new ChecksumSet(request.algorithm === undefined ? [] : [request.algorithm]);
  set.update(data);
  set.verify(addTrailerChecksums(request, ctx.body.trailers));
  return data;
}
