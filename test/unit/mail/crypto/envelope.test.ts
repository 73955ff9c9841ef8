import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeAd, type AssociatedData } from '../../../../mail/crypto/ad.js';
import { ENVELOPE_OVERHEAD, ENVELOPE_VERSION, open, seal } from '../../../../mail/crypto/envelope.js';
import { DecryptionError } from '../../../../mail/crypto/errors.js';

const key = randomBytes(32);
const ad: AssociatedData = { userId: 'u1', location: { pk: 'meta/mbx1', sk: 'msg1' }, kind: 'summary' };

describe('envelope', () => {
  it('round-trips: version ‖ nonce(24) ‖ ciphertext ‖ tag', () => {
    for (const size of [0, 1, 100, 70_000]) {
      const plain = randomBytes(size);
      const blob = seal(key, plain, ad);
      expect(blob.length).toBe(size + ENVELOPE_OVERHEAD);
      expect(blob[0]).toBe(ENVELOPE_VERSION);
      expect(open(key, blob, ad).equals(plain)).toBe(true);
    }
  });

  it('uses a fresh nonce each time', () => {
    const plain = Buffer.from('same');
    expect(seal(key, plain, ad).equals(seal(key, plain, ad))).toBe(false);
  });

  it('rejects a wrong key', () => {
    expect(() => open(randomBytes(32), seal(key, Buffer.from('x'), ad), ad)).toThrow(DecryptionError);
  });

  it('rejects any flipped bit, a truncation and an unknown version', () => {
    const blob = seal(key, Buffer.from('a short secret'), ad);
    for (let i = 0; i < blob.length; i++) {
      const bad = Buffer.from(blob);
      bad[i]! ^= 0x80;
      expect(() => open(key, bad, ad)).toThrow(DecryptionError);
    }
    expect(() => open(key, blob.subarray(0, blob.length - 1), ad)).toThrow(DecryptionError);
    expect(() => open(key, blob.subarray(0, 10), ad)).toThrow(/too short/);
    const v2 = Buffer.from(blob);
    v2[0] = 2;
    expect(() => open(key, v2, ad)).toThrow(/version/);
  });

  it('binds the blob to user, location and kind: a moved blob does not open', () => {
    const blob = seal(key, Buffer.from('op'), ad);
    const elsewhere: AssociatedData[] = [
      { ...ad, userId: 'u2' },
      { ...ad, kind: 'log-op' },
      { ...ad, location: { pk: 'meta/mbx2', sk: 'msg1' } },
      { ...ad, location: { pk: 'meta/mbx1', sk: 'msg2' } },
      { ...ad, location: { key: 'meta/mbx1/msg1' } },
    ];
    for (const other of elsewhere) {
      const err = (() => {
        try {
          open(key, blob, other);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(DecryptionError);
      expect((err as DecryptionError).code).toBe('Decryption');
    }
  });

  it('encodes associated data unambiguously (length-prefixed fields)', () => {
    const field = fc.string({ maxLength: 8, unit: fc.constantFrom('a', '/', '\0', 'é', ':') });
    const loc = fc.oneof(fc.record({ pk: field, sk: field }), fc.record({ key: field }));
    const arbAd = fc.record({ userId: field, location: loc, kind: field });
    fc.assert(
      fc.property(arbAd, arbAd, (a, b) => {
        const same = JSON.stringify(a) === JSON.stringify(b);
        expect(encodeAd('envelope', 1, a).equals(encodeAd('envelope', 1, b))).toBe(same);
      }),
      { numRuns: 2000 },
    );
    expect(encodeAd('envelope', 1, ad).equals(encodeAd('body-segment', 1, ad))).toBe(false);
    expect(encodeAd('envelope', 1, ad).equals(encodeAd('envelope', 2, ad))).toBe(false);
  });
});
