import { randomBytes } from 'node:crypto';
import { isPresent } from '../crdt/index.js';
import { nowMs, nextTimestamp } from '../util/time.js';
import { globalAliasesOf, liveBucket, liveKey, setLocalAliasInTransaction, setPermInTransaction } from './access.js';
import type { ModelContext } from './context.js';
import { ModelError } from './errors.js';
import { KEY_ID_PATTERN, SECRET_PATTERN, type KeyEntry, type KeyParams } from './key-table.js';
import { isAuthorized } from './permission.js';

export interface KeyBucketInfo {
  id: string;
  globalAliases: string[];
  localAliases: string[];
  read: boolean;
  write: boolean;
  owner: boolean;
}

export interface KeyInfo {
  id: string;
  name: string;
  secretKey: string;
  allowCreateBucket: boolean;
  buckets: KeyBucketInfo[];
}

type LiveKey = KeyEntry & { state: { present: KeyParams } };

const EMPTY = Buffer.alloc(0);

/** Access keys: creation, import, lookup, deletion and the create-bucket flag. */
export class Keys {
  constructor(private readonly ctx: ModelContext) {}

  private live(): LiveKey[] {
    return [...this.ctx.tables.keys.iterateRange(EMPTY)].filter((k): k is LiveKey => isPresent(k.state));
  }

  info(key: LiveKey): KeyInfo {
    const t = this.ctx.tables;
    const p = key.state.present;
    const ids = new Set<string>();
    for (const [hex, perm] of p.authorizedBuckets) if (isAuthorized(perm)) ids.add(hex);
    for (const [, , hex] of p.localAliases) if (hex !== null) ids.add(hex);
    const buckets: KeyBucketInfo[] = [];
    for (const hex of [...ids].sort()) {
      const bucket = liveBucket(t, Buffer.from(hex, 'hex'));
      if (!bucket) continue;
      const perm = p.authorizedBuckets.find(([h]) => h === hex)?.[1];
      buckets.push({
        id: hex,
        globalAliases: globalAliasesOf(t, bucket),
        localAliases: p.localAliases.filter(([, , h]) => h === hex).map(([name]) => name),
        read: perm?.read ?? false,
        write: perm?.write ?? false,
        owner: perm?.owner ?? false,
      });
    }
    return { id: key.id, name: p.name.value, secretKey: p.secret, allowCreateBucket: p.allowCreateBucket.value, buckets };
  }

  private async insertNew(id: string, secret: string, name: string): Promise<KeyInfo> {
    const ts = nowMs();
    const entry: LiveKey = {
      id,
      state: {
        present: {
          secret,
          name: { ts, value: name },
          allowCreateBucket: { ts, value: false },
          authorizedBuckets: [],
          localAliases: [],
        },
      },
    };
    await this.ctx.db.transaction(() => {
      if (this.ctx.tables.keys.getLocal(EMPTY, Buffer.from(id, 'utf8'))) throw new ModelError('KeyAlreadyExists', `access key ${id} already exists`);
      this.ctx.tables.keys.applyInTransaction(entry);
    });
    return this.info(entry);
  }

  create(name: string): Promise<KeyInfo> {
    return this.ctx.lock.run(() => this.insertNew(`GK${randomBytes(12).toString('hex')}`, randomBytes(32).toString('hex'), name));
  }

  async import(id: string, secret: string, name: string): Promise<KeyInfo> {
    if (!KEY_ID_PATTERN.test(id)) throw new ModelError('InvalidRequest', `access key id must be "GK" followed by 24 hex digits, not "${id}"`);
    if (!SECRET_PATTERN.test(secret)) throw new ModelError('InvalidRequest', 'secret key must be 64 hex digits');
    return this.ctx.lock.run(() => this.insertNew(id, secret, name));
  }

  list(): KeyInfo[] {
    return this.live().map((k) => this.info(k));
  }

  /** The live key with this exact id (the S3 authentication path). */
  byId(id: string): LiveKey | undefined {
    return liveKey(this.ctx.tables, id);
  }

  /** By exact id, then unique name, then unique id prefix; several matches is an error. */
  find(query: string): LiveKey | undefined {
    const exact = this.byId(query);
    if (exact) return exact;
    const all = this.live();
    for (const matches of [all.filter((k) => k.state.present.name.value === query), all.filter((k) => k.id.startsWith(query))]) {
      if (matches.length > 1) throw new ModelError('InvalidRequest', `several access keys match "${query}": ${matches.map((k) => k.id).join(', ')}`);
      if (matches.length === 1) return matches[0];
    }
    return undefined;
  }

  private required(id: string): LiveKey {
    const key = this.byId(id);
    if (!key) throw new ModelError('NoSuchAccessKey', `no access key ${id}`);
    return key;
  }

  /** Revokes the key on every bucket, drops its local aliases, then deletes it. */
  delete(id: string): Promise<void> {
    return this.ctx.lock.run(async () => {
      this.required(id);
      await this.ctx.db.transaction(() => {
        const t = this.ctx.tables;
        const key = this.required(id);
        for (const [name, , hex] of key.state.present.localAliases) if (hex !== null) setLocalAliasInTransaction(t, id, name, null);
        for (const [hex, perm] of key.state.present.authorizedBuckets) {
          const bucket = liveBucket(t, Buffer.from(hex, 'hex'));
          const current = liveKey(t, id);
          if (bucket && current && isAuthorized(perm)) setPermInTransaction(t, bucket, current, { read: false, write: false, owner: false });
        }
        t.keys.applyInTransaction({ id, state: { deleted: true } });
      });
    });
  }

  setAllowCreateBucket(id: string, allow: boolean): Promise<void> {
    return this.ctx.lock.run(async () => {
      this.required(id);
      await this.ctx.db.transaction(() => {
        const key = this.required(id);
        const p = key.state.present;
        this.ctx.tables.keys.applyInTransaction({ id, state: { present: { ...p, allowCreateBucket: { ts: nextTimestamp(p.allowCreateBucket.ts), value: allow } } } });
      });
    });
  }
}
