import { randomBytes } from 'node:crypto';
import { XChaCha20Poly1305 } from '@stablelib/xchacha20poly1305';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xchachaOpen, xchachaSeal } from '../../../../mail/crypto/aead.js';

describe('native XChaCha20-Poly1305 (HChaCha20 subkey + Node chacha20-poly1305)', () => {
  it('gives byte-identical output to @stablelib/xchacha20poly1305 for random inputs', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 24, maxLength: 24 }),
        fc.uint8Array({ maxLength: 3000 }),
        fc.uint8Array({ maxLength: 300 }),
        (key, nonce, plain, aad) => {
          const ours = Buffer.concat(xchachaSeal(key, nonce, plain, aad));
          const reference = new XChaCha20Poly1305(key).seal(nonce, plain, aad);
          expect(Buffer.from(reference).equals(ours)).toBe(true);
          expect(Buffer.from(xchachaOpen(key, nonce, reference, aad)!).equals(Buffer.from(plain))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is identical on large inputs too (several ChaCha20 blocks counters, 1 MiB)', () => {
    const key = randomBytes(32);
    const nonce = randomBytes(24);
    const plain = randomBytes(1024 * 1024 + 7);
    const aad = randomBytes(40);
    expect(Buffer.from(new XChaCha20Poly1305(key).seal(nonce, plain, aad)).equals(Buffer.concat(xchachaSeal(key, nonce, plain, aad)))).toBe(true);
  });

  it('matches the draft-irtf-cfrg-xchacha-03 test vector (A.3.1)', () => {
    const plain = Buffer.from(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const aad = Buffer.from('50515253c0c1c2c3c4c5c6c7', 'hex');
    const key = Buffer.from('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f', 'hex');
    const nonce = Buffer.from('404142434445464748494a4b4c4d4e4f5051525354555657', 'hex');
    const sealed = Buffer.concat(xchachaSeal(key, nonce, plain, aad));
    expect(sealed.subarray(0, 16).toString('hex')).toBe('bd6d179d3e83d43b9576579493c0e939');
    expect(sealed.subarray(-16).toString('hex')).toBe('c0875924c1c7987947deafd8780acf49');
  });

  it('refuses a flipped bit anywhere and releases no plaintext', () => {
    const key = randomBytes(32);
    const nonce = randomBytes(24);
    const sealed = Buffer.concat(xchachaSeal(key, nonce, Buffer.from('attack at dawn'), Buffer.from('ad')));
    for (let i = 0; i < sealed.length; i++) {
      const bad = Buffer.from(sealed);
      bad[i]! ^= 0x01;
      expect(xchachaOpen(key, nonce, bad, Buffer.from('ad'))).toBeUndefined();
    }
    expect(xchachaOpen(key, nonce, sealed, Buffer.from('ae'))).toBeUndefined();
    expect(xchachaOpen(key, nonce, sealed.subarray(0, 10), Buffer.from('ad'))).toBeUndefined();
  });
});
