import { describe, expect, it } from 'vitest';
import { parseAddresses } from '../../../../../mail/mailbox/summary/address.js';
import type { Address } from '../../../../../mail/mailbox/summary/types.js';

const parse = (s: string): Address[] | null => parseAddresses(Buffer.from(s, 'latin1'));
const a = (name: string | null, mailbox: string | null, domain: string | null, route: string | null = null): Address => ({ name, route, mailbox, domain });

describe('parseAddresses', () => {
  it('reads name-addr and addr-spec forms', () => {
    expect(parse('"Joe Q. Public" <joe@example.com>, jane@example.org')).toEqual([
      a('Joe Q. Public', 'joe', 'example.com'),
      a(null, 'jane', 'example.org'),
    ]);
  });

  it('has no addresses for an empty or blank value', () => {
    expect(parse('')).toBeNull();
    expect(parse('  \r\n ')).toBeNull();
  });

  it('takes the last comment as the display name of a bare address', () => {
    expect(parse('(first) bob@example.com (Bob (the) Builder)')).toEqual([a('Bob (the) Builder', 'bob', 'example.com')]);
  });

  it('marks groups with start and end entries', () => {
    expect(parse('Team: a@x, "B" <b@y>;, Empty:;')).toEqual([
      a(null, 'Team', null),
      a(null, 'a', 'x'),
      a('B', 'b', 'y'),
      a(null, null, null),
      a(null, 'Empty', null),
      a(null, null, null),
    ]);
  });

  it('keeps quoted local parts unescaped and obsolete routes', () => {
    expect(parse('"a\\"b c"@x, <@r1,@r2:u@d>')).toEqual([a(null, 'a"b c', 'x'), a(null, 'u', 'd', '@r1,@r2')]);
  });

  it('tolerates dots anywhere in the local part', () => {
    expect(parse('.a@x, b.@x, c..d@x')).toEqual([a(null, '.a', 'x'), a(null, 'b.', 'x'), a(null, 'c..d', 'x')]);
  });

  it('fills what is missing with placeholders, never giving up on the list', () => {
    expect(parse('@nolocal, lone, Just A Name, broken <x, <@bad user@d>')).toEqual([
      a(null, 'MISSING_MAILBOX', 'nolocal'),
      a(null, 'lone', 'MISSING_DOMAIN'),
      a('Just A Name', 'MISSING_MAILBOX', 'MISSING_DOMAIN'),
      a('broken', 'x', 'SYNTAX_ERROR'),
      a(null, 'user', 'd', 'INVALID_ROUTE'),
    ]);
  });

  it('keeps domain literals', () => {
    expect(parse('u@[192.0.2.1]')).toEqual([a(null, 'u', '[192.0.2.1]')]);
  });

  it('parses 100,000 addresses in linear time', () => {
    const value = Array.from({ length: 100_000 }, (_, i) => `"N ${i}" <u${i}@example.com>`).join(', ');
    const t = Date.now();
    expect(parse(value)).toHaveLength(100_000);
    expect(Date.now() - t).toBeLessThan(3_000);
  });
});
