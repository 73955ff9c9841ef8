import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as kdf from '../../../../mail/crypto/kdf.js';
import { addAlias, addAppPassword, changePassword, createAccount, deleteAccount, removeAppPassword } from '../../../../mail/user/accounts.js';
import { AuthenticationError, UsersFileError } from '../../../../mail/user/errors.js';
import { StaticLoginProvider } from '../../../../mail/user/static-provider.js';
import { editUsersFile } from '../../../../mail/user/users-file.js';
import { tempDir } from '../../../helpers/tools.js';

// Count Argon2id runs (hash checks and key derivations) to see what the cache saves.
vi.mock('../../../../mail/crypto/kdf.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../../mail/crypto/kdf.js')>();
  return { ...real, verifyPassword: vi.fn(real.verifyPassword), deriveKey: vi.fn(real.deriveKey) };
});
const argon2Runs = () => vi.mocked(kdf.verifyPassword).mock.calls.length + vi.mocked(kdf.deriveKey).mock.calls.length;

const tmp = tempDir('aero-provider-');
afterAll(() => tmp.remove());
let n = 0;

async function setup() {
  const path = join(tmp.path, `users-${n++}.toml`);
  const { recoveryKey } = await editUsersFile(path, (db) => createAccount(db, 'alice', { addresses: ['alice@example.org'], password: 'alice password' }), {
    create: true,
  });
  await editUsersFile(path, (db) => createAccount(db, 'bob', { addresses: ['bob@example.net', 'bob+literal@example.net'], password: 'bob password' }));
  const provider = new StaticLoginProvider({ path });
  // Count from here: creating the accounts ran Argon2 too.
  vi.mocked(kdf.verifyPassword).mockClear();
  vi.mocked(kdf.deriveKey).mockClear();
  return { path, provider, recoveryKey };
}

