import { describe, expect, it } from 'vitest';
import { unwrapKeys } from '../../../../mail/crypto/crypto-root.js';
import { passwordHashCost } from '../../../../mail/crypto/kdf.js';
import {
  addAlias,
  addAppPassword,
  changePassword,
  createAccount,
  deleteAccount,
  recoverAccount,
  regenerateRecoveryKey,
  removeAlias,
  removeAppPassword,
} from '../../../../mail/user/accounts.js';
import { AccountError } from '../../../../mail/user/errors.js';
import { unlockWithAppPassword, unlockWithPassword, unlockWithRecoveryKey } from '../../../../mail/user/unlock.js';
import type { UsersDb } from '../../../../mail/user/users-file.js';

async function withAlice() {
  const db: UsersDb = new Map();
  const { user, recoveryKey } = await createAccount(db, 'alice', { addresses: ['Alice@Example.org'], password: 'first password' });
  const keys = (await unlockWithPassword(user, 'first password'))!;
  return { db, user, recoveryKey, master: Buffer.from(keys.master), secret: Buffer.from(keys.keyPair.secretKey) };
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as AccountError).code;
  }
  return undefined;
}

describe('accounts', () => {
  it('create a user with fresh keys, a hash at the floor cost, a recovery copy and canonical addresses', async () => {
    const { user, recoveryKey, master } = await withAlice();
    expect(user.id).toMatch(/^[0-9a-f]{32}$/);
    expect(user.addresses).toEqual(['alice@example.org']);
    expect(passwordHashCost(user.passwordHash)).toEqual({ memoryKiB: 19456, timeCost: 2, parallelism: 1 });
    expect(user.storage.bucket).toBe(`mail-${user.id}`);
    expect((await unlockWithRecoveryKey(user, recoveryKey))!.master.equals(master)).toBe(true);
    expect(user.publicKey.length).toBe(32);
  });

  it('refuse bad names, duplicates, addresses in use and short passwords', async () => {
    const { db } = await withAlice();
    const attempts: [string, string[], string, string][] = [
      ['Bob', [], 'long enough', 'InvalidName'],
      ['alice', [], 'long enough', 'UserExists'],
      ['bob', ['ALICE@example.org'], 'long enough', 'AddressInUse'],
      ['bob', ['not-an-address'], 'long enough', 'InvalidAddress'],
      ['bob', [], 'short', 'WeakPassword'],
    ];
    for (const [name, addresses, password, expected] of attempts) {
      await expect(createAccount(db, name, { addresses, password })).rejects.toMatchObject({ code: expected });
    }
    expect([...db.keys()]).toEqual(['alice']);
  });

  it('passwd re-wraps the same keys: old password out, new one in, recovery key still in', async () => {
    const { db, user, recoveryKey, master } = await withAlice();
    const oldRoot = user.passwordRoot;
    await expect(changePassword(db, 'alice', 'wrong password', 'second password')).rejects.toMatchObject({ code: 'WrongSecret' });
    await changePassword(db, 'alice', 'first password', 'second password');
    expect(await unlockWithPassword(user, 'first password')).toBeUndefined();
    expect((await unlockWithPassword(user, 'second password'))!.master.equals(master)).toBe(true);
    expect((await unlockWithRecoveryKey(user, recoveryKey))!.master.equals(master)).toBe(true);
    // The old copy still opens with the old password: that is why it must be replaced, and it was.
    expect(user.passwordRoot).not.toBe(oldRoot);
    expect((await unwrapKeys(oldRoot, user.id, 'first password', user.publicKey)).master.equals(master)).toBe(true);
  });

  it('recover sets a new password from the recovery key', async () => {
    const { db, user, recoveryKey, master } = await withAlice();
    await expect(recoverAccount(db, 'alice', 'abcd-efgh', 'new password')).rejects.toMatchObject({ code: 'WrongSecret' });
    await expect(recoverAccount(db, 'alice', 'first password', 'new password')).rejects.toMatchObject({ code: 'WrongSecret' });
    await recoverAccount(db, 'alice', recoveryKey.toUpperCase(), 'new password');
    expect(await unlockWithPassword(user, 'first password')).toBeUndefined();
    expect((await unlockWithPassword(user, 'new password'))!.master.equals(master)).toBe(true);
  });

  it('regenerating the recovery key invalidates the old one', async () => {
    const { db, user, recoveryKey, master } = await withAlice();
    const fresh = await regenerateRecoveryKey(db, 'alice', 'first password');
    expect(fresh).not.toBe(recoveryKey);
    expect(await unlockWithRecoveryKey(user, recoveryKey)).toBeUndefined();
    expect((await unlockWithRecoveryKey(user, fresh))!.master.equals(master)).toBe(true);
  });

  it('app passwords unlock the same keys, each alone, and survive a password change', async () => {
    const { db, user, master, secret } = await withAlice();
    await expect(addAppPassword(db, 'alice', 'wrong password', 'phone')).rejects.toMatchObject({ code: 'WrongSecret' });
    const phone = await addAppPassword(db, 'alice', 'first password', 'phone');
    const laptop = await addAppPassword(db, 'alice', 'first password', 'laptop');
    await expect(addAppPassword(db, 'alice', 'first password', 'phone')).rejects.toMatchObject({ code: 'LabelInUse' });
    await expect(addAppPassword(db, 'alice', 'first password', '\u0000bad')).rejects.toMatchObject({ code: 'InvalidLabel' });
    await changePassword(db, 'alice', 'first password', 'second password');
    const viaPhone = (await unlockWithAppPassword(user, phone))!;
    expect(viaPhone.label).toBe('phone');
    expect(viaPhone.keys.master.equals(master)).toBe(true);
    expect(viaPhone.keys.keyPair.secretKey.equals(secret)).toBe(true);
    expect((await unlockWithAppPassword(user, laptop))!.label).toBe('laptop');
    expect(await unlockWithAppPassword(user, 'second password')).toBeUndefined();
    // An app password is not the account password.
    expect(await unlockWithPassword(user, phone)).toBeUndefined();
    removeAppPassword(db, 'alice', 'phone');
    expect(await unlockWithAppPassword(user, phone)).toBeUndefined();
    expect(code(() => removeAppPassword(db, 'alice', 'phone'))).toBe('UnknownLabel');
  });

  it('aliases are unique across users and removable', async () => {
    const { db } = await withAlice();
    await createAccount(db, 'bob', { addresses: ['bob@example.org'], password: 'bob password' });
    expect(addAlias(db, 'alice', 'Postmaster@Example.org')).toBe('postmaster@example.org');
    expect(code(() => addAlias(db, 'bob', 'postmaster@example.org'))).toBe('AddressInUse');
    expect(code(() => addAlias(db, 'bob', 'alice@example.org'))).toBe('AddressInUse');
    expect(code(() => removeAlias(db, 'alice', 'alice@example.org'))).toBe('UnknownAddress');
    expect(removeAlias(db, 'alice', 'POSTMASTER@example.org')).toBe('postmaster@example.org');
    expect(db.get('alice')!.aliases).toEqual([]);
    expect(code(() => addAlias(db, 'carol', 'c@example.org'))).toBe('UnknownUser');
  });

  it('delete removes the user', async () => {
    const { db } = await withAlice();
    expect(deleteAccount(db, 'alice').name).toBe('alice');
    expect(db.size).toBe(0);
    expect(code(() => deleteAccount(db, 'alice'))).toBe('UnknownUser');
  });
});
