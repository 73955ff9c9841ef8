import { describe, expect, it } from 'vitest';
import { rfc5322Date, traceHeaders } from '../../../../mail/lmtp/trace.js';

describe('trace headers', () => {
  const base = { sender: 'a@x.test', recipient: 'Bob+tag@example.org', helo: 'mta.test', clientIp: '127.0.0.1', hostname: 'mx.example.org', id: 'abc123', utf8: false, date: new Date(Date.UTC(2024, 1, 29, 7, 5, 9)) };

  it("writes Return-Path, Delivered-To and Received the way Dovecot's LMTP does", () => {
    expect(traceHeaders(base).toString()).toBe(
      [
        'Return-Path: <a@x.test>',
        'Delivered-To: Bob+tag@example.org',
        'Received: from mta.test ([127.0.0.1])',
        '\tby mx.example.org with LMTP',
        '\tid abc123',
        '\t(envelope-from <a@x.test>)',
        '\tfor <Bob+tag@example.org>; Thu, 29 Feb 2024 07:05:09 +0000',
        '',
      ].join('\r\n'),
    );
  });

  it('writes <> for the null sender, an IPv6 address literal, and UTF8LMTP under SMTPUTF8', () => {
    const t = traceHeaders({ ...base, sender: '', clientIp: '::1', utf8: true, recipient: 'jörg@example.org' }).toString('utf8');
    expect(t).toContain('Return-Path: <>\r\n');
    expect(t).toContain('(envelope-from <>)');
    expect(t).toContain('Received: from mta.test ([IPv6:::1])\r\n');
    expect(t).toContain('\tby mx.example.org with UTF8LMTP\r\n');
    expect(t).toContain('Delivered-To: jörg@example.org\r\n');
  });

  it('formats dates as RFC 5322 in UTC', () => {
    expect(rfc5322Date(new Date(Date.UTC(1999, 11, 31, 23, 59, 59)))).toBe('Fri, 31 Dec 1999 23:59:59 +0000');
    expect(rfc5322Date(new Date(Date.UTC(2025, 0, 1, 0, 0, 0)))).toBe('Wed, 01 Jan 2025 00:00:00 +0000');
  });
});
