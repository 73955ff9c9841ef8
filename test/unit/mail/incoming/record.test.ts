import { describe, expect, it } from 'vitest';
import { DecryptionError } from '../../../../mail/crypto/errors.js';
import { generateX25519 } from '../../../../mail/crypto/x25519.js';
import { openRecord, sealRecord } from '../../../../mail/incoming/record.js';
import { summarize } from '../../../../mail/mailbox/summary/summarize.js';

const raw = Buffer.from('Subject: hi\r\nFrom: a@b.example\r\n\r\nbody\r\n');
const keys = generateX25519();
const bodyKey = Buffer.alloc(32, 7);

describe('delivery records', () => {
  it('open only for the user, at their place in the queue', () => {
    const summary = summarize(raw);
    const box = sealRecord('u1', 'd1', keys.publicKey, { bodyKey, deliveredAt: 1234, rawSize: raw.length, parsed: { header: raw.subarray(0, 32), summary } });
    const r = openRecord('u1', 'd1', keys, box);
    expect(r).toEqual({ bodyKey, deliveredAt: 1234, rawSize: raw.length, parsed: { header: raw.subarray(0, 32), summary } });
    expect(() => openRecord('u1', 'd2', keys, box)).toThrow(DecryptionError);
    expect(() => openRecord('u2', 'd1', keys, box)).toThrow(DecryptionError);
    expect(() => openRecord('u1', 'd1', generateX25519(), box)).toThrow(DecryptionError);
  });

  it('leave out a summary too large to travel with them', () => {
    const big = Buffer.from(`Subject: ${'x'.repeat(400_000)}\r\n\r\nbody\r\n`);
    const box = sealRecord('u1', 'd1', keys.publicKey, { bodyKey, deliveredAt: 1, rawSize: big.length, parsed: { header: null, summary: summarize(big) } });
    expect(box.length).toBeLessThan(1024);
    expect(openRecord('u1', 'd1', keys, box).parsed).toBeUndefined();
  });
});
