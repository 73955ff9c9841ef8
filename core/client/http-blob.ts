/** The blob port over S3 (path style, SigV4 "s3"): our server, Garage or any S3. */
import type { IncomingHttpHeaders } from 'node:http';
import { asArray, parseXml, type XmlNode, type XmlObject } from '../api/common/xml.js';
import { uriEncode } from '../api/common/http.js';
import { utf8 } from '../util/encoding.js';
import { StoreError } from './errors.js';
import { SignedHttp, type HttpCall, type HttpReply, type HttpTarget } from './http.js';
import type { BlobMeta, BlobPage, BlobStore, ByteRange, StoredBlob } from './port.js';
import { encodePath } from './sigv4.js';

export interface HttpBlobOptions extends HttpTarget {
  bucket: string;
}

const unquote = (etag: string | undefined): string => (etag ?? '').replace(/^"(.*)"$/, '$1');

function text(node: XmlNode | readonly XmlNode[] | undefined): string {
  return typeof node === 'string' ? node : '';
}

function metaOf(headers: IncomingHttpHeaders): BlobMeta {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-amz-meta-') && typeof value === 'string') metadata[name.slice('x-amz-meta-'.length)] = value;
  }
  return { ...(headers['content-type'] ? { contentType: headers['content-type'] } : {}), metadata };
}

function metaHeaders(meta: BlobMeta | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (meta?.contentType !== undefined) headers['content-type'] = meta.contentType;
  for (const [name, value] of Object.entries(meta?.metadata ?? {})) headers[`x-amz-meta-${name.toLowerCase()}`] = value;
  return headers;
}

export class HttpBlobStore implements BlobStore {
  private readonly http: SignedHttp;
  private readonly bucket: string;

  constructor(options: HttpBlobOptions) {
    this.http = new SignedHttp(options, 's3');
    this.bucket = options.bucket;
  }

  close(): void {
    this.http.close();
  }

  /** Sends a request; statuses other than `ok` become StoreError with S3's error code. */
  private async call(call: Omit<HttpCall, 'path'> & { key?: string }, ok: readonly number[]): Promise<HttpReply> {
    const path = encodePath(call.key === undefined ? [this.bucket] : [this.bucket, call.key]);
    const reply = await this.http.send({ ...call, path });
    if (ok.includes(reply.status)) return reply;
    let error: XmlObject = {};
    try {
      error = parseXml(reply.body, 'Error');
    } catch {
      // no S3 error body (HEAD, or a proxy's page)
    }
    throw new StoreError(text(error['Code']) || `HTTP${reply.status}`, text(error['Message']) || `S3 request failed with HTTP ${reply.status}`, reply.status);
  }

  async get(key: string, range?: ByteRange): Promise<StoredBlob | null> {
    const headers: Record<string, string> = range ? { range: `bytes=${range.start}-${range.end}` } : {};
    const reply = await this.call({ method: 'GET', key, headers }, [200, 206, 404]);
    if (reply.status === 404) return null;
    const total = /\/(\d+)$/.exec(String(reply.headers['content-range'] ?? ''));
    return {
      body: reply.body,
      size: total ? Number(total[1]) : reply.body.length,
      etag: unquote(reply.headers.etag),
      meta: metaOf(reply.headers),
    };
  }

  async put(key: string, body: Uint8Array, meta?: BlobMeta): Promise<{ etag: string }> {
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const reply = await this.call({ method: 'PUT', key, headers: metaHeaders(meta), body: bytes }, [200]);
    return { etag: unquote(reply.headers.etag) };
  }

  async copy(srcKey: string, dstKey: string): Promise<void> {
    const source = `/${uriEncode(utf8(this.bucket), true)}/${uriEncode(utf8(srcKey), false)}`;
    await this.call({ method: 'PUT', key: dstKey, headers: { 'x-amz-copy-source': source } }, [200]);
  }

  async list(prefix: string, options: { continuationToken?: string; maxKeys?: number } = {}): Promise<BlobPage> {
    const query: [string, string][] = [
      ['list-type', '2'],
      ['prefix', prefix],
    ];
    if (options.continuationToken !== undefined) query.push(['continuation-token', options.continuationToken]);
    if (options.maxKeys !== undefined) query.push(['max-keys', String(options.maxKeys)]);
    const reply = await this.call({ method: 'GET', query }, [200]);
    const result = parseXml(reply.body, 'ListBucketResult');
    const items = asArray(result['Contents']).map((c) => {
      const o = typeof c === 'object' ? (c as XmlObject) : {};
      return { key: text(o['Key']), size: Number(text(o['Size'])), etag: unquote(text(o['ETag'])), lastModified: new Date(text(o['LastModified'])) };
    });
    const truncated = text(result['IsTruncated']) === 'true';
    return { items, continuationToken: truncated ? text(result['NextContinuationToken']) : undefined };
  }

  async delete(key: string): Promise<void> {
    await this.call({ method: 'DELETE', key }, [204, 200]);
  }
}
