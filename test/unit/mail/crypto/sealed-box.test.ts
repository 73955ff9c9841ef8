import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AssociatedData } from '../../../../mail/crypto/ad.js';
import { DecryptionError } from '../../../../mail/crypto/errors.js';
import { openSealedBox, sealToPublicKey, SEALED_BOX_OVERHEAD } from '../../../../mail/crypto/sealed-box.js';
import { generateX25519, x25519, x25519PublicKey } from '../../../../mail/crypto/x25519.js';

const ad: AssociatedData = { userId: 'u1', location: { pk: 'incoming', sk: 'd1' }, kind: 'delivery-key' };

describe('X25519', () => {
  it('agrees on a shared secret and recomputes public keys', () => {
    const a = generateX25519();
    const b = generateX25519();
    expect(x25519(a.secretKey, b.publicKey).equals(x25519(b.secretKey, a.publicKey))).toBe(true);
    expect(x25519PublicKey(a.secretKey).equals(a.publicKey)).toBe(true);
  });

  it('matches the RFC 7748 §6.1 vector', () => {
    const aliceSecret = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex');
    const bobPublic = Buffer.from('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f', 'hex');
    expect(x25519PublicKey(aliceSecret).toString('hex')).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(x25519(aliceSecret, bobPublic).toString('hex')).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
  });
});

describe('sealed box', () => {
  const recipient = generateX25519();

  it('round-trips with ephemeral public key ‖ ciphertext', () => {
    const messageKey = randomBytes(32);
    const box = sealToPublicKey(recipient.publicKey, messageKey, ad);
    expect(box.length).toBe(32 + SEALED_BOX_OVERHEAD);
    expect(openSealedBox(recipient, box, ad).equals(messageKey)).toBe(true);
    // A new ephemeral key every time.
    expect(box.subarray(0, 32).equals(sealToPublicKey(recipient.publicKey, messageKey, ad).subarray(0, 32))).toBe(false);
  });

  it('only the recipient opens it', () => {
    const box = sealToPublicKey(recipient.publicKey, Buffer.from('k'), ad);
    expect(() => openSealedBox(generateX25519(), box, ad)).toThrow(DecryptionError);
    // The right secret key with a wrong public key changes the HKDF salt: refused too.
    expect(() => openSealedBox({ secretKey: recipient.secretKey, publicKey: generateX25519().publicKey }, box, ad)).toThrow(DecryptionError);
  });

  it('detects tampering, moves and short input', () => {
    const box = sealToPublicKey(recipient.publicKey, Buffer.from('message key'), ad);
    for (let i = 0; i < box.length; i++) {
      const bad = Buffer.from(box);
      bad[i]! ^= 4;
      expect(() => openSealedBox(recipient, bad, ad)).toThrow(DecryptionError);
    }
    expect(() => openSealedBox(recipient, box, { ...ad, location: { pk: 'incoming', sk: 'd2' } })).toThrow(DecryptionError);
    expect(() => openSealedBox(recipient, box, { ...ad, userId: 'u2' })).toThrow(DecryptionError);
    expect(() => openSealedBox(recipient, box.subarray(0, 40), ad)).toThrow(/too short/);
  });

  it('refuses a low-order ephemeral key (all-zero shared secret)', () => {
    const box = Buffer.concat([Buffer.alloc(32), randomBytes(20)]);
    expect(() => openSealedBox(recipient, box, ad)).toThrow(DecryptionError);
  });
});
