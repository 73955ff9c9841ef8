import { createHash } from 'node:crypto';
import { toHex } from '../util/encoding.js';
import { md5, randomId } from '../util/hash.js';
import { nextTimestamp } from '../util/time.js';
import { addBlocksInTransaction, BlockChunker, VersionWriter } from './block-writer.js';
import type { ModelContext } from './context.js';
import { ModelError } from './errors.js';
import { listPage, resumeAfterMarker, type ListItem, type ListParams, type ListResult } from './list.js';
import { latestParts, type MpuEntry, type MpuPart } from './mpu-table.js';
import { checkKey, completeVersionInTransaction, type BodyVerifier, type WriteResult } from './objects.js';
import { withQuotaCheck } from './quotas.js';
import { maxVersionTs, type ChecksumAlgorithm, type ObjectChecksum, type ObjectHeaders, type ObjectMeta, type ObjectVersion, type UploadingState } from './object-table.js';
import { readPieces, type DataLayout } from './read.js';
import { deletedVersion, type VersionBacklink, type VersionBlock } from './version-table.js';

export interface UploadView {
  uploadId: Buffer;
  bucketId: Buffer;
  key: string;
  ts: bigint;
  state: UploadingState;
}

export interface PartResult {
  etag: string;
  size: number;
  checksum: ObjectChecksum | null;
}

/** A part as listed in CompleteMultipartUpload. */
export interface RequestedPart {
  part: number;
  etag: string;
  /** Base64 checksum the client states for the part, if any. */
  checksum: string | null;
}

/** Builds the object checksum of a completed upload from its parts' checksums (composite). */
export type CompositeChecksum = (algorithm: ChecksumAlgorithm, partChecksums: string[]) => ObjectChecksum;

const EMPTY = Buffer.alloc(0);

function uploadingVersion(versions: ObjectVersion[], uploadId: Buffer): (ObjectVersion & { state: { uploading: UploadingState } }) | undefined {
  const v = versions.find((x) => x.uuid.equals(uploadId));
  return v && 'uploading' in v.state && v.state.uploading.multipart ? (v as ObjectVersion & { state: { uploading: UploadingState } }) : undefined;
}

/** Multipart uploads: create, parts (uploaded or copied), complete, abort, listings. */
export class Multipart {
  constructor(private readonly ctx: ModelContext) {}

  async create(bucketId: Buffer, key: string, headers: ObjectHeaders, checksumAlgorithm: ChecksumAlgorithm | null): Promise<Buffer> {
    const t = this.ctx.tables;
    const keyBytes = checkKey(key);
    const uploadId = randomId();
    await this.ctx.db.transaction(() => {
      const ts = nextTimestamp(maxVersionTs(t.objects.getLocal(bucketId, keyBytes)));
      t.mpus.applyInTransaction({ uploadId, ts, deleted: false, parts: [], bucketId, key });
      t.objects.applyInTransaction({ bucketId, key, versions: [{ uuid: uploadId, ts, state: { uploading: { multipart: true, headers, checksumAlgorithm } } }] });
    });
    return uploadId;
  }

  /** The upload if it is still in progress for this bucket and key (also inside a transaction). */
  find(bucketId: Buffer, key: string, uploadId: Buffer): { upload: UploadView; mpu: MpuEntry } | undefined {
    const t = this.ctx.tables;
    const mpu = t.mpus.getLocal(uploadId, EMPTY);
    if (!mpu || mpu.deleted || !mpu.bucketId.equals(bucketId) || mpu.key !== key) return undefined;
    const v = uploadingVersion(t.objects.getLocal(bucketId, Buffer.from(key, 'utf8'))?.versions ?? [], uploadId);
    return v ? { upload: { uploadId, bucketId, key, ts: v.ts, state: v.state.uploading }, mpu } : undefined;
  }

  required(bucketId: Buffer, key: string, uploadId: Buffer): { upload: UploadView; mpu: MpuEntry } {
    const found = this.find(bucketId, key, uploadId);
    if (!found) throw new ModelError('NoSuchUpload', 'the upload does not exist, or was completed or aborted');
    return found;
  }

