import { describe, expect, it } from 'vitest';
import { imapBodyOctets } from '../../../../../mail/imap/format/octets.js';

describe('imapBodyOctets', () => {
  it('turns bare LF into CRLF and NUL into 0x80, keeping CRLF and sizes of the rest', () => {
    expect(imapBodyOctets(Buffer.from('a\nb\r\nc\n\n')).toString('latin1')).toBe('a\r\nb\r\nc\r\n\r\n');
    expect(imapBodyOctets(Buffer.from([0x61, 0x00, 0x0a]))).toEqual(Buffer.from([0x61, 0x80, 0x0d, 0x0a]));
  });

  it('returns the input itself when nothing needs changing', () => {
    const b = Buffer.from('x\r\ny');
    expect(imapBodyOctets(b)).toBe(b);
  });

  it('leaves the input untouched', () => {
    const b = Buffer.from([0x00, 0x0a]);
    imapBodyOctets(b);
    expect(b).toEqual(Buffer.from([0x00, 0x0a]));
  });
});
