import { crdtMapGet, isPresent, lwwMapGet, type Lww } from '../crdt/index.js';
import { toHex } from '../util/encoding.js';
import { nextTimestamp } from '../util/time.js';
import { localAliasKey, type BucketEntry, type BucketParams } from './bucket-table.js';
import type { KeyEntry, KeyParams } from './key-table.js';
import { mergePerm, type BucketKeyPerm } from './permission.js';
import type { Tables } from './tables.js';

/**
 * In-transaction helpers that change both sides of a bucket ↔ key relation (permission
 * maps and alias back-references are stored on both, as in Garage). Callers hold the
 * model's mutex and check their preconditions first: these only write.
 */

const EMPTY = Buffer.alloc(0);

export function liveBucket(t: Tables, id: Buffer): (BucketEntry & { state: { present: BucketParams } }) | undefined {
  const b = t.buckets.getLocal(EMPTY, id);
  return b && isPresent(b.state) ? (b as BucketEntry & { state: { present: BucketParams } }) : undefined;
}

export function liveKey(t: Tables, id: string): (KeyEntry & { state: { present: KeyParams } }) | undefined {
  const k = t.keys.getLocal(EMPTY, Buffer.from(id, 'utf8'));
  return k && isPresent(k.state) ? (k as KeyEntry & { state: { present: KeyParams } }) : undefined;
}

/** The bucket a global alias points to, if any. */
export function globalAliasTarget(t: Tables, name: string): Buffer | undefined {
  return t.aliases.getLocal(EMPTY, Buffer.from(name, 'utf8'))?.state.value ?? undefined;
}

function updated<T>(lww: Lww<T>, value: T): Lww<T> {
  return { ts: nextTimestamp(lww.ts), value };
}

export function setPermInTransaction(t: Tables, bucket: BucketEntry & { state: { present: BucketParams } }, key: KeyEntry & { state: { present: KeyParams } }, flags: { read: boolean; write: boolean; owner: boolean }): void {
  const bucketHex = toHex(bucket.id);
  const old = [crdtMapGet(bucket.state.present.authorizedKeys, key.id), crdtMapGet(key.state.present.authorizedBuckets, bucketHex)]
    .filter((p): p is BucketKeyPerm => p !== undefined)
    .reduce<BucketKeyPerm | undefined>((a, b) => (a ? mergePerm(a, b) : b), undefined);
  const perm: BucketKeyPerm = { ts: nextTimestamp(old?.ts), ...flags };
  // Entries carry their full current state plus the change: the table merge keeps the rest as is.
  t.buckets.applyInTransaction({ id: bucket.id, state: { present: { ...bucket.state.present, authorizedKeys: [[key.id, perm]] } } });
  t.keys.applyInTransaction({ id: key.id, state: { present: { ...key.state.present, authorizedBuckets: [[bucketHex, perm]] } } });
}

/** Points global alias `name` at `bucketId` (or removes it with null), with the bucket-side back-references. */
export function setGlobalAliasInTransaction(t: Tables, name: string, bucketId: Buffer | null): void {
  const nameKey = Buffer.from(name, 'utf8');
  const existing = t.aliases.getLocal(EMPTY, nameKey);
  const previous = existing?.state.value ?? null;
  t.aliases.applyInTransaction({ name, state: updated(existing?.state ?? { ts: 0n, value: null }, bucketId) });
  for (const [id, present] of [[previous, false], [bucketId, true]] as const) {
    const b = id && liveBucket(t, id);
    if (!b) continue;
    const p = b.state.present;
    const ts = nextTimestamp(p.aliases.find((e) => e[0] === name)?.[1]);
    t.buckets.applyInTransaction({ id: b.id, state: { present: { ...p, aliases: [[name, ts, present]] } } });
  }
}

/** Points the key's local alias `name` at `bucketId` (or removes it with null), with back-references. */
export function setLocalAliasInTransaction(t: Tables, keyId: string, name: string, bucketId: Buffer | null): void {
  const key = liveKey(t, keyId);
  if (!key) return;
  const kp = key.state.present;
  const previousHex = lwwMapGet(kp.localAliases, name) ?? null;
  const ts = nextTimestamp(kp.localAliases.find((e) => e[0] === name)?.[1]);
  t.keys.applyInTransaction({ id: keyId, state: { present: { ...kp, localAliases: [[name, ts, bucketId ? toHex(bucketId) : null]] } } });
  const aliasKey = localAliasKey(keyId, name);
  for (const [id, present] of [[previousHex ? Buffer.from(previousHex, 'hex') : null, false], [bucketId, true]] as const) {
    const b = id && liveBucket(t, id);
    if (!b) continue;
    const p = b.state.present;
    const bts = nextTimestamp(p.localAliases.find((e) => e[0] === aliasKey)?.[1]);
    t.buckets.applyInTransaction({ id: b.id, state: { present: { ...p, localAliases: [[aliasKey, bts, present]] } } });
  }
}

/** Global aliases currently pointing at the bucket (back-references checked against the alias table). */
export function globalAliasesOf(t: Tables, bucket: BucketEntry & { state: { present: BucketParams } }): string[] {
  return bucket.state.present.aliases.filter(([name, , on]) => on && globalAliasTarget(t, name)?.equals(bucket.id)).map(([name]) => name);
}

/** Local aliases pointing at the bucket, checked against the keys' own namespaces. */
export function localAliasesOf(t: Tables, bucket: BucketEntry & { state: { present: BucketParams } }): { keyId: string; alias: string }[] {
  const hex = toHex(bucket.id);
  const out: { keyId: string; alias: string }[] = [];
  for (const [composite, , on] of bucket.state.present.localAliases) {
    if (!on) continue;
    const slash = composite.indexOf('/');
    const keyId = composite.slice(0, slash);
    const alias = composite.slice(slash + 1);
    const key = liveKey(t, keyId);
    if (key && lwwMapGet(key.state.present.localAliases, alias) === hex) out.push({ keyId, alias });
  }
  return out;
}
