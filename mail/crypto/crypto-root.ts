/**
 * The crypto root: a user's keys wrapped (sealed) under keys derived from secrets the
 * user knows. Several wrapped copies unlock the same keys: the password copy, one per
 * app password, and the recovery copy. Changing a password re-wraps the keys; stored
 * mail is never re-encrypted.
 *
 * Passwords are stretched with Argon2id. App passwords and recovery keys are 160-bit
 * secrets we generate, so they go through HKDF: stretching them adds nothing, and it
 * keeps a login that tries every app-password copy cheap.
 *
 * Text form (one per copy, for the users file or an LDAP attribute):
 *   aero:cryptoroot:<pass|app|recovery>:<base64url(payload)>
 *   payload = format(1) ‖ kdf ‖ envelope(master ‖ X25519 secret)
 *   kdf     = 1 ‖ m(u32) ‖ t(u32) ‖ p(u8) ‖ saltLen(u8) ‖ salt      (Argon2id)
 *           | 2 ‖ saltLen(u8) ‖ salt                                 (HKDF-SHA256)
 * The envelope's associated data binds it to the user id and the copy's kind.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import type { AssociatedData } from './ad.js';
import { KEY_BYTES } from './aead.js';
import { open, seal } from './envelope.js';
import { CryptoFormatError, DecryptionError } from './errors.js';
import { parseGeneratedSecret } from './generated-secret.js';
import { checkArgon2Cost, DEFAULT_ARGON2_COST, deriveKey, newArgon2Params, passwordBytes, SALT_BYTES, type Argon2Cost, type Argon2Params } from './kdf.js';
import { UserKeys } from './keys.js';

export type CopyKind = 'password' | 'app' | 'recovery';
export type WrapKdf = { alg: 'argon2id'; params: Argon2Params } | { alg: 'hkdf-sha256'; salt: Buffer };

export interface WrappedKeys {
  readonly kind: CopyKind;
  readonly kdf: WrapKdf;
  readonly sealed: Buffer;
}

const FORMAT = 1;
const PREFIX = 'aero:cryptoroot:';
const KIND_TAGS: Record<CopyKind, string> = { password: 'pass', app: 'app', recovery: 'recovery' };

function rootAd(userId: string, kind: CopyKind): AssociatedData {
  return { userId, location: { key: `crypto-root/${kind}` }, kind: 'crypto-root' };
}

async function wrappingKey(kind: CopyKind, kdf: WrapKdf, secret: string): Promise<Buffer> {
  if (kdf.alg === 'argon2id') {
    const bytes = passwordBytes(secret);
    try {
      return await deriveKey(bytes, kdf.params);
    } finally {
      bytes.fill(0);
    }
  }
  const bytes = parseGeneratedSecret(secret);
  if (bytes === undefined) throw new DecryptionError();
  try {
    return Buffer.from(hkdfSync('sha256', bytes, kdf.salt, `aerogramme crypto-root v1 ${kind}`, KEY_BYTES));
  } finally {
    bytes.fill(0);
  }
}

async function wrap(keys: UserKeys, userId: string, kind: CopyKind, kdf: WrapKdf, secret: string): Promise<WrappedKeys> {
  const kek = await wrappingKey(kind, kdf, secret);
  const plain = keys.toBytes();
  try {
    return { kind, kdf, sealed: seal(kek, plain, rootAd(userId, kind)) };
  } finally {
    kek.fill(0);
    plain.fill(0);
  }
}

/** The password copy (Argon2id with a fresh salt at `cost`). */
export function wrapWithPassword(keys: UserKeys, userId: string, password: string, cost: Argon2Cost = DEFAULT_ARGON2_COST): Promise<WrappedKeys> {
  return wrap(keys, userId, 'password', { alg: 'argon2id', params: newArgon2Params(cost) }, password);
}

