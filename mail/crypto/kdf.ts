/**
 * Argon2id, for password verification hashes (PHC strings) and for deriving the key
 * that wraps a user's keys from a password. The cost travels with every hash and
 * every derived-key record, so it can be raised later: `needsRehash` tells when a
 * stored cost is below the current target.
 */
import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import { KEY_BYTES } from './aead.js';
import { CryptoFormatError } from './errors.js';

export interface Argon2Cost {
  /** Memory in KiB. */
  memoryKiB: number;
  /** Passes over the memory. */
  timeCost: number;
  parallelism: number;
}

export interface Argon2Params extends Argon2Cost {
  salt: Buffer;
}

/** The floor: OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane). Nothing weaker is accepted. */
export const MIN_ARGON2_COST: Readonly<Argon2Cost> = Object.freeze({ memoryKiB: 19 * 1024, timeCost: 2, parallelism: 1 });
/** What new hashes and wrapped keys use. Raise it here; stored values report needsRehash. */
export const DEFAULT_ARGON2_COST: Readonly<Argon2Cost> = MIN_ARGON2_COST;
/** Upper bounds against a users file that asks for absurd work (4 GiB, 64 passes, 16 lanes). */
const MAX_ARGON2_COST: Readonly<Argon2Cost> = Object.freeze({ memoryKiB: 4 * 1024 * 1024, timeCost: 64, parallelism: 16 });
export const SALT_BYTES = 16;

export function checkArgon2Cost(cost: Argon2Cost): void {
  for (const k of ['memoryKiB', 'timeCost', 'parallelism'] as const) {
    const v = cost[k];
    if (!Number.isInteger(v) || v < MIN_ARGON2_COST[k] || v > MAX_ARGON2_COST[k]) {
      throw new CryptoFormatError(`Argon2id ${k} ${v} is outside [${MIN_ARGON2_COST[k]}, ${MAX_ARGON2_COST[k]}]`);
    }
  }
}

/** True when `stored` is weaker than `target` in any dimension. */
export function needsRehash(stored: Argon2Cost, target: Argon2Cost = DEFAULT_ARGON2_COST): boolean {
  return stored.memoryKiB < target.memoryKiB || stored.timeCost < target.timeCost || stored.parallelism < target.parallelism;
}

export function newArgon2Params(cost: Argon2Cost = DEFAULT_ARGON2_COST): Argon2Params {
  checkArgon2Cost(cost);
  return { memoryKiB: cost.memoryKiB, timeCost: cost.timeCost, parallelism: cost.parallelism, salt: randomBytes(SALT_BYTES) };
}

/**
 * Passwords are hashed as the UTF-8 of their NFC form, so the same password typed
 * on two systems that compose accents differently gives the same key.
 */
export function passwordBytes(password: string): Buffer {
  return Buffer.from(password.normalize('NFC'), 'utf8');
}

function options(cost: Argon2Cost) {
  return { type: argon2.argon2id, version: 0x13, memoryCost: cost.memoryKiB, timeCost: cost.timeCost, parallelism: cost.parallelism };
}

/** A 32-byte key from a secret. The caller wipes it. */
export async function deriveKey(secret: Uint8Array, params: Argon2Params): Promise<Buffer> {
  checkArgon2Cost(params);
  if (params.salt.length < SALT_BYTES) throw new CryptoFormatError(`Argon2id salt must have at least ${SALT_BYTES} bytes`);
  return argon2.hash(Buffer.from(secret), { ...options(params), salt: params.salt, hashLength: KEY_BYTES, raw: true });
}

// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{22,}\$[A-Za-z0-9+/]{43,}$/;

/** The cost recorded in an Argon2id PHC string; CryptoFormatError when it is not one. */
export function passwordHashCost(phc: string): Argon2Cost {
  const m = PHC.exec(phc);
  if (m === null) throw new CryptoFormatError('the password hash is not an Argon2id (v=19) PHC string');
  const cost = { memoryKiB: Number(m[1]), timeCost: Number(m[2]), parallelism: Number(m[3]) };
  checkArgon2Cost(cost);
  return cost;
}

/** An Argon2id PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash) with a 16-byte random salt. */
export async function hashPassword(password: string, cost: Argon2Cost = DEFAULT_ARGON2_COST): Promise<string> {
  checkArgon2Cost(cost);
  return argon2.hash(passwordBytes(password), { ...options(cost), salt: randomBytes(SALT_BYTES), hashLength: KEY_BYTES });
}

export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  passwordHashCost(phc);
  return argon2.verify(phc, passwordBytes(password));
}
