/**
 * Account management on the users database (what `aerogramme account` does). Every
 * operation that needs the user's keys unlocks them with a secret the user gives and
 * re-wraps them: stored mail is never re-encrypted, and keys are wiped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { wrapWithGeneratedSecret, wrapWithPassword } from '../crypto/crypto-root.js';
import { generateSecret } from '../crypto/generated-secret.js';
import { DEFAULT_ARGON2_COST, hashPassword, type Argon2Cost } from '../crypto/kdf.js';
import { UserKeys } from '../crypto/keys.js';
import { requireAddress } from './address.js';
import { AccountError } from './errors.js';
import { unlockWithPassword, unlockWithRecoveryKey } from './unlock.js';
import { USER_NAME, type UserRecord, type UsersDb } from './users-file.js';

const MIN_PASSWORD_LENGTH = 8;

export function checkNewPassword(password: string): void {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw new AccountError('WeakPassword', `the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  }
}

export function requireUser(db: UsersDb, name: string): UserRecord {
  const user = db.get(name);
  if (user === undefined) throw new AccountError('UnknownUser', `no account named "${name}" (see \`aerogramme account list\`)`);
  return user;
}

function ownerOf(db: UsersDb, address: string): UserRecord | undefined {
  for (const u of db.values()) if (u.addresses.includes(address) || u.aliases.includes(address)) return u;
  return undefined;
}

function claimAddress(db: UsersDb, text: string): string {
  const address = requireAddress(text);
  const owner = ownerOf(db, address);
  if (owner !== undefined) throw new AccountError('AddressInUse', `${address} already belongs to "${owner.name}"`);
  return address;
}

/** Runs `use` with the keys, wiping them afterwards whatever happens. */
async function withKeys<T>(keys: UserKeys, use: (keys: UserKeys) => Promise<T>): Promise<T> {
  try {
    return await use(keys);
  } finally {
    keys.wipe();
  }
}

async function unlockOrFail(user: UserRecord, password: string): Promise<UserKeys> {
  const keys = await unlockWithPassword(user, password);
  if (keys === undefined) {
    throw new AccountError('WrongSecret', `wrong password for "${user.name}" (if it is lost, set a new one with the recovery key: \`aerogramme account recover ${user.name}\`)`);
  }
  return keys;
}

/** New password hash and password copy for the same keys. */
async function setPassword(user: UserRecord, keys: UserKeys, password: string, cost: Argon2Cost): Promise<void> {
  checkNewPassword(password);
  const [passwordHash, passwordRoot] = await Promise.all([hashPassword(password, cost), wrapWithPassword(keys, user.id, password, cost)]);
  user.passwordHash = passwordHash;
  user.passwordRoot = passwordRoot;
}

export interface NewAccount {
  addresses: string[];
  password: string;
  cost?: Argon2Cost;
}

/** Whether `name` with `addresses` can be created; the canonical addresses, or AccountError saying why not. */
export function checkNewAccount(db: UsersDb, name: string, addresses: string[]): string[] {
  if (!USER_NAME.test(name)) {
    throw new AccountError('InvalidName', `"${name}" is not a valid user name: use 1-64 characters of a-z, 0-9, ".", "_", "-", starting with a letter or digit`);
  }
  if (db.has(name)) throw new AccountError('UserExists', `an account named "${name}" already exists`);
  return [...new Set(addresses.map((a) => claimAddress(db, a)))];
}

/** Creates a user with fresh keys. Returns the recovery key, to be shown once. */
export async function createAccount(db: UsersDb, name: string, opts: NewAccount): Promise<{ user: UserRecord; recoveryKey: string }> {
  const addresses = checkNewAccount(db, name, opts.addresses);
  checkNewPassword(opts.password);
  const id = randomBytes(16).toString('hex');
  const recoveryKey = generateSecret();
  return withKeys(UserKeys.generate(), async (keys) => {
    const cost = opts.cost ?? DEFAULT_ARGON2_COST;
    const [passwordHash, passwordRoot, recoveryRoot] = await Promise.all([
      hashPassword(opts.password, cost),
      wrapWithPassword(keys, id, opts.password, cost),
      wrapWithGeneratedSecret(keys, id, 'recovery', recoveryKey),
    ]);
    const user: UserRecord = {
      name,
      id,
      addresses,
      aliases: [],
      passwordHash,
      publicKey: Buffer.from(keys.publicKey),
      passwordRoot,
      recoveryRoot,
      appPasswords: [],
      storage: { bucket: `mail-${id}` },
      created: new Date(),
    };
    db.set(name, user);
    return { user, recoveryKey };
  });
}