/** An app-password or recovery copy, under a secret from generateSecret(). */
export function wrapWithGeneratedSecret(keys: UserKeys, userId: string, kind: 'app' | 'recovery', secret: string): Promise<WrappedKeys> {
  return wrap(keys, userId, kind, { alg: 'hkdf-sha256', salt: randomBytes(SALT_BYTES) }, secret);
}

/**
 * The keys in a copy, given the secret it was wrapped under (password, app password
 * or recovery key as typed). DecryptionError for a wrong secret; CryptoFormatError
 * when the keys do not match the user's recorded public key.
 */
export async function unwrapKeys(copy: WrappedKeys, userId: string, secret: string, publicKey: Uint8Array): Promise<UserKeys> {
  const kek = await wrappingKey(copy.kind, copy.kdf, secret);
  let plain: Buffer | undefined;
  try {
    plain = open(kek, copy.sealed, rootAd(userId, copy.kind));
    const keys = UserKeys.fromBytes(plain);
    if (!keys.publicKey.equals(publicKey)) {
      keys.wipe();
      throw new CryptoFormatError(`the ${copy.kind} crypto root of user ${userId} does not match the user's public key`);
    }
    return keys;
  } finally {
    kek.fill(0);
    plain?.fill(0);
  }
}

export function serializeWrappedKeys(copy: WrappedKeys): string {
  let kdf: Buffer;
  if (copy.kdf.alg === 'argon2id') {
    const p = copy.kdf.params;
    kdf = Buffer.alloc(11);
    kdf[0] = 1;
    kdf.writeUInt32BE(p.memoryKiB, 1);
    kdf.writeUInt32BE(p.timeCost, 5);
    kdf[9] = p.parallelism;
    kdf[10] = p.salt.length;
    kdf = Buffer.concat([kdf, p.salt]);
  } else {
    kdf = Buffer.concat([Buffer.of(2, copy.kdf.salt.length), copy.kdf.salt]);
  }
  return `${PREFIX}${KIND_TAGS[copy.kind]}:${Buffer.concat([Buffer.of(FORMAT), kdf, copy.sealed]).toString('base64url')}`;
}

export function parseWrappedKeys(text: string): WrappedKeys {
  const bad = (why: string) => new CryptoFormatError(`not a crypto root (${why}): ${text.slice(0, 40)}…`);
  const m = /^aero:cryptoroot:([a-z]+):([A-Za-z0-9_-]+)$/.exec(text);
  if (m === null) throw bad(`expected ${PREFIX}<kind>:<base64url>`);
  const kind = (Object.keys(KIND_TAGS) as CopyKind[]).find((k) => KIND_TAGS[k] === m[1]);
  if (kind === undefined) throw bad(`unknown kind "${m[1]}"`);
  const b = Buffer.from(m[2]!, 'base64url');
  if (b[0] !== FORMAT) throw bad(`unknown format ${b[0]}`);
  let kdf: WrapKdf;
  let at: number;
  if (b[1] === 1 && b.length >= 12) {
    const params = { memoryKiB: b.readUInt32BE(2), timeCost: b.readUInt32BE(6), parallelism: b[10]!, salt: b.subarray(12, 12 + b[11]!) };
    checkArgon2Cost(params);
    kdf = { alg: 'argon2id', params };
    at = 12 + b[11]!;
  } else if (b[1] === 2 && b.length >= 3) {
    kdf = { alg: 'hkdf-sha256', salt: b.subarray(3, 3 + b[2]!) };
    at = 3 + b[2]!;
  } else {
    throw bad('unknown key derivation');
  }
  if (at > b.length) throw bad('truncated');
  if ((kdf.alg === 'argon2id' ? kdf.params.salt : kdf.salt).length < SALT_BYTES) throw bad('salt too short');
  if ((kind === 'password') !== (kdf.alg === 'argon2id')) throw bad(`a ${kind} copy cannot use ${kdf.alg}`);
  return { kind, kdf, sealed: Buffer.from(b.subarray(at)) };
}
