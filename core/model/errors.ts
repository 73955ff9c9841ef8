import { AeroError } from '../util/errors.js';

/** HTTP status of each error code the model raises (S3 codes, plus admin-only ones). */
const STATUS = {
  AccessDenied: 403,
  BucketAlreadyExists: 409,
  BucketNotEmpty: 409,
  EntityTooSmall: 400,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  InvalidRequest: 400,
  KeyAlreadyExists: 409,
  KeyTooLongError: 400,
  NoSuchAccessKey: 404,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  QuotaExceeded: 403,
} as const;

export type ModelErrorCode = keyof typeof STATUS;

/**
 * An error the model raises on purpose. `code` is the S3 error code (the S3 API
 * renders it as is), `status` the HTTP status the admin API and S3 both use.
 */
export class ModelError extends AeroError {
  readonly status: number;

  constructor(code: ModelErrorCode, message: string) {
    super(code, message);
    this.status = STATUS[code];
  }
}
