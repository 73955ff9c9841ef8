import { crdtMapGet, isPresent } from '../crdt/index.js';
import { toHex } from '../util/encoding.js';
import { randomId } from '../util/hash.js';
import { nextTimestamp, nowMs } from '../util/time.js';
import {
  globalAliasTarget,
  globalAliasesOf,
  liveBucket,
  liveKey,
  localAliasesOf,
  setGlobalAliasInTransaction,
  setLocalAliasInTransaction,
  setPermInTransaction,
} from './access.js';
import { isValidBucketName, newBucketParams, type BucketEntry, type BucketParams, type BucketQuotas, type WebsiteConfig } from './bucket-table.js';
import type { ModelContext } from './context.js';
import { ModelError } from './errors.js';
import type { KeyEntry, KeyParams } from './key-table.js';
import { currentVersion } from './object-table.js';
import { isAuthorized, type BucketKeyPerm } from './permission.js';

export interface BucketKeyInfo {
  id: string;
  name: string;
  read: boolean;
  write: boolean;
  owner: boolean;
}

export interface BucketInfo {
  id: string;
  globalAliases: string[];
  localAliases: { keyId: string; alias: string }[];
  createdAt: Date;
  keys: BucketKeyInfo[];
  objects: bigint;
  bytes: bigint;
  unfinishedUploads: bigint;
  website: WebsiteConfig | null;
  quotas: BucketQuotas;
}

/** The settings stored as last-writer-wins values in the bucket entry. */
export type BucketSetting = 'cors' | 'website' | 'quotas' | 'lifecycle';

export type LiveBucket = BucketEntry & { state: { present: BucketParams } };
type LiveKey = KeyEntry & { state: { present: KeyParams } };

export interface PermFlags {
  read?: boolean;
  write?: boolean;
  owner?: boolean;
}

const EMPTY = Buffer.alloc(0);
const HEX_ID = /^[0-9a-f]{64}$/;

function checkBucketName(name: string): void {
  if (!isValidBucketName(name)) throw new ModelError('InvalidBucketName', `"${name}" is not a valid bucket name (3-63 characters: a-z, 0-9, "." and "-")`);
}

/** Buckets: creation, lookup, deletion, aliases and key permissions. */
export class Buckets {
  constructor(private readonly ctx: ModelContext) {}

  private live(): LiveBucket[] {
    return [...this.ctx.tables.buckets.iterateRange(EMPTY)].filter((b): b is LiveBucket => isPresent(b.state));
  }

  info(bucket: LiveBucket): BucketInfo {
    const t = this.ctx.tables;
    const p = bucket.state.present;
    const keys: BucketKeyInfo[] = [];
    for (const [keyId, perm] of p.authorizedKeys) {
      const key = liveKey(t, keyId);
      if (key && isAuthorized(perm)) keys.push({ id: keyId, name: key.state.present.name.value, read: perm.read, write: perm.write, owner: perm.owner });
    }
    const counts = t.counters.get(bucket.id);
    return {
      id: toHex(bucket.id),
      globalAliases: globalAliasesOf(t, bucket),
      localAliases: localAliasesOf(t, bucket),
      createdAt: new Date(Number(p.creationDate)),
      keys,
      objects: counts.objects,
      bytes: counts.bytes,
      unfinishedUploads: counts.unfinishedUploads,
      website: p.website.value,
      quotas: p.quotas.value,
    };
  }

  list(): BucketInfo[] {
    return this.live().map((b) => this.info(b));
  }

  byId(id: Buffer): LiveBucket | undefined {
    return liveBucket(this.ctx.tables, id);
  }

  /** By 64-hex id, global alias, or unique id prefix; several matches is an error. */
  find(query: string): LiveBucket | undefined {
    if (HEX_ID.test(query)) return this.byId(Buffer.from(query, 'hex'));
    const aliased = globalAliasTarget(this.ctx.tables, query);
    if (aliased) return this.byId(aliased);
    if (!/^[0-9a-f]+$/.test(query)) return undefined;
    const matches = this.live().filter((b) => toHex(b.id).startsWith(query));
    if (matches.length > 1) throw new ModelError('InvalidRequest', `several buckets match "${query}"`);
    return matches[0];
  }

