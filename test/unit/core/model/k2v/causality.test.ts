import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeToken, encodeToken, k2vNodeId } from '../../../../../core/model/k2v/causality.js';
import { K2vError } from '../../../../../core/model/k2v/errors.js';

// Worked examples of the reference (§1.11), computed from Garage's encoding rules.
const VECTORS: [Map<bigint, bigint>, string][] = [
  [new Map([[4n, 42n]]), 'AAAAAAAAAC4AAAAAAAAABAAAAAAAAAAq'],
  [
    new Map([
      [4n, 42n],
      [0x1111111111111111n, 7n],
    ]),
    'ERERERERETgAAAAAAAAABAAAAAAAAAAqEREREREREREAAAAAAAAABw',
  ],
  [new Map(), 'AAAAAAAAAAA'],
];

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof K2vError ? err.code : `not a K2vError: ${String(err)}`;
  }
  return undefined;
}

describe('causality tokens', () => {
  it.each(VECTORS)('encodes and decodes the worked example %#', (clock, token) => {
    expect(encodeToken(clock)).toBe(token);
    expect(decodeToken(token)).toEqual(clock);
  });

  it('sorts nodes whatever the insertion order', () => {
    const clock = new Map([
      [0x1111111111111111n, 7n],
      [4n, 42n],
    ]);
    expect(encodeToken(clock)).toBe(VECTORS[1]![1]);
  });

  it('round-trips any u64 clock', () => {
    const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    fc.assert(
      fc.property(fc.array(fc.tuple(u64, u64), { maxLength: 5 }), (pairs) => {
        const clock = new Map(pairs);
        expect(decodeToken(encodeToken(clock))).toEqual(clock);
      }),
    );
  });

  it.each([
    ['a forged time (checksum mismatch)', encodeToken(new Map([[4n, 42n]])).replace(/q$/, 'r')],
    ['padding', 'AAAAAAAAAAA='],
    ['the standard alphabet', 'ERERERERETgAAAAAAAAABAAAAAAAAAAqEREREREREREAAAAAAAAABw'.replace('q', '+')],
    ['too short', 'AAAA'],
    ['a length not 8 + 16n', Buffer.alloc(16).toString('base64url')],
    ['the empty string', ''],
    ['junk', 'not a token!'],
    ['non-canonical trailing bits', 'AAAAAAAAAAB'],
  ])('rejects %s with a CausalityToken error', (_what, token) => {
    expect(codeOf(() => decodeToken(token))).toBe('CausalityToken');
  });

  it('names a node by the first 8 bytes of its id', () => {
    expect(k2vNodeId('0102030405060708' + '00'.repeat(24))).toBe(0x0102030405060708n);
  });
});
