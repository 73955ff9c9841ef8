/**
 * `aerogramme deliver` (registered on a fresh commander program, run in-process with a
 * message on a fake standard input) against an LMTP testbed: the message is stored
 * with CRLF line endings and the trace, and every outcome maps to its sysexits code.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EX_NOUSER, EX_OK, EX_TEMPFAIL, EX_UNAVAILABLE, EX_USAGE, registerDeliver } from '../../../../cli/commands/deliver.js';
import { tempDir } from '../../../helpers/tools.js';
import { expectedDelivery, startLmtpTestbed, type LmtpTestbed } from './harness.js';

const failing = <T extends object>(o: T, method: keyof T): T => new Proxy(o, { get: (t, p) => (p === method ? () => Promise.reject(new Error('disk on fire')) : Reflect.get(t, p, t)) });

describe('aerogramme deliver', () => {
  let tb: LmtpTestbed;
  beforeAll(async () => {
    tb = await startLmtpTestbed({
      lmtp: { maxMessageBytes: 2048 },
      wrapStorage: (s, r) => (r.username === 'bob' ? { k2v: s.k2v, blobs: failing(s.blobs, 'put') } : s),
    });
  });
  afterAll(async () => tb?.close());

  async function deliver(args: string[], message: Buffer | string = 'Subject: hi\n\nhello\n'): Promise<{ code: number | undefined; errors: string[] }> {
    let code: number | undefined;
    const errors: string[] = [];
    const program = new Command().exitOverride();
    registerDeliver(program, { stdin: Readable.from([Buffer.from(message)]), error: (t) => errors.push(t), exit: (c) => (code = c) });
    await program.parseAsync(['deliver', '--lmtp', `127.0.0.1:${tb.port}`, ...args], { from: 'user' });
    return { code, errors };
  }

  it('delivers a message piped with bare LF line endings: stored with CRLF and the trace', async () => {
    const r = await deliver(['-f', 'sender@x.test', 'alice@example.org'], 'Subject: piped\n\n.dot line\nlast line without newline');
    expect(r).toEqual({ code: EX_OK, errors: [] });
    const [stored] = (await tb.inbox('alice')).slice(-1);
    const sent = Buffer.from('Subject: piped\r\n\r\n.dot line\r\nlast line without newline\r\n');
    expect(stored!.raw.toString()).toBe(expectedDelivery(stored!.raw, { sender: 'sender@x.test', recipient: 'alice@example.org', helo: stored!.raw.toString().match(/Received: from (\S+)/)![1]! }, sent).toString());
  });

  it("takes off an mbox envelope line and uses its sender (what Postfix's local(8) pipes)", async () => {
    expect(await deliver(['alice@example.org'], 'From bounce@x.test  Tue Jan  2 10:00:00 2024\nSubject: from line\n\nhi\n')).toEqual({ code: EX_OK, errors: [] });
    const [stored] = (await tb.inbox('alice')).slice(-1);
    expect(stored!.raw.toString()).toMatch(/^Return-Path: <bounce@x\.test>\r\n/);
    expect(stored!.raw.toString()).toMatch(/\r\nSubject: from line\r\n\r\nhi\r\n$/);
    expect(stored!.raw.toString()).not.toContain('From bounce');
  });

  it('finds the address of a user name in the users file; the null sender by default', async () => {
    expect(await deliver(['--users', tb.usersPath, 'carol'])).toEqual({ code: EX_OK, errors: [] });
    const [stored] = (await tb.inbox('carol')).slice(-1);
    expect(stored!.raw.toString()).toMatch(/^Return-Path: <>\r\nDelivered-To: carol@example.net\r\n/);
  });

  it("takes the listener and the users file from the server's configuration", async () => {
    const dir = tempDir('aero-deliver-config-');
    try {
      const config = join(dir.path, 'config.toml');
      writeFileSync(config, `metadata_dir = "meta"\n[mail]\nusers_file = "${tb.usersPath}"\n[lmtp]\nbind_addr = "127.0.0.1:${tb.port}"\n`);
      const program = new Command().exitOverride();
      let code: number | undefined;
      registerDeliver(program, { stdin: Readable.from([Buffer.from('Subject: configured\n\nhi\n')]), error: () => undefined, exit: (c) => (code = c) });
      const before = await tb.queued('carol');
      await program.parseAsync(['deliver', '-c', config, 'carol'], { from: 'user' });
      expect(code).toBe(EX_OK);
      expect(await tb.queued('carol')).toBe(before + 1);
    } finally {
      dir.remove();
    }
  });

  it('exits 67 for an unknown user or address', async () => {
    expect((await deliver(['nobody@example.org'])).code).toBe(EX_NOUSER);
    const r = await deliver(['--users', tb.usersPath, 'nobody']);
    expect(r.code).toBe(EX_NOUSER);
    expect(r.errors).toEqual(['nobody: no such user (or the user has no address)']);
  });

  it('exits 75 when the server is down, storage fails, or the users file is unreadable', async () => {
    const down = new Command().exitOverride();
    let code: number | undefined;
    const errors: string[] = [];
    registerDeliver(down, { stdin: Readable.from([Buffer.from('x\n')]), error: (t) => errors.push(t), exit: (c) => (code = c) });
    await down.parseAsync(['deliver', '--lmtp', '127.0.0.1:1', 'alice@example.org'], { from: 'user' });
    expect(code).toBe(EX_TEMPFAIL);
    expect(errors[0]).toMatch(/cannot connect to the LMTP server at 127\.0\.0\.1:1/);

    const r = await deliver(['bob@example.org']);
    expect(r).toEqual({ code: EX_TEMPFAIL, errors: ['bob@example.org: 451 4.3.0 <bob@example.org> could not be stored, try again later'] });
    expect((await deliver(['--users', '/nonexistent/users.toml', 'alice'])).code).toBe(EX_TEMPFAIL);
  });

  it('exits 69 for a message over the size limit, 64 for a bad --lmtp', async () => {
    const r = await deliver(['alice@example.org'], `Subject: big\n\n${'x'.repeat(3000)}\n`);
    expect(r.code).toBe(EX_UNAVAILABLE);
    expect(r.errors[0]).toMatch(/552 5\.3\.4/);
    expect((await deliver(['--lmtp', 'nowhere', 'alice@example.org'])).code).toBe(EX_USAGE);
  });
});
