import { md5, randomId, sha256Async } from '../util/hash.js';
import { nextTimestamp } from '../util/time.js';
import { addBlocksInTransaction, BlockChunker, releaseBlocksInTransaction, VersionWriter } from './block-writer.js';
import type { ModelContext } from './context.js';
import { ModelError } from './errors.js';
import { listPage, type ListItem, type ListParams, type ListResult } from './list.js';
import {
  currentVersion,
  MAX_KEY_BYTES,
  maxVersionTs,
  metaOf,
  type ChecksumAlgorithm,
  type ObjectChecksum,
  type ObjectEntry,
  type ObjectHeaders,
  type ObjectMeta,
  type ObjectVersionData,
} from './object-table.js';
import { withQuotaCheck } from './quotas.js';
import { readRange, type DataLayout } from './read.js';
import type { Tables } from './tables.js';
import type { VersionBacklink } from './version-table.js';

/** A completed, non-deleted object version, as GET and HEAD see it. */
export interface ObjectVersionView {
  bucketId: Buffer;
  key: string;
  uuid: Buffer;
  ts: bigint;
  data: Exclude<ObjectVersionData, { deleteMarker: true }>;
  meta: ObjectMeta;
}

/** What the body of a PUT turned out to be, for the caller's integrity checks. */
export interface BodyDigest {
  size: number;
  md5: Buffer;
}

/** Checks a received body before it becomes visible; throws to refuse it, returns the checksum to store. */
export type BodyVerifier = (digest: BodyDigest) => ObjectChecksum | null | Promise<ObjectChecksum | null>;

export interface PutObjectInput {
  bucketId: Buffer;
  key: string;
  body: AsyncIterable<Uint8Array>;
  headers: ObjectHeaders;
  checksumAlgorithm: ChecksumAlgorithm | null;
  verify: BodyVerifier;
}

export interface WriteResult {
  uuid: Buffer;
  ts: bigint;
  meta: ObjectMeta;
}

/** Writes `data` as the newest complete version of an object (or as version `ts`), in the caller's transaction. */
export function completeVersionInTransaction(t: Tables, bucketId: Buffer, key: string, uuid: Buffer, data: ObjectVersionData, ts?: bigint): bigint {
  const stamp = ts ?? nextTimestamp(maxVersionTs(t.objects.getLocal(bucketId, Buffer.from(key, 'utf8'))));
  t.objects.applyInTransaction({ bucketId, key, versions: [{ uuid, ts: stamp, state: { complete: data } }] });
  return stamp;
}

export function checkKey(key: string): Buffer {
  const bytes = Buffer.from(key, 'utf8');
  if (bytes.length > MAX_KEY_BYTES) throw new ModelError('KeyTooLongError', `object keys are limited to ${MAX_KEY_BYTES} bytes`);
  return bytes;
}

/** Objects: the PUT pipeline, reads, deletes, copies and listings. */
export class Objects {
  constructor(private readonly ctx: ModelContext) {}

  private view(entry: ObjectEntry | undefined): ObjectVersionView | undefined {
    const v = currentVersion(entry);
    return v && entry ? { bucketId: entry.bucketId, key: entry.key, uuid: v.uuid, ts: v.ts, data: v.data, meta: metaOf(v.data) } : undefined;
  }

  /** The current version of an object, if it exists. */
  async head(bucketId: Buffer, key: string): Promise<ObjectVersionView | undefined> {
    const keyBytes = Buffer.from(key, 'utf8');
    if (keyBytes.length > MAX_KEY_BYTES) return undefined;
    return this.view(await this.ctx.tables.objects.get(bucketId, keyBytes));
  }

  /** Where a version's bytes are; NoSuchKey if it was deleted since it was read. */
  layout(version: ObjectVersionView): DataLayout {
    if ('inline' in version.data) return { inline: version.data.inline.bytes };
    const entry = this.ctx.tables.versions.getLocal(version.uuid, Buffer.alloc(0));
    if (!entry || entry.deleted) throw new ModelError('NoSuchKey', 'the object was deleted while being read');
    let start = 0;
    return {
      blocks: entry.blocks.map((b) => {
        const placed = { hash: b.hash, part: b.part, start, size: b.size };
        start += b.size;
        return placed;
      }),
    };
  }

  read(layout: DataLayout, start: number, end: number): AsyncGenerator<Buffer> {
    return readRange(this.ctx.blocks, this.ctx.cache, layout, start, end);
  }

  /** A new complete version, refused (with everything else in the transaction) beyond the bucket's quotas. */
  private addInTransaction(bucketId: Buffer, key: string, uuid: Buffer, data: ObjectVersionData, ts?: bigint): bigint {
    const t = this.ctx.tables;
    return withQuotaCheck(t, bucketId, () => completeVersionInTransaction(t, bucketId, key, uuid, data, ts));
  }

