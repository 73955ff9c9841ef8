/**
 * The whole program as a user runs it: `aerogramme server`, an account made with the
 * CLI, a message delivered over LMTP by swaks, read back over IMAP by imapflow, and
 * nothing of it readable in the data directories.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startServer, type TestServer } from '../helpers/server.js';
import { requireTool, run } from '../helpers/tools.js';
import '../helpers/vitest.js';

const hasSwaks = requireTool('swaks', 'swaks');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function hostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i), port: Number(addr.slice(i + 1)) };
}

describe.skipIf(!hasSwaks)('aerogramme server: LMTP in, IMAP out', () => {
  let server: TestServer;
  const password = 'correct horse battery staple';
  const marker = `marker-${Date.now()}-a1b2c3`;

  beforeAll(async () => {
    server = await startServer();
    const created = await run(
      process.execPath,
      [join(repoRoot(), 'bin', 'aerogramme.js'), 'account', 'create', 'alice', '--address', 'alice@example.test', '--users', join(server.dir, 'users.toml')],
      { input: `${password}\n` },
    );
    expect(created.code, created.stderr).toBe(0);
  });
  afterAll(() => server.stop());

  it('delivers with swaks and reads the message back with imapflow', async () => {
    const lmtp = hostPort(server.addresses['lmtp']!);
    const sent = await run('swaks', [
      '--protocol', 'LMTP', '--server', lmtp.host, '--port', String(lmtp.port),
      '--from', 'bob@example.test', '--to', 'Alice@Example.test',
      '--header', 'Subject: hello from swaks', '--body', `the secret word is ${marker}`,
    ]);
    expect(sent.code, sent.stdout + sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/^<-\s+250 2\.6\.0 <Alice@Example\.test> saved/m);

    const imap = hostPort(server.addresses['imap']!);
    const client = new ImapFlow({ host: imap.host, port: imap.port, secure: false, auth: { user: 'alice', pass: password }, logger: false });
    await client.connect();
    try {
      const lock = await client.getMailboxLock('INBOX');
      try {
        const messages = [];
        for await (const m of client.fetch('1:*', { envelope: true, source: true })) messages.push(m);
        expect(messages).toHaveLength(1);
        expect(messages[0]!.envelope?.subject).toBe('hello from swaks');
        const source = messages[0]!.source!.toString();
        expect(source).toContain(marker);
        expect(source).toMatch(/^Return-Path: <bob@example\.test>/m);
        expect(source).toMatch(/^Delivered-To: /m);
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  });

  it('keeps delivered mail unreadable at rest', () => {
    const leaked = filesUnder(server.dir).filter((f) => !f.endsWith('users.toml') && readFileSync(f).includes(marker));
    expect(leaked).toEqual([]);
  });
});
