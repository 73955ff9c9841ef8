/**
 * The static users file (TOML): one table per user with addresses, aliases, an
 * Argon2id password hash, the public key and the wrapped copies of the user's keys.
 *
 *   version = 1
 *   [users.alice]
 *   id = "…"                       # stable random id: binds ciphertexts, names the bucket
 *   addresses = ["alice@example.org"]
 *   aliases = ["postmaster@example.org"]
 *   password = "$argon2id$v=19$m=19456,t=2,p=1$…"
 *   public_key = "…"               # base64url X25519 public key: delivery needs no password
 *   crypto_root = "aero:cryptoroot:pass:…"
 *   recovery_root = "aero:cryptoroot:recovery:…"
 *   bucket = "mail-…"
 *   created = 2025-01-01T00:00:00.000Z
 *   [[users.alice.app_passwords]]
 *   label = "phone"
 *   crypto_root = "aero:cryptoroot:app:…"
 *   created = …
 *
 * It holds no secret in clear, but wrapped keys and hashes invite offline guessing:
 * it is written 0600, atomically (temporary file, fsync, rename, fsync of the
 * directory), and edits take a lock file so two commands never lose each other's change.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse as parseToml, stringify as stringifyToml, TomlError } from 'smol-toml';
import { parseWrappedKeys, serializeWrappedKeys, type WrappedKeys } from '../crypto/crypto-root.js';
import { passwordHashCost } from '../crypto/kdf.js';
import { canonicalAddress } from './address.js';
import { UsersFileError } from './errors.js';
import type { StorageSettings } from './provider.js';

export interface AppPasswordRecord {
  label: string;
  root: WrappedKeys;
  created: Date;
}

export interface UserRecord {
  /** Login name: lower case, [a-z0-9._-]. */
  name: string;
  id: string;
  addresses: string[];
  aliases: string[];
  passwordHash: string;
  publicKey: Buffer;
  passwordRoot: WrappedKeys;
  recoveryRoot: WrappedKeys | undefined;
  appPasswords: AppPasswordRecord[];
  storage: StorageSettings;
  created: Date;
}

export const USER_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const FORMAT_VERSION = 1;
const USER_KEYS = new Set(['id', 'addresses', 'aliases', 'password', 'public_key', 'crypto_root', 'recovery_root', 'bucket', 'created', 'app_passwords']);

