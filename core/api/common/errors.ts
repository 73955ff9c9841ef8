import { AeroError } from '../../util/errors.js';
import { xmlDocument } from './xml.js';

/** Status and default message of every error code the HTTP front-ends answer with. */
const ERRORS = {
  // S3 (codes and default messages as AWS sends them)
  AccessDenied: [403, 'Access Denied'],
  AccessForbidden: [403, 'CORSResponse: This CORS request is not allowed.'],
  AuthorizationHeaderMalformed: [400, 'The authorization header is malformed.'],
  AuthorizationQueryParametersError: [400, 'The authorization query parameters are malformed.'],
  BadDigest: [400, 'The Content-MD5 or checksum value you specified did not match what we received.'],
  BucketAlreadyExists: [409, 'The requested bucket name is not available.'],
  BucketAlreadyOwnedByYou: [409, 'Your previous request to create the named bucket succeeded and you already own it.'],
  BucketNotEmpty: [409, 'The bucket you tried to delete is not empty.'],
  EntityTooLarge: [400, 'Your proposed upload exceeds the maximum allowed size.'],
  EntityTooSmall: [400, 'Your proposed upload is smaller than the minimum allowed size.'],
  IncompleteBody: [400, 'You did not provide the number of bytes specified by the Content-Length HTTP header.'],
  InternalError: [500, 'We encountered an internal error. Please try again.'],
  InvalidAccessKeyId: [403, 'The access key ID you provided does not exist in our records.'],
  InvalidArgument: [400, 'Invalid Argument'],
  InvalidBucketName: [400, 'The specified bucket is not valid.'],
  InvalidDigest: [400, 'The Content-MD5 you specified is not valid.'],
  InvalidEncryptionAlgorithmError: [400, 'The encryption request you specified is not valid.'],
  InvalidLocationConstraint: [400, 'The specified location constraint is not valid.'],
  InvalidObjectState: [403, 'The operation is not valid for the current state of the object.'],
  InvalidPart: [400, 'One or more of the specified parts could not be found or did not match its entity tag.'],
  InvalidPartOrder: [400, 'The list of parts was not in ascending order.'],
  InvalidPolicyDocument: [400, 'The content of the form does not meet the conditions specified in the policy document.'],
  InvalidRange: [416, 'The requested range is not satisfiable'],
  InvalidRequest: [400, 'Invalid Request'],
  KeyTooLongError: [400, 'Your key is too long.'],
  MalformedPOSTRequest: [400, 'The body of your POST request is not well-formed multipart/form-data.'],
  MalformedXML: [400, 'The XML you provided was not well-formed or did not validate against our published schema.'],
  MethodNotAllowed: [405, 'The specified method is not allowed against this resource.'],
  MissingContentLength: [411, 'You must provide the Content-Length HTTP header.'],
  NoSuchBucket: [404, 'The specified bucket does not exist.'],
  NoSuchCORSConfiguration: [404, 'The CORS configuration does not exist.'],
  NoSuchKey: [404, 'The specified key does not exist.'],
  NoSuchLifecycleConfiguration: [404, 'The lifecycle configuration does not exist.'],
  NoSuchUpload: [404, 'The specified multipart upload does not exist.'],
  NoSuchWebsiteConfiguration: [404, 'The specified bucket does not have a website configuration.'],
  NotImplemented: [501, 'A header or operation you provided implies functionality that is not implemented.'],
  NotModified: [304, 'Not Modified'],
  PreconditionFailed: [412, 'At least one of the preconditions you specified did not hold.'],
  QuotaExceeded: [403, 'The bucket quota has been exceeded.'],
  RequestTimeTooSkewed: [403, "The difference between the request time and the server's time is too large."],
  ServiceUnavailable: [503, 'The service is temporarily unavailable. Please retry.'],
  SignatureDoesNotMatch: [
    403,
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  ],
  XAmzContentSHA256Mismatch: [400, "The provided 'x-amz-content-sha256' header does not match what was computed."],
  // K2V (Garage's codes)
  CausalityToken: [400, 'The causality token is invalid.'],
  InvalidBase64: [400, 'The value is not valid base64.'],
  InvalidUtf8String: [400, 'The value is not valid UTF-8.'],
  NotAcceptable: [406, 'None of the requested content types can be produced.'],
} as const satisfies Record<string, readonly [number, string]>;

export type ErrorCode = keyof typeof ERRORS;

export interface ApiErrorOptions {
  /** The bucket or object path the error is about (the `<Resource>` element). */
  resource?: string;
  /** Response headers the error needs (e.g. `content-range` for InvalidRange). */
  headers?: Readonly<Record<string, string>>;
  cause?: unknown;
}

/** An error answered to an HTTP client: an S3-style code with its status. */
export class ApiError extends AeroError {
  declare readonly code: ErrorCode;
  readonly status: number;
  readonly resource: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, message?: string, options: ApiErrorOptions = {}) {
    const [status, defaultMessage] = ERRORS[code];
    super(code, message ?? defaultMessage, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.resource = options.resource;
    this.headers = options.headers ?? {};
  }
}

/** Any thrown value as an ApiError; anything unexpected becomes InternalError (its text is not leaked). */
export function toApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError('InternalError', undefined, { cause: err });
}

/** S3's XML error body; `resource` defaults to the error's own. */
export function renderErrorXml(err: ApiError, requestId: string, resource = err.resource): string {
  return xmlDocument('Error', {
    Code: err.code,
    Message: err.message,
    Resource: resource,
    RequestId: requestId,
  });
}
