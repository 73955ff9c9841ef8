/**
 * Login provider on the static users file. The file is re-read when it changes on
 * disk (checked with a stat on every call, so an `aerogramme account` edit applies to
 * the next login without a signal); when the new version is invalid the last good
 * one stays in use and the error is logged. A changed or removed user loses their
 * cached logins at once.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { Logger } from '../../core/util/log.js';
import { serializeWrappedKeys } from '../crypto/crypto-root.js';
import { hashPassword, verifyPassword } from '../crypto/kdf.js';
import type { UserKeys } from '../crypto/keys.js';
import { canonicalAddress, splitDetail } from './address.js';
import { AuthCache, type AuthCacheOptions } from './auth-cache.js';
import { AuthenticationError, UsersFileError } from './errors.js';
import type { Credentials, LoginProvider, Recipient } from './provider.js';
import { unlockWithAppPassword, unlockWithPassword } from './unlock.js';
import { readUsersFile, type UserRecord, type UsersDb } from './users-file.js';

export interface StaticProviderOptions {
  /** The users file. */
  path: string;
  cache?: AuthCacheOptions;
  log?: Logger;
}

interface Snapshot {
  /** Identity of the file version read: inode, size, mtime, ctime (ns). */
  version: string;
  users: UsersDb;
  byAddress: Map<string, UserRecord>;
  /** Per user, a digest of everything that can unlock their keys. */
  fingerprints: Map<string, string>;
}

function fingerprint(u: UserRecord): string {
  const h = createHash('sha256').update(u.id).update('\0').update(u.passwordHash);
  for (const r of [u.passwordRoot, u.recoveryRoot, ...u.appPasswords.map((a) => a.root)]) h.update('\0').update(r ? serializeWrappedKeys(r) : '-');
  return h.digest('base64');
}

function snapshot(version: string, users: UsersDb): Snapshot {
  const byAddress = new Map<string, UserRecord>();
  const fingerprints = new Map<string, string>();
  for (const u of users.values()) {
    for (const a of [...u.addresses, ...u.aliases]) byAddress.set(a, u);
    fingerprints.set(u.name, fingerprint(u));
  }
  return { version, users, byAddress, fingerprints };
}

export class StaticLoginProvider implements LoginProvider {
  private readonly path: string;
  private readonly cache: AuthCache;
  private readonly log: Logger | undefined;
  private current: Snapshot | undefined;
  private loading: Promise<Snapshot> | undefined;
  /** A hash to verify against for unknown users, so they take as long as known ones. */
  private decoy: Promise<string> | undefined;

  constructor(opts: StaticProviderOptions) {
    this.path = opts.path;
    this.cache = new AuthCache(opts.cache);
    this.log = opts.log;
  }

  /** The users as currently on disk (re-read if the file changed). */
  private async users(): Promise<Snapshot> {
    this.loading ??= this.refresh().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async refresh(): Promise<Snapshot> {
    let version: string;
    try {
      const s = await stat(this.path, { bigint: true });
      version = `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    } catch (e) {
      if (this.current !== undefined) {
        this.log?.warn({ file: this.path, err: (e as Error).message }, 'users file unreadable; keeping the last version read');
        return this.current;
      }
      throw new UsersFileError(`cannot read the users file ${this.path}: ${(e as Error).message}`, { cause: e });
    }
    if (this.current?.version === version) return this.current;
    let next: Snapshot;
    try {
      next = snapshot(version, await readUsersFile(this.path));
    } catch (e) {
      if (this.current === undefined) throw e;
      this.log?.error({ file: this.path, err: (e as Error).message }, 'users file is invalid; keeping the last good version');
      return this.current;
    }
    const previous = this.current;
    this.current = next;
    if (previous !== undefined) {
      for (const [name, fp] of previous.fingerprints) if (next.fingerprints.get(name) !== fp) this.cache.invalidateUser(name);
      this.log?.info({ file: this.path, users: next.users.size }, 'users file reloaded');
    }
    return next;
  }

  private find(s: Snapshot, login: string): UserRecord | undefined {
    const name = login.trim().toLowerCase();
    if (!name.includes('@')) return s.users.get(name);
    const address = canonicalAddress(name);
    return address === undefined ? undefined : s.byAddress.get(address);
  }

  /** Logs in by user name or by one of the user's addresses, with the password or an app password. */
  async login(login: string, password: string): Promise<Credentials> {
    const s = await this.users();
    const user = this.find(s, login);
    if (user === undefined) {
      this.decoy ??= hashPassword('decoy password');
      await verifyPassword(await this.decoy, password);
      throw new AuthenticationError();
    }
    const cached = this.cache.get(user.name, password);
    if (cached !== undefined) return cached;
    const keys: UserKeys | undefined = (await unlockWithAppPassword(user, password))?.keys ?? (await unlockWithPassword(user, password));
    if (keys === undefined) throw new AuthenticationError();
    const credentials: Credentials = {
      userId: user.id,
      username: user.name,
      keys,
      addresses: [...user.addresses, ...user.aliases],
      storage: { ...user.storage },
    };
    // Not if the file changed meanwhile: that change may be a revocation.
    if (this.current === s) this.cache.set(user.name, password, credentials);
    return credentials;
  }

  async lookupAddress(address: string): Promise<Recipient | undefined> {
    const canonical = canonicalAddress(address);
    if (canonical === undefined) return undefined;
    const s = await this.users();
    let user = s.byAddress.get(canonical);
    let matched = canonical;
    let detail: string | undefined;
    const split = user === undefined ? splitDetail(canonical) : undefined;
    if (split !== undefined) {
      user = s.byAddress.get(split.base);
      matched = split.base;
      detail = split.detail;
    }
    if (user === undefined) return undefined;
    return { userId: user.id, username: user.name, publicKey: Buffer.from(user.publicKey), storage: { ...user.storage }, address: matched, detail };
  }

  /** Forgets every cached login (and wipes the cached keys). */
  close(): void {
    this.cache.clear();
  }
}
