/**
 * Crypto benchmark (plain Node, no vitest): XChaCha20-Poly1305 through @stablelib
 * versus our native path (HChaCha20 subkey + Node's chacha20-poly1305), segmented
 * bodies, sealed boxes and the Argon2id cost of a login.
 *
 *   npx tsc -p . && node dist/test/bench/crypto.js
 */
import { randomBytes } from 'node:crypto';
import { XChaCha20Poly1305 } from '@stablelib/xchacha20poly1305';
import type { AssociatedData } from '../../mail/crypto/ad.js';
import { xchachaOpen, xchachaSeal } from '../../mail/crypto/aead.js';
import { open, seal } from '../../mail/crypto/envelope.js';
import { deriveKey, hashPassword, newArgon2Params, passwordBytes, verifyPassword } from '../../mail/crypto/kdf.js';
import { openSealedBox, sealToPublicKey } from '../../mail/crypto/sealed-box.js';
import { newBodyKey, openBody, openRange, openStream, sealBody, sealStream, SEGMENT_SIZE } from '../../mail/crypto/segments.js';
import { generateX25519 } from '../../mail/crypto/x25519.js';

const MiB = 1024 * 1024;
const ad: AssociatedData = { userId: 'bench', location: { key: 'body/bench' }, kind: 'body' };

/** Runs `fn` repeatedly for about `ms` milliseconds (after a warm-up); returns operations per second. */
function rate(fn: () => unknown, ms = 700): number {
  for (let i = 0; i < 3; i++) fn();
  let ops = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < end) {
    fn();
    ops++;
    now = process.hrtime.bigint();
  }
  return ops / (Number(now - start) / 1e9);
}

async function rateAsync(fn: () => Promise<unknown>, count: number): Promise<number> {
  await fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await fn();
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

const rows: [string, string][] = [];
const mbps = (label: string, bytes: number, ops: number) => rows.push([label, `${((bytes * ops) / MiB).toFixed(0)} MiB/s`]);
const perSec = (label: string, ops: number) => rows.push([label, `${ops.toFixed(0)} ops/s (${(1000 / ops).toFixed(3)} ms each)`]);

async function main(): Promise<void> {
  const key = randomBytes(32);
  const nonce = randomBytes(24);
  const aad = randomBytes(64);
  const stable = new XChaCha20Poly1305(key);

  for (const size of [1024, SEGMENT_SIZE, MiB]) {
    const plain = randomBytes(size);
    const sealed = Buffer.concat(xchachaSeal(key, nonce, plain, aad));
    const label = size >= MiB ? `${size / MiB} MiB` : `${size / 1024} KiB`;
    mbps(`seal ${label}  @stablelib/xchacha20poly1305`, size, rate(() => stable.seal(nonce, plain, aad)));
    mbps(`seal ${label}  native (HChaCha20 + chacha20-poly1305)`, size, rate(() => xchachaSeal(key, nonce, plain, aad)));
    mbps(`seal ${label}  native, joined into one buffer`, size, rate(() => Buffer.concat(xchachaSeal(key, nonce, plain, aad))));
    mbps(`open ${label}  @stablelib/xchacha20poly1305`, size, rate(() => stable.open(nonce, sealed, aad)));
    mbps(`open ${label}  native`, size, rate(() => xchachaOpen(key, nonce, sealed, aad)));
  }

  const small = randomBytes(300);
  const env = seal(key, small, ad);
  perSec('envelope seal, 300 B summary', rate(() => seal(key, small, ad)));
  perSec('envelope open, 300 B summary', rate(() => open(key, env, ad)));

  const body = randomBytes(10 * MiB);
  const bodyKey = newBodyKey();
  const sealedBody = sealBody(bodyKey, ad, body);
  mbps('segmented body seal, 10 MiB', body.length, rate(() => sealBody(bodyKey, ad, body), 1500));
  mbps('segmented body open, 10 MiB', body.length, rate(() => openBody(bodyKey, ad, sealedBody), 1500));
  const chunks = Array.from({ length: 160 }, (_, i) => body.subarray(i * 64 * 1024, (i + 1) * 64 * 1024));
  async function* source(): AsyncGenerator<Buffer> {
    yield* chunks;
  }
  const drain = async (it: AsyncIterable<Buffer>) => {
    for await (const part of it) void part;
  };
  mbps('sealStream 10 MiB (64 KiB chunks in, parts out)', body.length, await rateAsync(() => drain(sealStream(bodyKey, ad, source())), 30));
  mbps('openStream 10 MiB', body.length, await rateAsync(() => drain(openStream(bodyKey, ad, [sealedBody])), 30));
  const read = async (s: number, e: number) => sealedBody.subarray(s, e);
  perSec('openRange 100 B in the middle of 10 MiB', await rateAsync(() => openRange(bodyKey, ad, body.length, 5 * MiB, 5 * MiB + 100, read), 2000));

  const recipient = generateX25519();
  const messageKey = randomBytes(32);
  const box = sealToPublicKey(recipient.publicKey, messageKey, ad);
  perSec('sealed box seal (X25519 + HKDF + AEAD)', rate(() => sealToPublicKey(recipient.publicKey, messageKey, ad)));
  perSec('sealed box open', rate(() => openSealedBox(recipient, box, ad)));

  const phc = await hashPassword('bench password');
  const params = newArgon2Params();
  perSec('Argon2id verify (m=19 MiB, t=2, p=1)', await rateAsync(() => verifyPassword(phc, 'bench password'), 20));
  perSec('Argon2id key derivation (same cost)', await rateAsync(() => deriveKey(passwordBytes('bench password'), params), 20));

  const width = Math.max(...rows.map(([l]) => l.length));
  console.log(`Node ${process.version}, ${process.arch}`);
  for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