  /** The bucket a global alias points to (the website endpoint knows no keys, hence no local aliases). */
  byGlobalAlias(name: string): LiveBucket | undefined {
    const id = globalAliasTarget(this.ctx.tables, name);
    return id && this.byId(id);
  }

  /** The bucket an S3 request names: the key's local alias, the global alias, or a raw 64-hex id (as Garage does). */
  resolve(name: string, key: LiveKey | undefined): LiveBucket | undefined {
    if (HEX_ID.test(name)) return this.byId(Buffer.from(name, 'hex'));
    const local = key?.state.present.localAliases.find(([alias]) => alias === name)?.[2];
    if (local) return this.byId(Buffer.from(local, 'hex'));
    const global = globalAliasTarget(this.ctx.tables, name);
    return global ? this.byId(global) : undefined;
  }

  private required(id: string): LiveBucket {
    const bucket = HEX_ID.test(id) ? this.byId(Buffer.from(id, 'hex')) : undefined;
    if (!bucket) throw new ModelError('NoSuchBucket', `no bucket ${id}`);
    return bucket;
  }

  private checkNewAlias(name: string): void {
    checkBucketName(name);
    const target = globalAliasTarget(this.ctx.tables, name);
    if (target && this.byId(target)) throw new ModelError('BucketAlreadyExists', `bucket name "${name}" is taken`);
  }

  /** A new bucket reachable under global alias `name`, optionally with every right for `owner`. */
  private async insertNew(name: string, owner: string | undefined): Promise<LiveBucket> {
    const t = this.ctx.tables;
    const id = randomId();
    await this.ctx.db.transaction(() => {
      this.checkNewAlias(name);
      t.buckets.applyInTransaction({ id, state: { present: newBucketParams(nowMs()) } });
      setGlobalAliasInTransaction(t, name, id);
      const key = owner === undefined ? undefined : liveKey(t, owner);
      if (key) setPermInTransaction(t, this.byId(id)!, key, { read: true, write: true, owner: true });
    });
    return this.byId(id)!;
  }

  create(globalAlias: string): Promise<BucketInfo> {
    return this.ctx.lock.run(async () => {
      this.checkNewAlias(globalAlias);
      return this.info(await this.insertNew(globalAlias, undefined));
    });
  }

  /**
   * S3 CreateBucket. An existing bucket the key may write to is answered as created
   * (idempotent, as Garage does); a new one needs the key's create-bucket flag and gets
   * a global alias (only such keys can create buckets, and a global name is what other
   * keys and the web endpoint can reach) plus every right for the key.
   */
  createForKey(name: string, keyId: string): Promise<void> {
    return this.ctx.lock.run(async () => {
      checkBucketName(name);
      const key = liveKey(this.ctx.tables, keyId);
      if (!key) throw new ModelError('AccessDenied', 'unknown access key');
      const existing = this.resolve(name, key);
      if (existing) {
        const perm = crdtMapGet(key.state.present.authorizedBuckets, toHex(existing.id));
        if (perm?.write || perm?.owner) return;
        throw new ModelError('BucketAlreadyExists', `bucket name "${name}" is taken`);
      }
      if (!key.state.present.allowCreateBucket.value) throw new ModelError('AccessDenied', `access key ${keyId} may not create buckets`);
      await this.insertNew(name, keyId);
    });
  }

  private isEmpty(bucketId: Buffer): boolean {
    for (const entry of this.ctx.tables.objects.iterateRange(bucketId)) {
      if (currentVersion(entry) || entry.versions.some((v) => 'uploading' in v.state)) return false;
    }
    return true;
  }

  /** Removes every alias and permission, then marks the bucket deleted; it must hold no object or upload. */
  private async deleteEmpty(bucket: LiveBucket): Promise<void> {
    const t = this.ctx.tables;
    await this.ctx.db.transaction(() => {
      if (!this.isEmpty(bucket.id)) throw new ModelError('BucketNotEmpty', 'the bucket still holds objects or unfinished uploads');
      const current = this.byId(bucket.id);
      if (!current) return;
      for (const name of globalAliasesOf(t, current)) setGlobalAliasInTransaction(t, name, null);
      for (const { keyId, alias } of localAliasesOf(t, current)) setLocalAliasInTransaction(t, keyId, alias, null);
      for (const [keyId, perm] of current.state.present.authorizedKeys) {
        const key = liveKey(t, keyId);
        if (key && isAuthorized(perm)) setPermInTransaction(t, this.byId(bucket.id)!, key, { read: false, write: false, owner: false });
      }
      t.buckets.applyInTransaction({ id: bucket.id, state: { deleted: true } });
    });
  }

