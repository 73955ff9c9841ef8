import { K2vError } from '../../model/k2v/index.js';
import { AeroError } from '../../util/errors.js';
import { ApiError, type ErrorCode } from '../common/errors.js';

/** Codes an injected dependency (bucket resolution, key lookup) may raise as any AeroError and have answered as is. */
const DEPENDENCY_CODES: ReadonlySet<string> = new Set<ErrorCode>(['AccessDenied', 'NoSuchBucket', 'InvalidAccessKeyId', 'InvalidBucketName']);

/** Any thrown value as the ApiError to answer; the unexpected becomes InternalError (500, text not leaked). */
export function toK2vApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof K2vError) return new ApiError(err.code, err.message);
  if (err instanceof AeroError && DEPENDENCY_CODES.has(err.code)) return new ApiError(err.code as ErrorCode, err.message);
  return new ApiError('InternalError', undefined, { cause: err });
}