  /**
   * Stores one part: `fill` feeds the part's bytes into the writer. The part is
   * registered (data pending) with its first block, then completed with its etag; a
   * failed part is deleted with its blocks. A retried part number gets a later entry.
   */
  private async storePart(
    bucketId: Buffer,
    key: string,
    uploadId: Buffer,
    partNumber: number,
    fill: (writer: VersionWriter) => Promise<{ md5: Buffer; size: number }>,
    verify: BodyVerifier,
  ): Promise<PartResult> {
    const t = this.ctx.tables;
    this.required(bucketId, key, uploadId);
    const uuid = randomId();
    const backlink: VersionBacklink = { upload: { uploadId } };
    let ts: bigint | undefined;
    let uploadGone = false;
    const register = (result: PartResult | null) => {
      const mpu = t.mpus.getLocal(uploadId, EMPTY)!;
      ts ??= nextTimestamp(mpu.parts.filter((p) => p.part === partNumber).reduce<bigint | undefined>((m, p) => (m === undefined || p.ts > m ? p.ts : m), undefined));
      const part: MpuPart = { part: partNumber, ts, version: uuid, etag: result?.etag ?? null, size: result?.size ?? null, checksum: result?.checksum?.value ?? null };
      const merged = t.mpus.applyInTransaction({ ...mpu, parts: [part] });
      // Completed or aborted meanwhile: the part's data goes with it.
      if (merged.deleted) {
        t.versions.applyInTransaction(deletedVersion(uuid, backlink));
        uploadGone = true;
      }
    };
    const writer = new VersionWriter(this.ctx, uuid, partNumber, backlink, () => register(null));
    try {
      const { md5, size } = await fill(writer);
      const checksum = await verify({ size, md5 });
      const result: PartResult = { etag: md5.toString('hex'), size, checksum };
      await this.ctx.db.transaction(() => {
        writer.beginOnce();
        register(result);
      });
      if (uploadGone) throw new ModelError('NoSuchUpload', 'the upload was completed or aborted during the part upload');
      return result;
    } catch (err) {
      await writer.settle();
      if (writer.started && !uploadGone) await this.ctx.db.transaction(() => t.versions.applyInTransaction(deletedVersion(uuid, backlink)));
      throw err;
    }
  }

  uploadPart(bucketId: Buffer, key: string, uploadId: Buffer, partNumber: number, body: AsyncIterable<Uint8Array>, verify: BodyVerifier): Promise<PartResult> {
    return this.storePart(
      bucketId,
      key,
      uploadId,
      partNumber,
      async (writer) => {
        const chunker = new BlockChunker(body, this.ctx.config.blockSize);
        for (;;) {
          const { block, last } = await chunker.next();
          if (block.length > 0) await writer.add(block);
          if (last) return { md5: await writer.finish(), size: chunker.size };
        }
      },
      verify,
    );
  }

  /**
   * UploadPartCopy: the bytes [start, end) of a source object become a part. Source
   * blocks entirely inside the range are referenced, not rewritten; the edges are
   * stored as new blocks. The data is still read once, for the part's MD5.
   */
  uploadPartCopy(bucketId: Buffer, key: string, uploadId: Buffer, partNumber: number, source: DataLayout, start: number, end: number): Promise<PartResult> {
    return this.storePart(
      bucketId,
      key,
      uploadId,
      partNumber,
      async (writer) => {
        const md5 = createHash('md5');
        for await (const piece of readPieces(this.ctx.blocks, this.ctx.cache, source, start, end)) {
          md5.update(piece.data);
          if (piece.whole) writer.addExisting(piece.block!.hash, piece.block!.size);
          else await writer.add(piece.data);
        }
        await writer.finish();
        return { md5: md5.digest(), size: end - start };
      },
      () => null,
    );
  }

