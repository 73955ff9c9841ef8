/**
 * The messages of one mailbox in storage: sealed bodies in S3 and meta rows in K2V.
 * Reads are batched (one ReadBatch for many meta rows) and decrypted metas are cached
 * (a meta row never changes); bodies are read only for what needs them, and a byte
 * range decrypts only the segments it falls in.
 */
import type { K2vWrite } from '../../core/client/index.js';
import { openBody, openRange, sealBody } from '../crypto/segments.js';
import { bodyAd, bodyKey, metaAd, metaPk, metaSpillAd, metaSpillKey } from '../mailbox/layout.js';
import { openMetaRow, openSpilledMeta, sealMeta, type MessageMeta } from '../mailbox/message-meta.js';
import { MessageGoneError } from './errors.js';
import { mapLimit } from './limit.js';
import type { UserStorage } from './storage.js';

/** Meta rows per ReadBatch, and S3 requests in flight per call. */
const READ_BATCH = 500;
const PARALLEL = 16;
/** Metas above this go to S3 (K2V values are limited to 1 MiB). */
const META_INLINE_MAX = 256 * 1024;
const META_CACHE = 2000;

export interface MessageContext {
  storage: UserStorage;
  userId: string;
  key: Uint8Array;
}

export class MessageStore {
  private readonly cache = new Map<string, MessageMeta>();

  constructor(
    private readonly ctx: MessageContext,
    readonly mailboxId: string,
  ) {}

  private get k2v() {
    return this.ctx.storage.k2v;
  }

  private get blobs() {
    return this.ctx.storage.blobs;
  }

  /** Seals and stores a body under a new message id; returns nothing until durable. */
  async putBody(messageId: string, bodyKeyBytes: Uint8Array, raw: Uint8Array): Promise<void> {
    await this.blobs.put(bodyKey(messageId), sealBody(bodyKeyBytes, bodyAd(this.ctx.userId, messageId), raw));
  }

  /** The K2V write of a message's meta row (a large meta is written to S3 here first). */
  async metaWrite(messageId: string, meta: MessageMeta): Promise<K2vWrite> {
    const sealed = sealMeta(this.ctx.key, meta, metaAd(this.ctx.userId, this.mailboxId, messageId), metaSpillAd(this.ctx.userId, this.mailboxId, messageId), META_INLINE_MAX);
    if (sealed.spill !== undefined) await this.blobs.put(metaSpillKey(this.mailboxId, messageId), sealed.spill);
    return { pk: metaPk(this.mailboxId), sk: messageId, value: sealed.row };
  }

  private async openRow(messageId: string, row: Uint8Array): Promise<MessageMeta> {
    const meta = openMetaRow(this.ctx.key, row, metaAd(this.ctx.userId, this.mailboxId, messageId));
    if (meta !== 'spilled') return meta;
    const blob = await this.blobs.get(metaSpillKey(this.mailboxId, messageId));
    if (blob === null) throw new MessageGoneError(messageId);
    return openSpilledMeta(this.ctx.key, blob.body, metaSpillAd(this.ctx.userId, this.mailboxId, messageId));
  }

  private remember(id: string, meta: MessageMeta): void {
    if (this.cache.size >= META_CACHE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(id, meta);
  }

  /** Metas of the messages (missing ones are left out: expunged meanwhile). */
  async metas(ids: readonly string[]): Promise<Map<string, MessageMeta>> {
    const out = new Map<string, MessageMeta>();
    const wanted = ids.filter((id) => {
      const hit = this.cache.get(id);
      if (hit !== undefined) out.set(id, hit);
      return hit === undefined;
    });
    for (let i = 0; i < wanted.length; i += READ_BATCH) {
      const chunk = wanted.slice(i, i + READ_BATCH);
      const pages = await this.k2v.readBatch(chunk.map((sk) => ({ pk: metaPk(this.mailboxId), start: sk, singleItem: true })));
      const rows = pages.flatMap((p) => p.items);
      await mapLimit(rows, PARALLEL, async (item) => {
        const row = item.values.find((v): v is Uint8Array => v !== null);
        if (row === undefined) return;
        const meta = await this.openRow(item.sk, row);
        this.remember(item.sk, meta);
        out.set(item.sk, meta);
      });
    }
    return out;
  }

  async meta(id: string): Promise<MessageMeta> {
    const meta = (await this.metas([id])).get(id);
    if (meta === undefined) throw new MessageGoneError(id);
    return meta;
  }

  /** Every meta row of the mailbox, in pages (not cached: for bulk reads). */
  async *allMetas(pageSize = READ_BATCH): AsyncGenerator<[string, MessageMeta]> {
    let start: string | undefined;
    do {
      const [page] = await this.k2v.readBatch([{ pk: metaPk(this.mailboxId), ...(start !== undefined ? { start } : {}), limit: pageSize }]);
      const metas = await mapLimit(page!.items, PARALLEL, async (item) => {
        const row = item.values.find((v): v is Uint8Array => v !== null);
        return row === undefined ? undefined : ([item.sk, await this.openRow(item.sk, row)] as [string, MessageMeta]);
      });
      for (const m of metas) if (m !== undefined) yield m;
      start = page!.more && page!.nextStart !== null ? page!.nextStart : undefined;
    } while (start !== undefined);
  }

  /** The whole raw message. */
  async body(id: string, meta: MessageMeta): Promise<Buffer> {
    const blob = await this.blobs.get(bodyKey(id));
    if (blob === null) throw new MessageGoneError(id);
    return openBody(meta.bodyKey, bodyAd(this.ctx.userId, meta.bodyId), blob.body);
  }

  /** Bytes [start, end) of the raw message: from the stored header when they lie in it, else the body's segments. */
  async range(id: string, meta: MessageMeta, start: number, end: number): Promise<Buffer> {
    const stop = Math.min(end, meta.summary.rawSize);
    if (start >= stop) return Buffer.alloc(0);
    if (meta.header !== null && stop <= meta.header.length) return meta.header.subarray(start, stop);
    return openRange(meta.bodyKey, bodyAd(this.ctx.userId, meta.bodyId), meta.summary.rawSize, start, stop, async (s, e) => {
      const blob = await this.blobs.get(bodyKey(id), { start: s, end: e - 1 });
      if (blob === null) throw new MessageGoneError(id);
      return blob.body;
    });
  }

  /** Copies bodies server-side (no re-encryption: the meta keeps the key and binding id). */
  async copyBodies(pairs: readonly [string, string][]): Promise<void> {
    await mapLimit(pairs, PARALLEL, ([from, to]) => this.blobs.copy(bodyKey(from), bodyKey(to)));
  }

  /** Removes the bodies and meta rows of messages expunged here. */
  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    for (const id of ids) this.cache.delete(id);
    await this.k2v.deleteRange(ids.map((sk) => ({ pk: metaPk(this.mailboxId), start: sk, singleItem: true })));
    await mapLimit(ids, PARALLEL, (id) => this.blobs.delete(bodyKey(id)));
    const gone = new Set(ids.map((id) => metaSpillKey(this.mailboxId, id)));
    const spilled = (await this.spilledMetas()).filter((k) => gone.has(k));
    await mapLimit(spilled, PARALLEL, (k) => this.blobs.delete(k));
  }

  /** Keys of the metas of this mailbox that live in S3 (rare: only very large ones). */
  async spilledMetas(): Promise<string[]> {
    const prefix = metaSpillKey(this.mailboxId, '');
    const keys: string[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.blobs.list(prefix, continuationToken !== undefined ? { continuationToken } : {});
      keys.push(...page.items.map((i) => i.key));
      continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
    return keys;
  }
}
