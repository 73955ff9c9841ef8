/**
 * The client side of AWS Signature Version 4 (header form), for the HTTP storage port:
 * S3 (service "s3") and K2V (service "k2v", whose canonical path is URI-encoded once
 * more, as AWS does for every service but S3 and as Garage verifies it).
 */
import { createHash, createHmac } from 'node:crypto';
import { utf8 } from '../util/encoding.js';
import { uriEncode } from '../api/common/http.js';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SignableRequest {
  method: string;
  /** host[:port] as sent in the Host header. */
  host: string;
  /** The path as sent: already URI-encoded (see encodePath). */
  path: string;
  /** Decoded query parameters; a keyword parameter has value ''. */
  query: readonly (readonly [string, string])[];
  /** Extra headers to sign and send (lower-case names). */
  headers: Readonly<Record<string, string>>;
  /** The payload's SHA-256 in hex, or UNSIGNED-PAYLOAD. */
  payloadHash: string;
}

export interface SignerOptions {
  credentials: Credentials;
  region: string;
  service: 's3' | 'k2v';
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A path from its segments, each URI-encoded (a key's own slashes kept when `keepSlashes`). */
export function encodePath(segments: readonly string[], keepSlashes = true): string {
  return segments.map((s) => `/${uriEncode(utf8(s), !keepSlashes)}`).join('');
}

/** The query string to send, in canonical form (sorted, URI-encoded): the same bytes that were signed. */
export function canonicalQuery(query: SignableRequest['query']): string {
  return query
    .map(([k, v]) => [uriEncode(utf8(k), true), uriEncode(utf8(v), true)] as const)
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

// The derived key changes once a day: keep it per access key and scope (and check the secret is the same).
const signingKeys = new Map<string, { secret: string; key: Buffer }>();

function signingKey(opts: SignerOptions, day: string): Buffer {
  const { accessKeyId, secretAccessKey } = opts.credentials;
  const id = `${accessKeyId}/${day}/${opts.region}/${opts.service}`;
  const cached = signingKeys.get(id);
  if (cached?.secret === secretAccessKey) return cached.key;
  let key = hmac(`AWS4${secretAccessKey}`, day);
  for (const part of [opts.region, opts.service, 'aws4_request']) key = hmac(key, part);
  if (signingKeys.size >= 64) signingKeys.clear();
  signingKeys.set(id, { secret: secretAccessKey, key });
  return key;
}

/** 20130524T000000Z */
function amzDate(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The headers to send with the request: the given ones plus host, x-amz-date, x-amz-content-sha256, authorization. */
export function signRequest(req: SignableRequest, opts: SignerOptions, now = new Date()): Record<string, string> {
  const date = amzDate(now);
  const day = date.slice(0, 8);
  const scope = `${day}/${opts.region}/${opts.service}/aws4_request`;
  const headers: Record<string, string> = { ...req.headers, host: req.host, 'x-amz-date': date, 'x-amz-content-sha256': req.payloadHash };
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${headers[n]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const path = opts.service === 's3' ? req.path : uriEncode(Buffer.from(req.path, 'latin1'), false);
  const canonical = [req.method, path, canonicalQuery(req.query), canonicalHeaders, names.join(';'), req.payloadHash].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', date, scope, sha256Hex(canonical)].join('\n');
  const signature = hmac(signingKey(opts, day), toSign).toString('hex');
  headers['authorization'] =
    `AWS4-HMAC-SHA256 Credential=${opts.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return headers;
}