  /**
   * CompleteMultipartUpload: the listed parts (strictly increasing numbers, matching
   * etags) become the object, renumbered 1..n; ETag = MD5 of the parts' MD5s + "-n".
   * Everything is checked before anything is written, in the same transaction.
   */
  async complete(bucketId: Buffer, key: string, uploadId: Buffer, requested: RequestedPart[], composite: CompositeChecksum): Promise<WriteResult> {
    if (requested.length === 0) throw new ModelError('EntityTooSmall', 'a multipart upload needs at least one part');
    for (let i = 1; i < requested.length; i++) {
      if (requested[i]!.part <= requested[i - 1]!.part) throw new ModelError('InvalidPartOrder', 'part numbers must be strictly increasing');
    }
    const t = this.ctx.tables;
    return this.ctx.db.transaction(() => {
      const { upload, mpu } = this.required(bucketId, key, uploadId);
      const chosen = requested.map((r) => {
        const candidates = mpu.parts.filter((p) => p.part === r.part && p.etag === r.etag.replace(/"/g, '') && p.size !== null);
        const part = candidates[candidates.length - 1];
        if (!part || (r.checksum !== null && part.checksum !== null && r.checksum !== part.checksum)) {
          throw new ModelError('InvalidPart', `part ${r.part} was not uploaded with etag ${r.etag}`);
        }
        const version = t.versions.getLocal(part.version, EMPTY);
        if (!version || version.deleted) throw new ModelError('InvalidPart', `part ${r.part} is gone`);
        return { part, blocks: version.blocks };
      });
      const blocks: VersionBlock[] = chosen.flatMap(({ blocks }, i) => blocks.map((b) => ({ ...b, part: i + 1 })));
      const algorithm = upload.state.checksumAlgorithm;
      const partChecksums = chosen.map((c) => c.part.checksum);
      const meta: ObjectMeta = {
        size: chosen.reduce((n, c) => n + c.part.size!, 0),
        etag: `${md5(Buffer.concat(chosen.map((c) => Buffer.from(c.part.etag!, 'hex')))).toString('hex')}-${chosen.length}`,
        headers: upload.state.headers,
        checksum: algorithm !== null && partChecksums.every((c) => c !== null) ? composite(algorithm, partChecksums as string[]) : null,
      };
      if (blocks.length > 0) addBlocksInTransaction(t, uploadId, { object: { bucketId, key } }, blocks);
      const data = blocks.length > 0 ? { firstBlock: { meta, hash: blocks[0]!.hash } } : { inline: { meta, bytes: EMPTY } };
      // The upload's own version turns complete; the object hook then deletes the upload and its part versions.
      withQuotaCheck(t, bucketId, () => completeVersionInTransaction(t, bucketId, key, uploadId, data, upload.ts));
      return { uuid: uploadId, ts: upload.ts, meta };
    });
  }

  async abort(bucketId: Buffer, key: string, uploadId: Buffer): Promise<void> {
    const t = this.ctx.tables;
    this.required(bucketId, key, uploadId);
    await this.ctx.db.transaction(() => {
      const found = this.find(bucketId, key, uploadId);
      if (found) t.objects.applyInTransaction({ bucketId, key, versions: [{ uuid: uploadId, ts: found.upload.ts, state: { aborted: true } }] });
    });
  }

  /** The newest completed upload of each part, after part number `marker`. */
  parts(mpu: MpuEntry, marker: number, maxParts: number): { parts: MpuPart[]; truncated: boolean } {
    const all = latestParts(mpu).filter((p) => p.part > marker);
    return { parts: all.slice(0, maxParts), truncated: all.length > maxParts };
  }

  /**
   * One page of the bucket's uploads in progress, by key then start time. The markers
   * resume after upload `uploadIdMarker` of key `keyMarker` (or after the whole key).
   */
  listUploads(bucketId: Buffer, params: Omit<ListParams, 'from'>, keyMarker: string, uploadIdMarker: string): ListResult<UploadView> {
    const t = this.ctx.tables;
    const prefix = Buffer.from(params.prefix, 'utf8');
    const from = keyMarker === '' ? EMPTY : uploadIdMarker === '' ? resumeAfterMarker(keyMarker, params.prefix, params.delimiter) : Buffer.from(keyMarker, 'utf8');
    return listPage(
      function* (start: Buffer): Generator<ListItem<UploadView>> {
        for (const entry of t.objects.iterateRange(bucketId, { prefix, start })) {
          let uploads = entry.versions.filter((v) => 'uploading' in v.state && v.state.uploading.multipart);
          if (entry.key === keyMarker && uploadIdMarker !== '') {
            const i = uploads.findIndex((v) => toHex(v.uuid) === uploadIdMarker);
            uploads = uploads.slice(i + 1);
          }
          for (const v of uploads) {
            const state = (v.state as { uploading: UploadingState }).uploading;
            yield { key: entry.key, value: { uploadId: v.uuid, bucketId, key: entry.key, ts: v.ts, state } };
          }
        }
      },
      { ...params, from },
    );
  }
}
