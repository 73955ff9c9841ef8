/**
 * TLS: implicit TLS (RFC 8314) and STARTTLS with a self-signed certificate made by
 * openssl for this test; LOGINDISABLED on clear connections when cleartext is not
 * allowed; no plaintext command survives STARTTLS; COMPRESS=DEFLATE over either.
 */
import { ImapFlow } from 'imapflow';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool, runOk, tempDir } from '../../../helpers/tools.js';
import { RawClient } from './harness/raw-client.js';
import { message, startTestImap, type TestImap } from './harness/server.js';

const hasOpenssl = requireTool('openssl', 'openssl');
const tmp = tempDir('aero-imap-tls-');
let imap: TestImap;

beforeAll(async () => {
  if (!hasOpenssl) return;
  const cert = join(tmp.path, 'cert.pem');
  const key = join(tmp.path, 'key.pem');
  await runOk('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost']);
  imap = await startTestImap({ tls: { certPath: cert, keyPath: key }, tlsListen: { host: '127.0.0.1', port: 0 }, cleartextAuth: 'never' });
  imap.backend.deliver('alice', 'INBOX', message(1));
});
afterAll(async () => {
  await imap?.close();
  tmp.remove();
});

describe.skipIf(!hasOpenssl)('TLS', () => {
  it('implicit TLS: AUTH=PLAIN offered, no STARTTLS, login works', async () => {
    const c = await RawClient.connect(imap.server.tlsAddress!.port, { tls: true });
    expect(c.greeting).toContain('AUTH=PLAIN');
    expect(c.greeting).not.toContain('STARTTLS');
    expect(await c.cmd('a1 LOGIN alice "alice password"')).toMatch(/^a1 OK /);
    expect(await c.cmd('a2 STARTTLS')).toBe('a2 BAD STARTTLS: already logged in\r\n');
    c.close();
  });

  it('STARTTLS: LOGINDISABLED before, AUTH=PLAIN after; commands sent in clear with it are dropped', async () => {
    const c = await RawClient.connect(imap.port);
    expect(c.greeting).toMatch(/STARTTLS LOGINDISABLED\]/);
    expect(await c.cmd('a1 LOGIN alice "alice password"')).toMatch(/^a1 NO \[PRIVACYREQUIRED\]/);
    // An injected command right behind STARTTLS, in the same packet (CVE-2021-33515).
    c.send('a2 STARTTLS\r\na3 CAPABILITY\r\n');
    expect(await c.line()).toBe('a2 OK Begin TLS negotiation now');
    await c.startTls();
    expect(await c.cmd('a4 CAPABILITY')).toMatch(/^\* CAPABILITY [^\r]*AUTH=PLAIN\r\na4 OK/);
    expect(await c.cmd('a5 LOGIN alice "alice password"')).toMatch(/^a5 OK /);
    c.close();
  });

  it('COMPRESS=DEFLATE', async () => {
    const c = await RawClient.connect(imap.server.tlsAddress!.port, { tls: true });
    await c.cmd('a1 LOGIN alice "alice password"');
    expect(await c.cmd('a2 COMPRESS DEFLATE')).toBe('a2 OK DEFLATE active\r\n');
    c.startCompression();
    expect(await c.cmd('a3 SELECT INBOX')).toContain('a3 OK [READ-WRITE]');
    expect(await c.cmd('a4 FETCH 1 BODY.PEEK[]')).toContain(message(1).toString('latin1'));
    expect(await c.cmd('a5 COMPRESS DEFLATE')).toBe('a5 NO [COMPRESSIONACTIVE] Compression is already active\r\n');
    expect(await c.cmd('a6 CAPABILITY')).not.toContain('COMPRESS=DEFLATE');
    c.close();
  });

  it('imapflow over implicit TLS and over STARTTLS', async () => {
    for (const [port, secure] of [
      [imap.server.tlsAddress!.port, true],
      [imap.port, false],
    ] as const) {
      const client = new ImapFlow({ host: '127.0.0.1', port, secure, tls: { rejectUnauthorized: false }, auth: { user: 'alice', pass: 'alice password' }, logger: false });
      await client.connect();
      const box = await client.mailboxOpen('INBOX');
      expect(box.exists).toBe(1);
      await client.logout();
    }
  });
});
