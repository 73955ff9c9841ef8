/** Unlocking a user's keys from what they type: password, app password, or recovery key. */
import { unwrapKeys } from '../crypto/crypto-root.js';
import { DecryptionError } from '../crypto/errors.js';
import { parseGeneratedSecret } from '../crypto/generated-secret.js';
import { verifyPassword } from '../crypto/kdf.js';
import type { UserKeys } from '../crypto/keys.js';
import type { UserRecord } from './users-file.js';

/** Keys for the login password, or undefined when it is wrong. Costs two Argon2id runs (hash check, then key derivation). */
export async function unlockWithPassword(user: UserRecord, password: string): Promise<UserKeys | undefined> {
  if (!(await verifyPassword(user.passwordHash, password))) return undefined;
  // A hash that matches but a copy that does not open means the file is inconsistent: let that error through.
  return unwrapKeys(user.passwordRoot, user.id, password, user.publicKey);
}

/** Keys and label of the app password `secret` is, or undefined. Cheap (HKDF), so every copy can be tried. */
export async function unlockWithAppPassword(user: UserRecord, secret: string): Promise<{ keys: UserKeys; label: string } | undefined> {
  if (user.appPasswords.length === 0 || parseGeneratedSecret(secret) === undefined) return undefined;
  for (const app of user.appPasswords) {
    const keys = await unwrapKeys(app.root, user.id, secret, user.publicKey).catch((e: unknown) => {
      if (e instanceof DecryptionError) return undefined;
      throw e;
    });
    if (keys !== undefined) return { keys, label: app.label };
  }
  return undefined;
}

/** Keys for the recovery key, or undefined when it is wrong or the user has none. */
export async function unlockWithRecoveryKey(user: UserRecord, recoveryKey: string): Promise<UserKeys | undefined> {
  if (user.recoveryRoot === undefined) return undefined;
  return unwrapKeys(user.recoveryRoot, user.id, recoveryKey, user.publicKey).catch((e: unknown) => {
    if (e instanceof DecryptionError) return undefined;
    throw e;
  });
}
