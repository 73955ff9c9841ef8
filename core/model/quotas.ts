import { liveBucket } from './access.js';
import { ModelError } from './errors.js';
import type { Tables } from './tables.js';

/**
 * Runs `write` inside the caller's transaction and refuses it with QuotaExceeded when
 * it grew the bucket past one of its quotas. The error is thrown inside the
 * transaction, so the write is dropped whole; the counters are exact and read in the
 * same transaction, so concurrent writes cannot overshoot together. Only growth is
 * refused: a smaller overwrite or a deletion always passes, even over a lowered quota.
 */
export function withQuotaCheck<T>(t: Tables, bucketId: Buffer, write: () => T): T {
  const before = t.counters.get(bucketId);
  const result = write();
  const quotas = liveBucket(t, bucketId)?.state.present.quotas.value;
  if (quotas === undefined) return result;
  const after = t.counters.get(bucketId);
  if (quotas.maxObjects !== null && after.objects > before.objects && after.objects > quotas.maxObjects) {
    throw new ModelError('QuotaExceeded', `The bucket is limited to ${quotas.maxObjects} objects.`);
  }
  if (quotas.maxSize !== null && after.bytes > before.bytes && after.bytes > quotas.maxSize) {
    throw new ModelError('QuotaExceeded', `The bucket is limited to ${quotas.maxSize} bytes.`);
  }
  return result;
}
