import { describe, expect, it } from 'vitest';
import { parseDate } from '../../../../../mail/mailbox/summary/date.js';

describe('parseDate', () => {
  it('reads RFC 5322 dates with numeric zones', () => {
    expect(parseDate('Tue, 2 Jan 2024 09:30:00 +0100')).toBe(Date.UTC(2024, 0, 2, 8, 30));
    expect(parseDate('2 Jan 2024 09:30 -0230')).toBe(Date.UTC(2024, 0, 2, 12, 0));
  });

  it('reads obsolete forms: named zones, 2-digit years, comments, odd spacing', () => {
    expect(parseDate('Mon, 01 Jan 99 00:00:00 EST')).toBe(Date.UTC(1999, 0, 1, 5));
    expect(parseDate('1 Feb 04 10 : 00 : 00 GMT (Greenwich)')).toBe(Date.UTC(2004, 1, 1, 10));
    expect(parseDate('Fri,  9 Feb 2024\n\t10:00:00   +0000')).toBe(Date.UTC(2024, 1, 9, 10));
  });

  it('gives null for what is not a date', () => {
    expect(parseDate('yesterday')).toBeNull();
    expect(parseDate('32 Jan 2024 10:00:00 +0000')).toBeNull();
    expect(parseDate('1 Foo 2024 10:00:00 +0000')).toBeNull();
  });
});
