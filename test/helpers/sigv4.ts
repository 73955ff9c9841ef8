/**
 * A small AWS Signature V4 signer for raw node:http requests to the S3 API
 * (path style), for benchmarks and tests that want less client overhead than the SDK.
 * No vitest import: used by test/bench.
 */
import { createHash, createHmac } from 'node:crypto';

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** RFC 3986 encoding as SigV4 wants it (everything but A-Z a-z 0-9 - . _ ~). */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** "/bucket/key/with/slashes", each segment encoded once (S3 does not double-encode). */
export function objectPath(bucket: string, key?: string): string {
  const parts = [bucket, ...(key === undefined ? [] : key.split('/'))];
  return `/${parts.map(uriEncode).join('/')}`;
}

export interface SignInput {
  method: string;
  /** Already encoded path, e.g. from objectPath(). */
  path: string;
  /** Query parameters (unencoded). */
  query?: Record<string, string>;
  /** host[:port] as sent in the Host header. */
  host: string;
  /** Extra headers to sign (lower-case names). */
  headers?: Record<string, string>;
  /** Hex sha256 of the body, or UNSIGNED-PAYLOAD. */
  payloadHash: string;
  date?: Date;
}

export class SigV4Signer {
  private keyDate = '';
  private signingKey: Buffer = Buffer.alloc(0);

  constructor(
    private readonly accessKeyId: string,
    private readonly secretAccessKey: string,
    private readonly region = 'garage',
    private readonly service = 's3',
  ) {}

  private keyFor(date: string): Buffer {
    if (date !== this.keyDate) {
      const kDate = createHmac('sha256', `AWS4${this.secretAccessKey}`).update(date).digest();
      const kRegion = createHmac('sha256', kDate).update(this.region).digest();
      const kService = createHmac('sha256', kRegion).update(this.service).digest();
      this.signingKey = createHmac('sha256', kService).update('aws4_request').digest();
      this.keyDate = date;
    }
    return this.signingKey;
  }

  /** Returns the headers to send (including host, x-amz-date, x-amz-content-sha256, authorization) and the path with query. */
  sign(input: SignInput): { headers: Record<string, string>; pathWithQuery: string } {
    const amzDate = (input.date ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const day = amzDate.slice(0, 8);
    const headers: Record<string, string> = {
      ...(input.headers ?? {}),
      host: input.host,
      'x-amz-date': amzDate,
      'x-amz-content-sha256': input.payloadHash,
    };
    const names = Object.keys(headers)
      .map((h) => h.toLowerCase())
      .sort();
    const lower: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v.trim().replace(/\s+/g, ' ');
    const canonicalHeaders = names.map((n) => `${n}:${lower[n]}\n`).join('');
    const signedHeaders = names.join(';');
    const query = Object.entries(input.query ?? {})
      .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const canonicalRequest = [input.method, input.path, query, canonicalHeaders, signedHeaders, input.payloadHash].join('\n');
    const scope = `${day}/${this.region}/${this.service}/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
    const signature = createHmac('sha256', this.keyFor(day)).update(stringToSign).digest('hex');
    headers['authorization'] = `AWS4-HMAC-SHA256 Credential=${this.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return { headers, pathWithQuery: query ? `${input.path}?${query}` : input.path };
  }
}
