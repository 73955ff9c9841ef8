import { describe, expect, it } from 'vitest';
import { UserKeys } from '../../../../mail/crypto/keys.js';
import { AuthCache } from '../../../../mail/user/auth-cache.js';
import type { Credentials } from '../../../../mail/user/provider.js';

function creds(username: string): Credentials {
  return { userId: `id-${username}`, username, keys: UserKeys.generate(), addresses: [`${username}@example.org`], storage: { bucket: `mail-${username}` } };
}

describe('auth cache', () => {
  it('hits only for the same user and password, and hands out copies the caller may wipe', () => {
    const cache = new AuthCache();
    const c = creds('alice');
    cache.set('alice', 'pw', c);
    expect(cache.get('alice', 'pw2')).toBeUndefined();
    expect(cache.get('bob', 'pw')).toBeUndefined();
    // No confusion between (user, password) splits.
    cache.set('ab', 'c', creds('ab'));
    expect(cache.get('a', 'bc')).toBeUndefined();
    const hit = cache.get('alice', 'pw')!;
    expect(hit.keys.master.equals(c.keys.master)).toBe(true);
    hit.keys.wipe();
    c.keys.wipe();
    expect(cache.get('alice', 'pw')!.keys.master.some((b) => b !== 0)).toBe(true);
  });

  it('forgets entries after the TTL', () => {
    let now = 1_000_000;
    const cache = new AuthCache({ ttlMs: 5 * 60_000, now: () => now });
    cache.set('alice', 'pw', creds('alice'));
    now += 5 * 60_000 - 1;
    expect(cache.get('alice', 'pw')).toBeDefined();
    now += 1;
    expect(cache.get('alice', 'pw')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('is bounded in size, dropping the oldest first', () => {
    const cache = new AuthCache({ maxEntries: 3 });
    for (const u of ['a', 'b', 'c', 'd']) cache.set(u, 'pw', creds(u));
    expect(cache.size).toBe(3);
    expect(cache.get('a', 'pw')).toBeUndefined();
    expect(cache.get('d', 'pw')).toBeDefined();
  });

  it('invalidates every entry of a user, and wipes the keys it held', () => {
    const cache = new AuthCache();
    cache.set('alice', 'pw1', creds('alice'));
    cache.set('alice', 'app-password', creds('alice'));
    cache.set('bob', 'pw', creds('bob'));
    const held = (cache as unknown as { entries: Map<string, { credentials: Credentials }> }).entries;
    const aliceKeys = [...held.values()].filter((e) => e.credentials.username === 'alice').map((e) => e.credentials.keys);
    cache.invalidateUser('alice');
    expect(cache.get('alice', 'pw1')).toBeUndefined();
    expect(cache.get('alice', 'app-password')).toBeUndefined();
    expect(cache.get('bob', 'pw')).toBeDefined();
    expect(aliceKeys.every((k) => k.wiped)).toBe(true);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('holds no password in its keys', () => {
    const cache = new AuthCache();
    cache.set('alice', 'very secret', creds('alice'));
    const ids = [...(cache as unknown as { entries: Map<string, unknown> }).entries.keys()];
    expect(ids.join()).not.toContain('very secret');
    expect(ids.join()).not.toContain('alice');
  });
});
