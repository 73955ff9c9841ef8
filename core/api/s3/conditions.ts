import type { ObjectVersionView } from '../../model/objects.js';
import { ApiError } from '../common/errors.js';
import { etagMatches, formatHttpDate, parseHttpDate } from '../common/http.js';
import { header, type RequestContext } from './context.js';

/** A millisecond timestamp at the one-second precision S3 reports (HTTP dates have no more). */
export function dateOf(ts: bigint): Date {
  return new Date(Math.floor(Number(ts) / 1000) * 1000);
}

export function lastModified(version: ObjectVersionView): Date {
  return dateOf(version.ts);
}

/** The outcome of the four conditional headers (named with `prefix`) against a version. */
export function evaluateConditions(ctx: Pick<RequestContext, 'headers'>, version: ObjectVersionView, prefix: string): 'ok' | 'not-modified' | 'failed' {
  const etag = version.meta.etag;
  const modified = lastModified(version).getTime();
  const date = (name: string) => {
    const text = header(ctx, `${prefix}${name}`);
    return text === undefined ? undefined : parseHttpDate(text)?.getTime();
  };
  const ifMatch = header(ctx, `${prefix}if-match`);
  const ifNoneMatch = header(ctx, `${prefix}if-none-match`);
  const ifUnmodifiedSince = date('if-unmodified-since');
  const ifModifiedSince = date('if-modified-since');
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, etag, 'strong')) return 'failed';
  } else if (ifUnmodifiedSince !== undefined && modified > ifUnmodifiedSince) {
    return 'failed';
  }
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, etag, 'weak')) return 'not-modified';
  } else if (ifModifiedSince !== undefined && modified <= ifModifiedSince) {
    return 'not-modified';
  }
  return 'ok';
}

/** GetObject / HeadObject preconditions: 412 PreconditionFailed or 304 Not Modified. */
export function checkConditions(ctx: Pick<RequestContext, 'headers'>, version: ObjectVersionView): void {
  const outcome = evaluateConditions(ctx, version, '');
  if (outcome === 'failed') throw new ApiError('PreconditionFailed');
  if (outcome === 'not-modified') {
    throw new ApiError('NotModified', undefined, { headers: { etag: `"${version.meta.etag}"`, 'last-modified': formatHttpDate(lastModified(version)) } });
  }
}
