import { isPresent } from '../crdt/index.js';
import { utf8 } from '../util/encoding.js';
import { randomId } from '../util/hash.js';
import type { LifecycleFilter, LifecycleRule } from './bucket-table.js';
import type { ModelContext } from './context.js';
import { currentVersion, metaOf } from './object-table.js';
import { completeVersionInTransaction } from './objects.js';

export const DAY_MS = 86_400_000;
/** Objects examined per transaction. */
const BATCH = 100;

/** What one lifecycle pass did. */
export interface LifecycleResult {
  objectsExpired: number;
  uploadsAborted: number;
}

/** The midnight (UTC) after `ms`: S3 counts a rule's days from there. */
export function nextMidnight(ms: number): number {
  return (Math.floor(ms / DAY_MS) + 1) * DAY_MS;
}

function matches(filter: LifecycleFilter, key: string, size: number | undefined): boolean {
  if (filter.prefix !== null && !key.startsWith(filter.prefix)) return false;
  if (size === undefined) return true;
  return (filter.sizeGreaterThan === null || size > filter.sizeGreaterThan) && (filter.sizeLessThan === null || size < filter.sizeLessThan);
}

/** Whether `rule` expires, at `now`, an object of `size` bytes created at `created` (ms). */
export function expires(rule: LifecycleRule, key: string, size: number, created: number, now: number): boolean {
  if (!rule.enabled || rule.expiration === null || !matches(rule.filter, key, size)) return false;
  const due = 'days' in rule.expiration ? nextMidnight(created) + rule.expiration.days * DAY_MS : Date.parse(`${rule.expiration.date}T00:00:00Z`);
  return now >= due;
}

/** Whether `rule` aborts, at `now`, a multipart upload of `key` started at `started` (ms); size filters do not apply. */
export function abortsUpload(rule: LifecycleRule, key: string, started: number, now: number): boolean {
  if (!rule.enabled || rule.abortIncompleteUploadDays === null || !matches(rule.filter, key, undefined)) return false;
  return now >= nextMidnight(started) + rule.abortIncompleteUploadDays * DAY_MS;
}

/**
 * Applies the buckets' lifecycle rules: an expired object gets a delete marker (as a
 * DeleteObject would), an upload past its days is aborted. Each batch of objects is
 * re-read and changed in one transaction, so concurrent writes are never undone.
 */
export class Lifecycle {
  constructor(private readonly ctx: ModelContext) {}

  async run(now: number): Promise<LifecycleResult> {
    const t = this.ctx.tables;
    const result: LifecycleResult = { objectsExpired: 0, uploadsAborted: 0 };
    const buckets = [...t.buckets.iterateRange(Buffer.alloc(0))].flatMap((b) => {
      const rules = isPresent(b.state) ? (b.state.present.lifecycle.value ?? []) : [];
      return rules.some((r) => r.enabled) ? [{ id: b.id, rules }] : [];
    });
    for (const { id, rules } of buckets) {
      let start = Buffer.alloc(0);
      for (;;) {
        const keys = [...t.objects.iterateRange(id, { start, limit: BATCH })].map((e) => e.key);
        if (keys.length === 0) break;
        await this.ctx.db.transaction(() => keys.forEach((key) => this.applyInTransaction(id, key, rules, now, result)));
        if (keys.length < BATCH) break;
        start = Buffer.concat([utf8(keys[keys.length - 1]!), Buffer.from([0])]);
      }
    }
    return result;
  }

  private applyInTransaction(bucketId: Buffer, key: string, rules: LifecycleRule[], now: number, result: LifecycleResult): void {
    const t = this.ctx.tables;
    const entry = t.objects.getLocal(bucketId, utf8(key));
    for (const v of entry?.versions ?? []) {
      if (!('uploading' in v.state) || !v.state.uploading.multipart) continue;
      if (!rules.some((r) => abortsUpload(r, key, Number(v.ts), now))) continue;
      t.objects.applyInTransaction({ bucketId, key, versions: [{ uuid: v.uuid, ts: v.ts, state: { aborted: true } }] });
      result.uploadsAborted++;
    }
    const current = currentVersion(entry);
    if (current && rules.some((r) => expires(r, key, metaOf(current.data).size, Number(current.ts), now))) {
      completeVersionInTransaction(t, bucketId, key, randomId(), { deleteMarker: true });
      result.objectsExpired++;
    }
  }
}