/** All users, by name. Addresses are unique across users (checked on parse). */
export type UsersDb = Map<string, UserRecord>;

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function parseUser(name: string, t: Table, fail: (msg: string) => never): UserRecord {
  const where = `user "${name}"`;
  const str = (k: string): string => {
    const v = t[k];
    if (typeof v !== 'string' || v === '') fail(`${where}: "${k}" must be a non-empty string`);
    return v;
  };
  const strList = (k: string): string[] => {
    const v = t[k] ?? [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail(`${where}: "${k}" must be a list of strings`);
    return v.map((a: string) => canonicalAddress(a) ?? fail(`${where}: "${a}" in "${k}" is not an e-mail address`));
  };
  const date = (v: unknown, k: string): Date => (v instanceof Date ? new Date(v.getTime()) : fail(`${where}: "${k}" must be a date-time`));
  const root = (text: string, k: string): WrappedKeys => {
    try {
      return parseWrappedKeys(text);
    } catch (e) {
      return fail(`${where}: "${k}": ${(e as Error).message}`);
    }
  };

  if (!USER_NAME.test(name)) fail(`${where}: names are 1-64 characters of a-z, 0-9, ".", "_", "-", starting with a letter or digit`);
  for (const k of Object.keys(t)) if (!USER_KEYS.has(k)) fail(`${where}: unknown key "${k}"`);
  const passwordHash = str('password');
  try {
    passwordHashCost(passwordHash);
  } catch (e) {
    fail(`${where}: "password": ${(e as Error).message}`);
  }
  const publicKey = Buffer.from(str('public_key'), 'base64url');
  if (publicKey.length !== 32) fail(`${where}: "public_key" must be 32 bytes in base64url`);
  const passwordRoot = root(str('crypto_root'), 'crypto_root');
  if (passwordRoot.kind !== 'password') fail(`${where}: "crypto_root" must be a password copy (aero:cryptoroot:pass:…)`);
  const recoveryRoot = t['recovery_root'] === undefined ? undefined : root(str('recovery_root'), 'recovery_root');
  if (recoveryRoot !== undefined && recoveryRoot.kind !== 'recovery') fail(`${where}: "recovery_root" must be a recovery copy`);
  const apps = t['app_passwords'] ?? [];
  if (!Array.isArray(apps) || !apps.every(isTable)) fail(`${where}: "app_passwords" must be an array of tables`);
  const appPasswords = apps.map((a: Table, i: number): AppPasswordRecord => {
    const label = a['label'];
    if (typeof label !== 'string' || label === '') fail(`${where}: app_passwords[${i}] needs a "label"`);
    const text = a['crypto_root'];
    if (typeof text !== 'string') fail(`${where}: app password "${label}" needs a "crypto_root"`);
    const r = root(text, `app_passwords "${label}"`);
    if (r.kind !== 'app') fail(`${where}: app password "${label}" must hold an app copy (aero:cryptoroot:app:…)`);
    return { label, root: r, created: date(a['created'], `app_passwords "${label}".created`) };
  });
  const labels = new Set(appPasswords.map((a) => a.label));
  if (labels.size !== appPasswords.length) fail(`${where}: two app passwords have the same label`);
  return {
    name,
    id: str('id'),
    addresses: strList('addresses'),
    aliases: strList('aliases'),
    passwordHash,
    publicKey,
    passwordRoot,
    recoveryRoot,
    appPasswords,
    storage: { bucket: str('bucket') },
    created: date(t['created'], 'created'),
  };
}

/** Parses and checks a users file; UsersFileError names the file and what is wrong. */
export function parseUsersFile(text: string, source: string): UsersDb {
  const fail = (msg: string): never => {
    throw new UsersFileError(`${source}: ${msg}`);
  };
  let doc: Table;
  try {
    doc = parseToml(text) as Table;
  } catch (e) {
    throw new UsersFileError(`${source}: not valid TOML: ${e instanceof TomlError ? e.message.split('\n')[0] : String(e)}`);
  }
  if (doc['version'] !== FORMAT_VERSION) fail(`"version = ${FORMAT_VERSION}" expected (this program reads users files of version ${FORMAT_VERSION})`);
  for (const k of Object.keys(doc)) if (k !== 'version' && k !== 'users') fail(`unknown top-level key "${k}"`);
  const users = doc['users'] ?? {};
  if (!isTable(users)) fail('"users" must be a table');
  const db: UsersDb = new Map();
  const owners = new Map<string, string>();
  const ids = new Set<string>();
  for (const [name, t] of Object.entries(users as Table)) {
    if (!isTable(t)) fail(`users.${name} must be a table`);
    const user = parseUser(name, t as Table, fail);
    if (ids.has(user.id)) fail(`user "${name}" has the same id as another user`);
    ids.add(user.id);
    for (const a of [...user.addresses, ...user.aliases]) {
      const other = owners.get(a);
      if (other === name) fail(`user "${name}": address ${a} is listed twice`);
      if (other !== undefined) fail(`address ${a} belongs to both "${other}" and "${name}": remove it from one of them`);
      owners.set(a, name);
    }
    db.set(name, user);
  }
  return db;
}

export function stringifyUsersFile(db: UsersDb): string {
  const users: Table = {};
  for (const u of [...db.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const t: Table = {
      id: u.id,
      addresses: u.addresses,
      aliases: u.aliases,
      password: u.passwordHash,
      public_key: u.publicKey.toString('base64url'),
      crypto_root: serializeWrappedKeys(u.passwordRoot),
      bucket: u.storage.bucket,
      created: u.created,
    };
    if (u.recoveryRoot !== undefined) t['recovery_root'] = serializeWrappedKeys(u.recoveryRoot);
    if (u.appPasswords.length > 0) {
      t['app_passwords'] = u.appPasswords.map((a) => ({ label: a.label, crypto_root: serializeWrappedKeys(a.root), created: a.created }));
    }
    users[u.name] = t;
  }
  return `# Aerogramme users. Managed by \`aerogramme account\`; keep it private (mode 0600).\n${stringifyToml({ version: FORMAT_VERSION, users })}\n`;
}

/** The users in `path`; an empty set when the file does not exist and `missingOk`. */
export async function readUsersFile(path: string, missingOk = false): Promise<UsersDb> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      if (missingOk) return new Map();
      throw new UsersFileError(`${path} does not exist: create the first account with \`aerogramme account create USER --users ${path}\``);
    }
    throw new UsersFileError(`cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseUsersFile(text, path);
}

/** Replaces `path` with `text` so that a reader sees the old or the new file, never a mix, even after a crash. */
async function writeFileAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

export interface EditOptions {
  /** Start from an empty set of users when the file does not exist yet. */
  create?: boolean;
  /** How long to wait for another command's lock (default 5 s). */
  lockWaitMs?: number;
}

/**
 * Runs `edit` on the current users under an exclusive lock file (`path`.lock), then
 * writes the result atomically. `edit` mutates the map in place.
 */
export async function editUsersFile<T>(path: string, edit: (db: UsersDb) => Promise<T>, opts: EditOptions = {}): Promise<T> {
  const lock = `${path}.lock`;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + (opts.lockWaitMs ?? 5000);
  for (;;) {
    try {
      const fh = await open(lock, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new UsersFileError(`cannot create ${lock}: ${(e as Error).message}`, { cause: e });
      if (Date.now() > deadline) {
        throw new UsersFileError(
          `${path} is locked by ${lock}: another \`aerogramme account\` command is running; if none is, a crashed one left the lock behind: delete ${lock}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    const db = await readUsersFile(path, opts.create === true);
    const result = await edit(db);
    await writeFileAtomic(path, stringifyUsersFile(db));
    return result;
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}
