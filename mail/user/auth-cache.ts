/**
 * Remembers recent successful logins in memory, so a client that logs in again and
 * again (IMAP clients open several connections; some reconnect every minute) does not
 * pay Argon2id each time. Bounded in time and size; never written anywhere.
 *
 * Entries are keyed by HMAC-SHA256(per-process random key, user ‖ password): the map
 * holds no password, and its keys are useless outside this process. Only successes
 * are cached. The provider drops a user's entries when their record changes (new
 * password, removed app password, deleted account).
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Credentials } from './provider.js';

export interface AuthCacheOptions {
  /** How long a successful login is remembered (default 5 minutes). */
  ttlMs?: number;
  /** At most this many entries; the oldest go first (default 1000). */
  maxEntries?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface Entry {
  username: string;
  expires: number;
  credentials: Credentials;
}

function copy(c: Credentials): Credentials {
  return { ...c, keys: c.keys.clone(), addresses: [...c.addresses], storage: { ...c.storage } };
}

export class AuthCache {
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(opts: AuthCacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 5 * 60_000;
    this.maxEntries = opts.maxEntries ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  private id(username: string, password: string): string {
    const user = Buffer.from(username, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(user.length);
    return createHmac('sha256', this.key).update(len).update(user).update(password, 'utf8').digest('base64');
  }

  private drop(id: string, entry: Entry): void {
    this.entries.delete(id);
    entry.credentials.keys.wipe();
  }

  /** Credentials of a recent login with exactly this user and password (a copy the caller owns), or undefined. */
  get(username: string, password: string): Credentials | undefined {
    this.expire();
    const entry = this.entries.get(this.id(username, password));
    return entry === undefined ? undefined : copy(entry.credentials);
  }

  /** Remembers a successful login; keeps its own copy of the keys. */
  set(username: string, password: string, credentials: Credentials): void {
    if (this.maxEntries <= 0 || this.ttlMs <= 0) return;
    const id = this.id(username, password);
    const old = this.entries.get(id);
    if (old !== undefined) this.drop(id, old);
    this.entries.set(id, { username, expires: this.now() + this.ttlMs, credentials: copy(credentials) });
    // Insertion order is age order: the first entries are the oldest.
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries) break;
      this.drop(oldest, entry);
    }
  }

  /** Forgets every login of `username`. */
  invalidateUser(username: string): void {
    for (const [id, entry] of this.entries) if (entry.username === username) this.drop(id, entry);
  }

  clear(): void {
    for (const [id, entry] of this.entries) this.drop(id, entry);
  }

  get size(): number {
    this.expire();
    return this.entries.size;
  }

  private expire(): void {
    const now = this.now();
    for (const [id, entry] of this.entries) {
      if (entry.expires > now) break;
      this.drop(id, entry);
    }
  }
}
