import { describe, expect, it } from 'vitest';
import { canonicalAddress, requireAddress, splitDetail } from '../../../../mail/user/address.js';
import { AccountError } from '../../../../mail/user/errors.js';

describe('addresses', () => {
  it('are canonical in lower case, local part included', () => {
    expect(canonicalAddress(' Alice.Smith@Example.ORG ')).toBe('alice.smith@example.org');
    expect(canonicalAddress('Élodie@example.org')).toBe('élodie@example.org');
  });

  it('reject what is not local@domain', () => {
    for (const bad of ['', 'alice', '@example.org', 'alice@', 'a b@example.org', 'alice@exa mple.org', 'alice@-example.org', 'a<b>@x.org', `${'a'.repeat(65)}@x.org`]) {
      expect(canonicalAddress(bad)).toBeUndefined();
    }
    expect(() => requireAddress('nope')).toThrow(AccountError);
  });

  it('split user+detail@domain into the base address and the detail', () => {
    expect(splitDetail('alice+lists@example.org')).toEqual({ base: 'alice@example.org', detail: 'lists' });
    expect(splitDetail('alice+a+b@example.org')).toEqual({ base: 'alice@example.org', detail: 'a+b' });
    expect(splitDetail('alice+@example.org')).toEqual({ base: 'alice@example.org', detail: '' });
    expect(splitDetail('alice@example.org')).toBeUndefined();
    expect(splitDetail('+x@example.org')).toBeUndefined();
  });
});
