import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from './errors.js';
import { percentDecode, uriEncode, type QueryParam } from './http.js';

/** How the request body is protected, from x-amz-content-sha256. */
export type Payload =
  | { kind: 'sha256'; hex: string }
  | { kind: 'unsigned' }
  | {
      kind: 'streaming-signed';
      /** Signature of the request itself: the first link of the chunk signature chain. */
      seedSignature: string;
      signingKey: Buffer;
      scope: string;
      /** x-amz-date, in the long form chunk signatures use. */
      date: string;
      trailer: boolean;
    }
  | { kind: 'streaming-unsigned-trailer' };

export interface SignedRequest {
  method: string;
  /** The path as received, still percent-encoded. */
  path: string;
  query: readonly QueryParam[];
  /** Node's headers: lower-case names. */
  headers: IncomingHttpHeaders;
}

export interface VerifyOptions {
  region: string;
  service: 's3' | 'k2v';
  lookupSecret: (accessKeyId: string) => Promise<string | undefined>;
  /** Milliseconds since the epoch; defaults to Date.now(). */
  now?: number;
}

export interface Verified {
  /** Undefined for an anonymous request (no signature at all): the caller decides whether to serve it. */
  accessKeyId: string | undefined;
  payload: Payload;
  /** x-amz-trailer: the trailer an aws-chunked body ends with. */
  trailerHeader?: string;
  /** x-amz-* headers a presigned URL carries in its query (lower-case names), to read as request headers. */
  queryHeaders?: Readonly<Record<string, string>>;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGNED_EXPIRES = 7 * 24 * 3600;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const PRESIGN_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'];

/**
 * Verifies an AWS Signature Version 4: in the Authorization header, in a presigned query,
 * or absent (anonymous). Throws ApiError with S3's code for every failure.
 */
export async function verifySignature(req: SignedRequest, opts: VerifyOptions): Promise<Verified> {
  const authorization = header(req.headers, 'authorization');
  const presigned = req.query.some((p) => p.key === 'X-Amz-Algorithm');
  if (presigned && authorization !== undefined) {
    throw new ApiError('InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.');
  }
  const trailer = header(req.headers, 'x-amz-trailer');
  let verified: Verified;
  if (presigned) verified = await verifyPresigned(req, opts);
  else if (authorization !== undefined) verified = await verifyHeader(req, authorization, opts);
  else verified = { accessKeyId: undefined, payload: anonymousPayload(header(req.headers, 'x-amz-content-sha256')) };
  if (trailer !== undefined) verified.trailerHeader = trailer;
  return verified;
}

interface Credential {
  accessKeyId: string;
  date: string;
  scope: string;
}

async function verifyHeader(req: SignedRequest, authorization: string, opts: VerifyOptions): Promise<Verified> {
  const malformed = (why: string) => new ApiError('AuthorizationHeaderMalformed', `The authorization header is malformed; ${why}.`);
  const sp = authorization.indexOf(' ');
  if (sp < 0 || authorization.slice(0, sp) !== ALGORITHM) {
    throw new ApiError('InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');
  }
  const fields = new Map<string, string>();
  for (const part of authorization.slice(sp + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credentialText = fields.get('Credential');
  const signedHeadersText = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credentialText === undefined || signedHeadersText === undefined || signature === undefined) {
    throw malformed('it must contain Credential, SignedHeaders and Signature');
  }
  const credential = parseCredential(credentialText, opts, malformed);

  const amzDate = header(req.headers, 'x-amz-date');
  const time = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (amzDate === undefined || time === undefined) {
    throw new ApiError('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  }
  if (amzDate.slice(0, 8) !== credential.date) throw malformed(`the date in the credential scope must be ${amzDate.slice(0, 8)}`);
  if (Math.abs(time - (opts.now ?? Date.now())) > MAX_SKEW_MS) throw new ApiError('RequestTimeTooSkewed');

  const contentSha256 = header(req.headers, 'x-amz-content-sha256');
  if (contentSha256 === undefined) {
    throw new ApiError('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  const signedHeaders = parseSignedHeaders(signedHeadersText, req.headers, malformed);
  const signingKey = await signingKeyFor(credential, opts);
  const expected = sign(signingKey, amzDate, credential.scope, canonicalRequest(req, opts.service, signedHeaders, contentSha256, false));
  checkSignature(signature, expected);
  return { accessKeyId: credential.accessKeyId, payload: payloadOf(contentSha256, expected, signingKey, credential.scope, amzDate) };
}

async function verifyPresigned(req: SignedRequest, opts: VerifyOptions): Promise<Verified> {
  const malformed = (why: string) => new ApiError('AuthorizationQueryParametersError', `Error parsing the query authentication parameters: ${why}.`);
  const params = new Map(req.query.map((p) => [p.key, p.value]));
  const [algorithm, credentialText, amzDate, expiresText, signedHeadersText, signature] = PRESIGN_PARAMS.map((k) => params.get(k));
  if (!credentialText || !amzDate || !expiresText || !signedHeadersText || !signature) {
    throw malformed(`query-string authentication requires the ${PRESIGN_PARAMS.join(', ')} parameters`);
  }
  if (algorithm !== ALGORITHM) throw malformed('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const credential = parseCredential(credentialText, opts, malformed);
  const time = parseAmzDate(amzDate);
  if (time === undefined) throw malformed('X-Amz-Date must be in the ISO8601 long format yyyyMMddTHHmmssZ');
  if (amzDate.slice(0, 8) !== credential.date) throw malformed(`the date in the credential scope must be ${amzDate.slice(0, 8)}`);
  const expires = /^\d{1,7}$/.test(expiresText) ? Number(expiresText) : Number.NaN;
  if (!(expires <= MAX_PRESIGNED_EXPIRES)) throw malformed(`X-Amz-Expires must be a number of seconds up to ${MAX_PRESIGNED_EXPIRES}`);
  const now = opts.now ?? Date.now();
  if (now > time + expires * 1000) throw new ApiError('AccessDenied', 'Request has expired');
  if (time - now > MAX_SKEW_MS) throw new ApiError('AccessDenied', 'Request is not valid yet');

  // The presigner hoists x-amz-* headers into the query; x-amz-content-sha256 among them gives the payload hash.
  const queryHeaders: Record<string, string> = {};
  for (const p of req.query) {
    const name = p.key.toLowerCase();
    if (!name.startsWith('x-amz-') || PRESIGN_PARAMS.some((k) => k.toLowerCase() === name) || name === 'x-amz-security-token') continue;
    const sent = header(req.headers, name);
    if (sent !== undefined && sent !== p.value) {
      throw new ApiError('InvalidRequest', `The ${name} header and query parameter have different values.`);
    }
    queryHeaders[name] = p.value;
  }
  const contentSha256 = queryHeaders['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD';
  if (contentSha256 !== 'UNSIGNED-PAYLOAD' && !SHA256_HEX.test(contentSha256)) {
    throw new ApiError('InvalidRequest', 'A presigned URL cannot carry a streaming payload.');
  }

  const signedHeaders = parseSignedHeaders(signedHeadersText, req.headers, malformed);
  const signingKey = await signingKeyFor(credential, opts);
  const expected = sign(signingKey, amzDate, credential.scope, canonicalRequest(req, opts.service, signedHeaders, contentSha256, true));
  checkSignature(signature, expected);
  return { accessKeyId: credential.accessKeyId, payload: payloadOf(contentSha256, expected, signingKey, credential.scope, amzDate), queryHeaders };
}

function parseCredential(text: string, opts: VerifyOptions, malformed: (why: string) => ApiError): Credential {
  const parts = text.split('/');
  if (parts.length !== 5 || parts[0] === '' || !/^\d{8}$/.test(parts[1]!)) {
    throw malformed('the Credential must be <access key>/<yyyymmdd>/<region>/<service>/aws4_request');
  }
  const [accessKeyId, date, region, service, terminal] = parts as [string, string, string, string, string];
  if (region !== opts.region) throw malformed(`the region '${region}' is wrong; expecting '${opts.region}'`);
  if (service !== opts.service) throw malformed(`the service '${service}' is wrong; expecting '${opts.service}'`);
  if (terminal !== 'aws4_request') throw malformed(`the scope must end with aws4_request`);
  return { accessKeyId, date, scope: `${date}/${region}/${service}/aws4_request` };
}

/** The signed header names, after checking that `host` and every x-amz-* header sent are among them. */
function parseSignedHeaders(text: string, headers: IncomingHttpHeaders, malformed: (why: string) => ApiError): string[] {
  const names = text.split(';');
  if (names.some((n) => n === '' || n !== n.toLowerCase())) throw malformed('SignedHeaders must be lower-case names separated by ;');
  const signed = new Set(names);
  if (!signed.has('host')) throw malformed('the host header must be signed');
  for (const name of Object.keys(headers)) {
    if (name.startsWith('x-amz-') && !signed.has(name)) {
      throw new ApiError('AccessDenied', `There were headers present in the request which were not signed: ${name}`);
    }
  }
  return names;
}

function canonicalRequest(req: SignedRequest, service: string, signedHeaders: readonly string[], payloadHash: string, presigned: boolean): string {
  // S3 signs the path as sent; other services sign it URI-encoded once more (no normalisation either way).
  const path = service === 's3' ? req.path : uriEncode(Buffer.from(req.path, 'latin1'), false);
  const query = req.query
    .filter((p) => !(presigned && p.key === 'X-Amz-Signature'))
    .map((p) => [uriEncode(percentDecode(p.rawKey), true), uriEncode(percentDecode(p.rawValue), true)] as const)
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  let headers = '';
  for (const name of signedHeaders) headers += `${name}:${(header(req.headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`;
  return `${req.method}\n${path}\n${query}\n${headers}\n${signedHeaders.join(';')}\n${payloadHash}`;
}

function sign(signingKey: Buffer, amzDate: string, scope: string, canonical: string): Buffer {
  const digest = createHash('sha256').update(canonical, 'utf8').digest('hex');
  return createHmac('sha256', signingKey).update(`${ALGORITHM}\n${amzDate}\n${scope}\n${digest}`, 'utf8').digest();
}

function checkSignature(provided: string, expected: Buffer): void {
  if (!SHA256_HEX.test(provided) || !timingSafeEqual(Buffer.from(provided, 'hex'), expected)) {
    throw new ApiError('SignatureDoesNotMatch');
  }
}

function payloadOf(contentSha256: string, signature: Buffer, signingKey: Buffer, scope: string, date: string): Payload {
  switch (contentSha256) {
    case 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD':
    case 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER':
      return {
        kind: 'streaming-signed',
        seedSignature: signature.toString('hex'),
        signingKey,
        scope,
        date,
        trailer: contentSha256.endsWith('-TRAILER'),
      };
    default:
      return anonymousPayload(contentSha256);
  }
}

/** The payload mode of x-amz-content-sha256 when no signature chains through the body. */
function anonymousPayload(contentSha256: string | undefined): Payload {
  if (contentSha256 === undefined || contentSha256 === 'UNSIGNED-PAYLOAD') return { kind: 'unsigned' };
  if (contentSha256 === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') return { kind: 'streaming-unsigned-trailer' };
  if (SHA256_HEX.test(contentSha256)) return { kind: 'sha256', hex: contentSha256.toLowerCase() };
  if (contentSha256.startsWith('STREAMING-AWS4-HMAC-SHA256-')) {
    throw new ApiError('InvalidRequest', `${contentSha256} needs a signed request.`);
  }
  throw new ApiError(
    'InvalidArgument',
    'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER), STREAMING-UNSIGNED-PAYLOAD-TRAILER or a SHA-256 in hex.',
  );
}

/** Milliseconds since the epoch of an ISO 8601 basic timestamp (20130524T000000Z). */
function parseAmzDate(text: string): number | undefined {
  const m = AMZ_DATE.exec(text);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  return back.getUTCMonth() === mo - 1 && back.getUTCDate() === d && h < 24 && mi < 60 && s < 61 ? t : undefined;
}

// Derived signing keys change once a day per key: cache them (bounded; oldest evicted first).
const SIGNING_KEY_CACHE_SIZE = 1024;
const signingKeys = new Map<string, { secret: string; key: Buffer }>();

async function signingKeyFor(credential: Credential, opts: VerifyOptions): Promise<Buffer> {
  const secret = await opts.lookupSecret(credential.accessKeyId);
  if (secret === undefined) throw new ApiError('InvalidAccessKeyId');
  const cacheKey = `${credential.accessKeyId}/${credential.scope}`;
  const cached = signingKeys.get(cacheKey);
  // A rotated secret must not reuse the old derivation.
  if (cached !== undefined && cached.secret === secret) return cached.key;
  const [date, region, service] = credential.scope.split('/') as [string, string, string];
  let key = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  for (const part of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  signingKeys.delete(cacheKey);
  if (signingKeys.size >= SIGNING_KEY_CACHE_SIZE) signingKeys.delete(signingKeys.keys().next().value!);
  signingKeys.set(cacheKey, { secret, key });
  return key;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