  delete(id: string): Promise<void> {
    return this.ctx.lock.run(() => this.deleteEmpty(this.required(id)));
  }

  /**
   * S3 DeleteBucket: when the bucket has other aliases, only the name used goes away
   * (as in Garage); otherwise the bucket itself is deleted, which needs it empty.
   */
  deleteForKey(bucket: LiveBucket, name: string, keyId: string): Promise<void> {
    return this.ctx.lock.run(async () => {
      const t = this.ctx.tables;
      const globals = globalAliasesOf(t, bucket);
      const locals = localAliasesOf(t, bucket);
      const viaLocal = locals.some((l) => l.keyId === keyId && l.alias === name);
      if (globals.length + locals.length <= 1) return this.deleteEmpty(bucket);
      await this.ctx.db.transaction(() => {
        if (viaLocal) setLocalAliasInTransaction(t, keyId, name, null);
        else setGlobalAliasInTransaction(t, name, null);
      });
    });
  }

  private changePerms(bucketId: string, keyId: string, flags: PermFlags, grant: boolean): Promise<void> {
    return this.ctx.lock.run(async () => {
      const t = this.ctx.tables;
      this.required(bucketId);
      if (!liveKey(t, keyId)) throw new ModelError('NoSuchAccessKey', `no access key ${keyId}`);
      await this.ctx.db.transaction(() => {
        const bucket = this.required(bucketId);
        const key = liveKey(t, keyId)!;
        const old: BucketKeyPerm | undefined = crdtMapGet(key.state.present.authorizedBuckets, bucketId);
        const next = (flag: keyof PermFlags) => (flags[flag] ? grant : (old?.[flag] ?? false));
        setPermInTransaction(t, bucket, key, { read: next('read'), write: next('write'), owner: next('owner') });
      });
    });
  }

  allow(bucketId: string, keyId: string, flags: PermFlags): Promise<void> {
    return this.changePerms(bucketId, keyId, flags, true);
  }

  deny(bucketId: string, keyId: string, flags: PermFlags): Promise<void> {
    return this.changePerms(bucketId, keyId, flags, false);
  }

  /** Buckets a key may use, under each name it knows them by (S3 ListBuckets). */
  listForKey(key: LiveKey): { name: string; createdAt: Date }[] {
    const t = this.ctx.tables;
    const out: { name: string; createdAt: Date }[] = [];
    const seen = new Set<string>();
    for (const [alias, , hex] of key.state.present.localAliases) {
      const bucket = hex === null ? undefined : this.byId(Buffer.from(hex, 'hex'));
      if (!bucket) continue;
      seen.add(alias);
      out.push({ name: alias, createdAt: new Date(Number(bucket.state.present.creationDate)) });
    }
    for (const [hex, perm] of key.state.present.authorizedBuckets) {
      const bucket = isAuthorized(perm) ? this.byId(Buffer.from(hex, 'hex')) : undefined;
      if (!bucket) continue;
      for (const name of globalAliasesOf(t, bucket)) {
        if (!seen.has(name)) out.push({ name, createdAt: new Date(Number(bucket.state.present.creationDate)) });
      }
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Replaces one of the bucket's settings (CORS rules, website, quotas, lifecycle rules); null removes a rule set. */
  setConfig<F extends BucketSetting>(bucketId: Buffer, field: F, value: BucketParams[F]['value']): Promise<void> {
    return this.ctx.lock.run(async () => {
      await this.ctx.db.transaction(() => {
        const bucket = this.byId(bucketId);
        if (!bucket) throw new ModelError('NoSuchBucket', 'the bucket was deleted');
        const p = bucket.state.present;
        const present: BucketParams = { ...p, [field]: { ts: nextTimestamp(p[field].ts), value } };
        this.ctx.tables.buckets.applyInTransaction({ id: bucketId, state: { present } });
      });
    });
  }
}
