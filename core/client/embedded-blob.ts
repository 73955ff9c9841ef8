/** The blob port in-process: direct calls into this node's object pipeline (core/model Objects), no HTTP. */
import type { ObjectHeaders } from '../model/object-table.js';
import type { Objects } from '../model/objects.js';
import { StoreError } from './errors.js';
import type { BlobMeta, BlobPage, BlobStore, ByteRange, StoredBlob } from './port.js';

/** What the embedded blob store needs of the model: the S3 object pipeline on a bucket id. */
export type ObjectOps = Pick<Objects, 'head' | 'layout' | 'read' | 'put' | 'copy' | 'list' | 'delete'>;

const META_PREFIX = 'x-amz-meta-';
const DEFAULT_MAX_KEYS = 1000;

/** Stored the way the S3 API stores PutObject's headers, so both ports read the same object alike. */
function headersOf(meta: BlobMeta | undefined): ObjectHeaders {
  const headers: ObjectHeaders = [];
  if (meta?.contentType !== undefined) headers.push(['content-type', meta.contentType]);
  for (const [name, value] of Object.entries(meta?.metadata ?? {})) headers.push([`${META_PREFIX}${name.toLowerCase()}`, value]);
  return headers.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function metaOf(headers: ObjectHeaders): BlobMeta {
  const metadata: Record<string, string> = {};
  let contentType: string | undefined;
  for (const [name, value] of headers) {
    if (name === 'content-type') contentType = value;
    else if (name.startsWith(META_PREFIX)) metadata[name.slice(META_PREFIX.length)] = value;
  }
  return { ...(contentType !== undefined ? { contentType } : {}), metadata };
}

async function* once(body: Uint8Array): AsyncGenerator<Uint8Array> {
  yield body;
}

export class EmbeddedBlobStore implements BlobStore {
  constructor(
    private readonly objects: ObjectOps,
    private readonly bucketId: Buffer,
  ) {}

  async get(key: string, range?: ByteRange): Promise<StoredBlob | null> {
    const version = await this.objects.head(this.bucketId, key);
    if (version === undefined) return null;
    const size = version.meta.size;
    if (range !== undefined && range.start >= size) throw new StoreError('InvalidRange', 'The requested range is not satisfiable', 416);
    const start = range?.start ?? 0;
    const end = range === undefined ? size : Math.min(range.end + 1, size);
    const chunks: Buffer[] = [];
    for await (const chunk of this.objects.read(this.objects.layout(version), start, end)) chunks.push(chunk);
    return { body: Buffer.concat(chunks), size, etag: version.meta.etag, meta: metaOf(version.meta.headers) };
  }

  async put(key: string, body: Uint8Array, meta?: BlobMeta): Promise<{ etag: string }> {
    const result = await this.objects.put({
      bucketId: this.bucketId,
      key,
      body: once(body),
      headers: headersOf(meta),
      checksumAlgorithm: null,
      verify: () => null,
    });
    return { etag: result.meta.etag };
  }

  async copy(srcKey: string, dstKey: string): Promise<void> {
    const source = await this.objects.head(this.bucketId, srcKey);
    if (source === undefined) throw new StoreError('NoSuchKey', 'The specified key does not exist.', 404);
    await this.objects.copy(source, this.bucketId, dstKey, null);
  }

  async list(prefix: string, options: { continuationToken?: string; maxKeys?: number } = {}): Promise<BlobPage> {
    const from = options.continuationToken === undefined ? Buffer.alloc(0) : Buffer.from(options.continuationToken, 'base64url');
    const page = this.objects.list(this.bucketId, { prefix, delimiter: '', maxKeys: options.maxKeys ?? DEFAULT_MAX_KEYS, from });
    return {
      items: page.items.map(({ key, value }) => ({ key, size: value.meta.size, etag: value.meta.etag, lastModified: new Date(Number(value.ts)) })),
      continuationToken: page.truncated && page.nextFrom ? page.nextFrom.toString('base64url') : undefined,
    };
  }

  delete(key: string): Promise<void> {
    return this.objects.delete(this.bucketId, [key]);
  }
}
