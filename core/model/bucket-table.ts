import {
  mergeCrdtMap,
  mergeDeletable,
  mergeLww,
  mergeLwwMap,
  type CrdtMap,
  type Deletable,
  type Lww,
  type LwwMap,
} from '../crdt/index.js';
import type { TableSchema } from '../table/index.js';
import { mergePerm, type BucketKeyPerm } from './permission.js';

export interface CorsRule {
  id: string | null;
  maxAgeSeconds: number | null;
  allowOrigins: string[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
}

export interface WebsiteConfig {
  indexDocument: string;
  errorDocument: string | null;
}

export interface BucketQuotas {
  maxSize: bigint | null;
  maxObjects: bigint | null;
}

/** Which objects a lifecycle rule applies to (every condition given must hold). */
export interface LifecycleFilter {
  prefix: string | null;
  /** Bytes; the object must be strictly larger. */
  sizeGreaterThan: number | null;
  /** Bytes; the object must be strictly smaller. */
  sizeLessThan: number | null;
}

/** A lifecycle rule of the kinds Garage supports. */
export interface LifecycleRule {
  id: string | null;
  enabled: boolean;
  filter: LifecycleFilter;
  /** Expire current objects N days after their creation, or from a day on (YYYY-MM-DD, midnight UTC). */
  expiration: { days: number } | { date: string } | null;
  /** Abort multipart uploads N days after they were started. */
  abortIncompleteUploadDays: number | null;
}

export interface BucketParams {
  /** Milliseconds since the epoch. */
  creationDate: bigint;
  /** Access key id → rights (mirrored in the key entries). */
  authorizedKeys: CrdtMap<BucketKeyPerm>;
  /** Global aliases pointing here (back-references of bucket_alias; not authoritative). */
  aliases: LwwMap<boolean>;
  /** `${keyId}/${alias}` → true for each per-key alias pointing here (not authoritative). */
  localAliases: LwwMap<boolean>;
  cors: Lww<CorsRule[] | null>;
  website: Lww<WebsiteConfig | null>;
  quotas: Lww<BucketQuotas>;
  lifecycle: Lww<LifecycleRule[] | null>;
}

export interface BucketEntry {
  /** 32 random bytes. */
  id: Buffer;
  state: Deletable<BucketParams>;
}

export function newBucketParams(now: bigint): BucketParams {
  return {
    creationDate: now,
    authorizedKeys: [],
    aliases: [],
    localAliases: [],
    cors: { ts: 0n, value: null },
    website: { ts: 0n, value: null },
    quotas: { ts: 0n, value: { maxSize: null, maxObjects: null } },
    lifecycle: { ts: 0n, value: null },
  };
}

export function mergeBucketParams(a: BucketParams, b: BucketParams): BucketParams {
  return {
    creationDate: a.creationDate < b.creationDate ? a.creationDate : b.creationDate,
    authorizedKeys: mergeCrdtMap(a.authorizedKeys, b.authorizedKeys, mergePerm),
    aliases: mergeLwwMap(a.aliases, b.aliases),
    localAliases: mergeLwwMap(a.localAliases, b.localAliases),
    cors: mergeLww(a.cors, b.cors),
    website: mergeLww(a.website, b.website),
    quotas: mergeLww(a.quotas, b.quotas),
    lifecycle: mergeLww(a.lifecycle, b.lifecycle),
  };
}

export function mergeBucket(a: BucketEntry, b: BucketEntry): BucketEntry {
  return { id: a.id, state: mergeDeletable(a.state, b.state, mergeBucketParams) };
}

export const bucketSchema: TableSchema<BucketEntry> = {
  name: 'bucket',
  partitionKey: () => Buffer.alloc(0),
  sortKey: (e) => e.id,
  merge: mergeBucket,
};

export function localAliasKey(keyId: string, alias: string): string {
  return `${keyId}/${alias}`;
}

/** Whether `name` is a valid bucket name under AWS's rules (3-63 chars, lower case, no IP). */
export function isValidBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !name.includes('.-') &&
    !name.includes('-.') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--') &&
    !name.startsWith('sthree-') &&
    !name.endsWith('-s3alias') &&
    !name.endsWith('--ol-s3')
  );
}