  /**
   * PutObject. A body that fits in one block is checked before anything is written: it
   * goes inline (one transaction) or into one block plus one transaction. A larger body
   * is streamed block by block under an "uploading" version, which becomes complete
   * only after the whole body passed `verify`, and is aborted (its blocks released) on
   * any failure: a short or interrupted body never becomes visible.
   */
  async put(input: PutObjectInput): Promise<WriteResult> {
    const { db, blocks, config, tables: t } = this.ctx;
    const keyBytes = checkKey(input.key);
    const uuid = randomId();
    const backlink: VersionBacklink = { object: { bucketId: input.bucketId, key: input.key } };
    const chunker = new BlockChunker(input.body, config.blockSize);
    const finishMeta = async (md5: Buffer): Promise<ObjectMeta> => {
      const checksum = await input.verify({ size: chunker.size, md5 });
      return { size: chunker.size, etag: md5.toString('hex'), headers: input.headers, checksum };
    };
    let chunk = await chunker.next();
    if (chunk.last) {
      const meta = await finishMeta(md5(chunk.block));
      const data = chunk.block;
      if (meta.size < config.inlineThreshold) {
        const ts = await db.transaction(() => this.addInTransaction(input.bucketId, input.key, uuid, { inline: { meta, bytes: data } }));
        return { uuid, ts, meta };
      }
      const hash = await sha256Async(data);
      const block = { part: 0, offset: 0, hash, size: data.length };
      try {
        await blocks.put(hash, data);
        this.ctx.cache.add(hash, data);
        const ts = await db.transaction(() => {
          addBlocksInTransaction(t, uuid, backlink, [block]);
          return this.addInTransaction(input.bucketId, input.key, uuid, { firstBlock: { meta, hash } });
        });
        return { uuid, ts, meta };
      } catch (err) {
        await db.transaction(() => releaseBlocksInTransaction(t, uuid, backlink, [block]));
        throw err;
      } finally {
        blocks.unpin(hash);
      }
    }
    let ts = 0n;
    const writer = new VersionWriter(this.ctx, uuid, 0, backlink, () => {
      ts = nextTimestamp(maxVersionTs(t.objects.getLocal(input.bucketId, keyBytes)));
      const uploading = { multipart: false, headers: input.headers, checksumAlgorithm: input.checksumAlgorithm };
      t.objects.applyInTransaction({ bucketId: input.bucketId, key: input.key, versions: [{ uuid, ts, state: { uploading } }] });
    });
    try {
      for (;;) {
        await writer.add(chunk.block);
        if (chunk.last) break;
        chunk = await chunker.next();
      }
      const meta = await finishMeta(await writer.finish());
      await db.transaction(() => this.addInTransaction(input.bucketId, input.key, uuid, { firstBlock: { meta, hash: writer.firstHash! } }, ts));
      return { uuid, ts, meta };
    } catch (err) {
      await writer.settle();
      if (writer.started) {
        await db.transaction(() => t.objects.applyInTransaction({ bucketId: input.bucketId, key: input.key, versions: [{ uuid, ts, state: { aborted: true } }] }));
      }
      throw err;
    }
  }

  /**
   * Deletes objects by writing a delete marker newer than every version (which also
   * ends uploads of the key in progress, as in Garage). Keys without a current version
   * are left alone (S3 answers success for them too). One transaction for all keys.
   */
  async delete(bucketId: Buffer, keys: string[]): Promise<void> {
    const t = this.ctx.tables;
    const exists = (key: string) => {
      const keyBytes = Buffer.from(key, 'utf8');
      return keyBytes.length <= MAX_KEY_BYTES && currentVersion(t.objects.getLocal(bucketId, keyBytes)) !== undefined;
    };
    if (!keys.some(exists)) return;
    await this.ctx.db.transaction(() => {
      for (const key of keys) if (exists(key)) completeVersionInTransaction(t, bucketId, key, randomId(), { deleteMarker: true });
    });
  }

  /**
   * CopyObject without moving data: the new version references the source's blocks
   * (new block references) or repeats its inline bytes. `headers` null keeps the
   * source's stored headers (metadata directive COPY).
   */
  async copy(source: ObjectVersionView, bucketId: Buffer, key: string, headers: ObjectHeaders | null): Promise<WriteResult> {
    const t = this.ctx.tables;
    checkKey(key);
    const uuid = randomId();
    const meta: ObjectMeta = { ...source.meta, headers: headers ?? source.meta.headers };
    const ts = await this.ctx.db.transaction(() => {
      if ('inline' in source.data) return this.addInTransaction(bucketId, key, uuid, { inline: { meta, bytes: source.data.inline.bytes } });
      const from = t.versions.getLocal(source.uuid, Buffer.alloc(0));
      if (!from || from.deleted) throw new ModelError('NoSuchKey', 'the source object was deleted during the copy');
      const backlink: VersionBacklink = { object: { bucketId, key } };
      addBlocksInTransaction(t, uuid, backlink, from.blocks);
      return this.addInTransaction(bucketId, key, uuid, { firstBlock: { meta, hash: source.data.firstBlock.hash } });
    });
    return { uuid, ts, meta };
  }

  /** One page of the bucket's current objects. */
  list(bucketId: Buffer, params: ListParams): ListResult<ObjectVersionView> {
    const prefix = Buffer.from(params.prefix, 'utf8');
    const t = this.ctx.tables;
    const view = (e: ObjectEntry) => this.view(e);
    return listPage(function* (from: Buffer): Generator<ListItem<ObjectVersionView>> {
      for (const entry of t.objects.iterateRange(bucketId, { prefix, start: from })) {
        const v = view(entry);
        if (v) yield { key: entry.key, value: v };
      }
    }, params);
  }
}
