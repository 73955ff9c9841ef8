import { describe, expect, it } from 'vitest';
import { CryptoFormatError } from '../../../../mail/crypto/errors.js';
import {
  DEFAULT_ARGON2_COST,
  deriveKey,
  hashPassword,
  MIN_ARGON2_COST,
  needsRehash,
  newArgon2Params,
  passwordBytes,
  passwordHashCost,
  verifyPassword,
} from '../../../../mail/crypto/kdf.js';

describe('Argon2id', () => {
  it('never goes below 19 MiB, t=2, p=1 and uses 16-byte random salts', () => {
    expect(MIN_ARGON2_COST).toEqual({ memoryKiB: 19456, timeCost: 2, parallelism: 1 });
    expect(() => newArgon2Params({ memoryKiB: 19455, timeCost: 2, parallelism: 1 })).toThrow(CryptoFormatError);
    expect(() => newArgon2Params({ memoryKiB: 19456, timeCost: 1, parallelism: 1 })).toThrow(CryptoFormatError);
    const p = newArgon2Params();
    expect(p.salt.length).toBe(16);
    expect(newArgon2Params().salt.equals(p.salt)).toBe(false);
  });

  it('hashes passwords to PHC strings that carry their cost', async () => {
    const phc = await hashPassword('correct horse');
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(passwordHashCost(phc)).toEqual(DEFAULT_ARGON2_COST);
    expect(await verifyPassword(phc, 'correct horse')).toBe(true);
    expect(await verifyPassword(phc, 'correct horsf')).toBe(false);
    expect(await hashPassword('correct horse')).not.toBe(phc);
  });

  it('treats NFC and NFD spellings of a password as the same password', async () => {
    const phc = await hashPassword('caf\u00e9');
    expect(await verifyPassword(phc, 'cafe\u0301')).toBe(true);
    expect(passwordBytes('cafe\u0301').equals(passwordBytes('caf\u00e9'))).toBe(true);
  });

  it('reports when stored costs are below the target, for rehashing', async () => {
    const phc = await hashPassword('pw', MIN_ARGON2_COST);
    expect(needsRehash(passwordHashCost(phc))).toBe(false);
    expect(needsRehash(passwordHashCost(phc), { ...MIN_ARGON2_COST, memoryKiB: 65536 })).toBe(true);
    expect(needsRehash(passwordHashCost(phc), { ...MIN_ARGON2_COST, timeCost: 3 })).toBe(true);
  });

  it('refuses malformed or too weak stored hashes', async () => {
    expect(() => passwordHashCost('$2b$10$abcdefghijklmnopqrstuv')).toThrow(CryptoFormatError);
    const weak = '$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$' + 'A'.repeat(43);
    expect(() => passwordHashCost(weak)).toThrow(/memoryKiB/);
    await expect(verifyPassword(weak, 'pw')).rejects.toThrow(CryptoFormatError);
  });

  it('derives 32-byte keys that depend on the salt and the password', async () => {
    const p = newArgon2Params();
    const k1 = await deriveKey(passwordBytes('pw'), p);
    expect(k1.length).toBe(32);
    expect((await deriveKey(passwordBytes('pw'), p)).equals(k1)).toBe(true);
    expect((await deriveKey(passwordBytes('pw'), newArgon2Params())).equals(k1)).toBe(false);
    expect((await deriveKey(passwordBytes('pv'), p)).equals(k1)).toBe(false);
  });
});
