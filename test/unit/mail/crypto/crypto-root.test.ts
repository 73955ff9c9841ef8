import { describe, expect, it } from 'vitest';
import {
  parseWrappedKeys,
  serializeWrappedKeys,
  unwrapKeys,
  wrapWithGeneratedSecret,
  wrapWithPassword,
} from '../../../../mail/crypto/crypto-root.js';
import { CryptoFormatError, DecryptionError } from '../../../../mail/crypto/errors.js';
import { formatGeneratedSecret, generateSecret, parseGeneratedSecret } from '../../../../mail/crypto/generated-secret.js';
import { UserKeys } from '../../../../mail/crypto/keys.js';

describe('user keys', () => {
  it('serialise as master ‖ X25519 secret and recompute the public key', () => {
    const keys = UserKeys.generate();
    const bytes = keys.toBytes();
    expect(bytes.length).toBe(64);
    const again = UserKeys.fromBytes(bytes);
    expect(again.master.equals(keys.master)).toBe(true);
    expect(again.publicKey.equals(keys.publicKey)).toBe(true);
  });

  it('are wiped to zero and unusable afterwards; clones are independent', () => {
    const keys = UserKeys.generate();
    const clone = keys.clone();
    const master = keys.master;
    keys.wipe();
    expect(master.every((b) => b === 0)).toBe(true);
    expect(() => keys.master).toThrow(/wiped/);
    expect(() => keys.keyPair).toThrow(/wiped/);
    expect(clone.master.some((b) => b !== 0)).toBe(true);
  });
});

describe('generated secrets', () => {
  it('are 160-bit, 32 base-32 characters in groups of four, and parse forgivingly', () => {
    const s = generateSecret();
    expect(s).toMatch(/^([0-9a-hjkmnp-tv-z]{4}-){7}[0-9a-hjkmnp-tv-z]{4}$/);
    const bytes = parseGeneratedSecret(s)!;
    expect(bytes.length).toBe(20);
    expect(formatGeneratedSecret(bytes)).toBe(s);
    expect(parseGeneratedSecret(` ${s.toUpperCase().replace(/-/g, ' ')} `)!.equals(bytes)).toBe(true);
    expect(parseGeneratedSecret(s.replace(/1/g, 'l').replace(/0/g, 'O'))!.equals(bytes)).toBe(true);
    expect(parseGeneratedSecret('correct horse battery staple')).toBeUndefined();
    expect(parseGeneratedSecret(s.slice(0, -1))).toBeUndefined();
  });
});

describe('crypto root', () => {
  const userId = 'u-123';

  it('wraps the keys under a password; the text form round-trips', async () => {
    const keys = UserKeys.generate();
    const copy = await wrapWithPassword(keys, userId, 'hunter2 hunter2');
    const text = serializeWrappedKeys(copy);
    expect(text).toMatch(/^aero:cryptoroot:pass:[A-Za-z0-9_-]+$/);
    const parsed = parseWrappedKeys(text);
    expect(parsed).toEqual(copy);
    const opened = await unwrapKeys(parsed, userId, 'hunter2 hunter2', keys.publicKey);
    expect(opened.master.equals(keys.master)).toBe(true);
    expect(opened.keyPair.secretKey.equals(keys.keyPair.secretKey)).toBe(true);
  });

  it('refuses a wrong password, another user id, or a mismatched public key', async () => {
    const keys = UserKeys.generate();
    const copy = await wrapWithPassword(keys, userId, 'pw-one-two');
    await expect(unwrapKeys(copy, userId, 'pw-one-tw0', keys.publicKey)).rejects.toThrow(DecryptionError);
    await expect(unwrapKeys(copy, 'u-124', 'pw-one-two', keys.publicKey)).rejects.toThrow(DecryptionError);
    await expect(unwrapKeys(copy, userId, 'pw-one-two', UserKeys.generate().publicKey)).rejects.toThrow(CryptoFormatError);
  });

  it('has several copies (password, app password, recovery) unlocking the same keys', async () => {
    const keys = UserKeys.generate();
    const app = generateSecret();
    const recovery = generateSecret();
    const copies = [
      [await wrapWithPassword(keys, userId, 'the password'), 'the password'],
      [await wrapWithGeneratedSecret(keys, userId, 'app', app), app],
      [await wrapWithGeneratedSecret(keys, userId, 'recovery', recovery), recovery.toUpperCase()],
    ] as const;
    for (const [copy, secret] of copies) {
      const parsed = parseWrappedKeys(serializeWrappedKeys(copy));
      expect(parsed.kind).toBe(copy.kind);
      const opened = await unwrapKeys(parsed, userId, secret, keys.publicKey);
      expect(opened.master.equals(keys.master)).toBe(true);
    }
    // A generated-secret copy with a non-secret-looking input fails fast, without Argon2.
    await expect(unwrapKeys(copies[1][0], userId, 'the password', keys.publicKey)).rejects.toThrow(DecryptionError);
    await expect(unwrapKeys(copies[1][0], userId, recovery, keys.publicKey)).rejects.toThrow(DecryptionError);
  });

  it('binds each copy to its kind', async () => {
    const keys = UserKeys.generate();
    const secret = generateSecret();
    const app = await wrapWithGeneratedSecret(keys, userId, 'app', secret);
    await expect(unwrapKeys({ ...app, kind: 'recovery' }, userId, secret, keys.publicKey)).rejects.toThrow(DecryptionError);
  });

  it('rejects malformed text forms with a clear error', async () => {
    const copy = serializeWrappedKeys(await wrapWithPassword(UserKeys.generate(), userId, 'pw pw pw pw'));
    for (const bad of ['', 'aero:cryptoroot:pass:', 'aero:cryptoroot:cleartext:AAAA', copy.replace(':pass:', ':app:'), copy.slice(0, 30)]) {
      expect(() => parseWrappedKeys(bad)).toThrow(CryptoFormatError);
    }
  });
});