/** Re-wraps the keys under a new password; the old one stops working, app passwords and the recovery key still work. */
export async function changePassword(db: UsersDb, name: string, oldPassword: string, newPassword: string, cost = DEFAULT_ARGON2_COST): Promise<void> {
  const user = requireUser(db, name);
  checkNewPassword(newPassword);
  await withKeys(await unlockOrFail(user, oldPassword), (keys) => setPassword(user, keys, newPassword, cost));
}

/** Sets a new password from the recovery key (which stays valid). */
export async function recoverAccount(db: UsersDb, name: string, recoveryKey: string, newPassword: string, cost = DEFAULT_ARGON2_COST): Promise<void> {
  const user = requireUser(db, name);
  if (user.recoveryRoot === undefined) {
    throw new AccountError('NoRecoveryKey', `"${name}" has no recovery key; if the password is lost, its mail cannot be decrypted`);
  }
  checkNewPassword(newPassword);
  const keys = await unlockWithRecoveryKey(user, recoveryKey);
  if (keys === undefined) throw new AccountError('WrongSecret', `this is not the recovery key of "${name}"`);
  await withKeys(keys, (k) => setPassword(user, k, newPassword, cost));
}

/** Replaces the recovery key (the old one stops working). Returns the new one, to be shown once. */
export async function regenerateRecoveryKey(db: UsersDb, name: string, password: string): Promise<string> {
  const user = requireUser(db, name);
  const recoveryKey = generateSecret();
  await withKeys(await unlockOrFail(user, password), async (keys) => {
    user.recoveryRoot = await wrapWithGeneratedSecret(keys, user.id, 'recovery', recoveryKey);
  });
  return recoveryKey;
}

/** Removes the user from the database. Their mail stays in storage (bucket `user.storage.bucket`). */
export function deleteAccount(db: UsersDb, name: string): UserRecord {
  const user = requireUser(db, name);
  db.delete(name);
  return user;
}

export function addAlias(db: UsersDb, name: string, address: string): string {
  const user = requireUser(db, name);
  const canonical = claimAddress(db, address);
  user.aliases.push(canonical);
  return canonical;
}

export function removeAlias(db: UsersDb, name: string, address: string): string {
  const user = requireUser(db, name);
  const canonical = requireAddress(address);
  const i = user.aliases.indexOf(canonical);
  if (i < 0) {
    const why = user.addresses.includes(canonical) ? 'it is one of its own addresses, not an alias' : `its aliases are: ${user.aliases.join(', ') || 'none'}`;
    throw new AccountError('UnknownAddress', `${canonical} is not an alias of "${name}" (${why})`);
  }
  user.aliases.splice(i, 1);
  return canonical;
}

const LABEL = /^[\p{L}\p{N}][\p{L}\p{N} ._@-]{0,63}$/u;

/** A new generated app password wrapping the same keys. Returns it, to be shown once. */
export async function addAppPassword(db: UsersDb, name: string, password: string, label: string): Promise<string> {
  const user = requireUser(db, name);
  if (!LABEL.test(label)) {
    throw new AccountError('InvalidLabel', `"${label}" is not a valid label: use 1-64 letters, digits, spaces, ".", "_", "@", "-", starting with a letter or digit`);
  }
  if (user.appPasswords.some((a) => a.label === label)) {
    throw new AccountError('LabelInUse', `"${name}" already has an app password labelled "${label}" (remove it first, or pick another label)`);
  }
  const secret = generateSecret();
  await withKeys(await unlockOrFail(user, password), async (keys) => {
    user.appPasswords.push({ label, root: await wrapWithGeneratedSecret(keys, user.id, 'app', secret), created: new Date() });
  });
  return secret;
}

export function removeAppPassword(db: UsersDb, name: string, label: string): void {
  const user = requireUser(db, name);
  const i = user.appPasswords.findIndex((a) => a.label === label);
  if (i < 0) {
    const labels = user.appPasswords.map((a) => `"${a.label}"`).join(', ') || 'none';
    throw new AccountError('UnknownLabel', `"${name}" has no app password labelled "${label}" (its labels: ${labels})`);
  }
  user.appPasswords.splice(i, 1);
}
