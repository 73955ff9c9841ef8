/** The K2V port in-process: direct calls into this node's K2vService, no HTTP. */
import type { K2vService } from '../model/k2v/index.js';
import type { K2vEntry, K2vPollRangeResult, K2vRangeBounds, K2vRangeDelete, K2vRangePage, K2vRangeRead, K2vStore, K2vWrite } from './port.js';

const asBuffer = (v: Uint8Array | null): Buffer | null =>
  v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);

export class EmbeddedK2vStore implements K2vStore {
  constructor(
    private readonly k2v: K2vService,
    private readonly bucketId: Buffer,
  ) {}

  read(pk: string, sk: string): Promise<K2vEntry | null> {
    return this.k2v.readItem(this.bucketId, pk, sk);
  }

  readBatch(ranges: readonly K2vRangeRead[]): Promise<K2vRangePage[]> {
    return this.k2v.readBatch(
      this.bucketId,
      ranges.map(({ pk, ...rest }) => ({ partitionKey: pk, ...rest })),
    );
  }

  async insert(pk: string, sk: string, value: Uint8Array | null, token?: string): Promise<void> {
    await this.insertBatch([{ pk, sk, value, ...(token !== undefined ? { token } : {}) }]);
  }

  insertBatch(items: readonly K2vWrite[]): Promise<void> {
    return this.k2v.insertBatch(
      this.bucketId,
      items.map((i) => ({ pk: i.pk, sk: i.sk, value: asBuffer(i.value), token: i.token ?? null })),
    );
  }

  deleteRange(ranges: readonly K2vRangeDelete[]): Promise<number[]> {
    return this.k2v.deleteBatch(
      this.bucketId,
      ranges.map(({ pk, ...rest }) => ({ partitionKey: pk, ...rest })),
    );
  }

  poll(pk: string, sk: string, token: string, timeoutMs: number): Promise<K2vEntry | null> {
    return this.k2v.pollItem(this.bucketId, pk, sk, token, { timeoutMs });
  }

  pollRange(pk: string, range: K2vRangeBounds, seenMarker: string | undefined, timeoutMs: number): Promise<K2vPollRangeResult | null> {
    return this.k2v.pollRange(this.bucketId, pk, { ...range, ...(seenMarker !== undefined ? { seenMarker } : {}), timeoutMs });
  }
}
