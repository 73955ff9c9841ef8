import type { BucketQuotas, WebsiteConfig } from '../../model/index.js';
import { AdminError } from './errors.js';

/** What an UpdateBucket body (Garage v1: `PUT /v1/bucket?id=`) asks to change. */
export interface BucketUpdate {
  website?: WebsiteConfig | null;
  quotas?: BucketQuotas;
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AdminError(400, 'InvalidRequest', `"${field}" must be an object`);
  return value as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '') throw new AdminError(400, 'InvalidRequest', `"${field}" must be a non-empty string`);
  return v;
}

/** A quota: a non-negative integer, or null / absent for none. */
function limit(body: Record<string, unknown>, field: string): bigint | null {
  const v = body[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new AdminError(400, 'InvalidRequest', `quotas.${field} must be a non-negative integer or null`);
  return BigInt(v);
}

/**
 * `{websiteAccess?: {enabled, indexDocument?, errorDocument?}, quotas?: {maxSize?, maxObjects?}}`
 * as Garage v1 takes it: enabling a website needs its index document, and `quotas`
 * replaces both limits (a missing one means no limit).
 */
export function parseBucketUpdate(body: Record<string, unknown>): BucketUpdate {
  const update: BucketUpdate = {};
  if (body['websiteAccess'] !== undefined) {
    const w = object(body['websiteAccess'], 'websiteAccess');
    if (typeof w['enabled'] !== 'boolean') throw new AdminError(400, 'InvalidRequest', '"websiteAccess.enabled" (true or false) is required');
    const indexDocument = optionalString(w, 'indexDocument');
    if (w['enabled'] && indexDocument === undefined) throw new AdminError(400, 'InvalidRequest', 'give "indexDocument" (e.g. "index.html") when enabling website access');
    update.website = w['enabled'] ? { indexDocument: indexDocument!, errorDocument: optionalString(w, 'errorDocument') ?? null } : null;
  }
  if (body['quotas'] !== undefined) {
    const q = object(body['quotas'], 'quotas');
    update.quotas = { maxSize: limit(q, 'maxSize'), maxObjects: limit(q, 'maxObjects') };
  }
  return update;
}