describe('static login provider', () => {
  it('logs in by name or address with the password, and returns the keys and settings', async () => {
    const { provider } = await setup();
    const c = await provider.login('alice', 'alice password');
    expect(c.username).toBe('alice');
    expect(c.userId).toMatch(/^[0-9a-f]{32}$/);
    expect(c.addresses).toEqual(['alice@example.org']);
    expect(c.storage.bucket).toBe(`mail-${c.userId}`);
    const byAddress = await provider.login('Alice@EXAMPLE.org', 'alice password');
    expect(byAddress.keys.master.equals(c.keys.master)).toBe(true);
    expect((await provider.login('ALICE', 'alice password')).userId).toBe(c.userId);
    provider.close();
  });

  it('refuses wrong passwords and unknown users alike, paying Argon2 for both', async () => {
    const { provider } = await setup();
    await expect(provider.login('alice', 'alice passwore')).rejects.toThrow(AuthenticationError);
    const before = argon2Runs();
    const err = await provider.login('mallory', 'whatever').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).message).toBe('authentication failed');
    expect(argon2Runs()).toBeGreaterThan(before);
    await expect(provider.login('nobody@example.org', 'x')).rejects.toThrow(AuthenticationError);
    provider.close();
  });

  it('does not pay Argon2 again for a repeated login, and hands out keys the session can wipe', async () => {
    const { provider } = await setup();
    const first = await provider.login('alice', 'alice password');
    expect(argon2Runs()).toBe(2);
    const second = await provider.login('alice', 'alice password');
    expect(argon2Runs()).toBe(2);
    expect(second.keys.master.equals(first.keys.master)).toBe(true);
    first.keys.wipe();
    second.keys.wipe();
    const third = await provider.login('alice', 'alice password');
    expect(third.keys.master.some((b) => b !== 0)).toBe(true);
    expect(argon2Runs()).toBe(2);
    // A wrong password is never answered from the cache.
    await expect(provider.login('alice', 'alice password ')).rejects.toThrow(AuthenticationError);
    provider.close();
  });

  it('sees a password change on disk at once: old password out (even cached), new one in, same keys', async () => {
    const { path, provider } = await setup();
    const before = await provider.login('alice', 'alice password');
    await editUsersFile(path, (db) => changePassword(db, 'alice', 'alice password', 'new alice password'));
    await expect(provider.login('alice', 'alice password')).rejects.toThrow(AuthenticationError);
    const after = await provider.login('alice', 'new alice password');
    expect(after.keys.master.equals(before.keys.master)).toBe(true);
    provider.close();
  });

  it('accepts app passwords, and forgets a revoked one even if cached', async () => {
    const { path, provider } = await setup();
    const secret = await editUsersFile(path, (db) => addAppPassword(db, 'alice', 'alice password', 'phone'));
    const viaApp = await provider.login('alice', secret);
    const viaPassword = await provider.login('alice', 'alice password');
    expect(viaApp.keys.master.equals(viaPassword.keys.master)).toBe(true);
    await provider.login('alice', secret.toUpperCase().replace(/-/g, ' '));
    await editUsersFile(path, async (db) => removeAppPassword(db, 'alice', 'phone'));
    await expect(provider.login('alice', secret)).rejects.toThrow(AuthenticationError);
    expect((await provider.login('alice', 'alice password')).username).toBe('alice');
    provider.close();
  });

  it('does not accept the recovery key as a login password', async () => {
    const { provider, recoveryKey } = await setup();
    await expect(provider.login('alice', recoveryKey)).rejects.toThrow(AuthenticationError);
    provider.close();
  });

  it('forgets a deleted account at once', async () => {
    const { path, provider } = await setup();
    await provider.login('alice', 'alice password');
    await editUsersFile(path, async (db) => void deleteAccount(db, 'alice'));
    await expect(provider.login('alice', 'alice password')).rejects.toThrow(AuthenticationError);
    expect(await provider.lookupAddress('alice@example.org')).toBeUndefined();
    provider.close();
  });

  it('keeps serving the last good users when the file becomes invalid', async () => {
    const { path, provider } = await setup();
    await provider.login('alice', 'alice password');
    writeFileSync(path, 'version = 1\n[users.alice]\nid = 3\n');
    expect((await provider.login('alice', 'alice password')).username).toBe('alice');
    expect(await provider.lookupAddress('bob@example.net')).toBeDefined();
    provider.close();
  });

  it('fails with the file name when there is no users file at all', async () => {
    const provider = new StaticLoginProvider({ path: join(tmp.path, 'missing.toml') });
    await expect(provider.login('alice', 'x')).rejects.toThrow(UsersFileError);
    await expect(provider.lookupAddress('alice@example.org')).rejects.toThrow(/missing.toml/);
  });
});

describe('address lookup (delivery without the password)', () => {
  it('finds the user and public key, case-insensitively, with +detail and aliases', async () => {
    const { path, provider } = await setup();
    const alice = (await provider.login('alice', 'alice password')).keys.publicKey;
    expect(argon2Runs()).toBe(2);
    const r = (await provider.lookupAddress('ALICE@Example.Org'))!;
    expect(r).toMatchObject({ username: 'alice', address: 'alice@example.org', detail: undefined });
    expect(r.publicKey.equals(alice)).toBe(true);
    expect(await provider.lookupAddress('Alice+Lists@example.org')).toMatchObject({ username: 'alice', address: 'alice@example.org', detail: 'lists' });
    expect(await provider.lookupAddress('alice+@example.org')).toMatchObject({ username: 'alice', detail: '' });
    // An address registered with a "+" matches exactly first.
    expect(await provider.lookupAddress('bob+literal@example.net')).toMatchObject({ username: 'bob', address: 'bob+literal@example.net', detail: undefined });
    expect(await provider.lookupAddress('bob+other@example.net')).toMatchObject({ username: 'bob', address: 'bob@example.net', detail: 'other' });
    expect(await provider.lookupAddress('alice@example.net')).toBeUndefined();
    expect(await provider.lookupAddress('not an address')).toBeUndefined();
    await editUsersFile(path, async (db) => void addAlias(db, 'alice', 'postmaster@example.org'));
    expect(await provider.lookupAddress('postmaster+x@EXAMPLE.org')).toMatchObject({ username: 'alice', address: 'postmaster@example.org', detail: 'x' });
    // Lookups never run Argon2.
    expect(argon2Runs()).toBe(2);
    provider.close();
  });
});
