/**
 * swaks (a real SMTP/LMTP client) against our LMTP server, the stored bytes read back
 * through the mail store and compared exactly with what was sent plus our trace: one
 * and several recipients, an unknown recipient among known ones, an oversized
 * message, 8-bit content, UTF-8 addresses and headers, and dot-stuffing edge cases.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, requireTool, run, tempDir, type RunResult } from '../../../helpers/tools.js';
import { expectedDelivery, startLmtpTestbed, type LmtpTestbed } from './harness.js';

const hasSwaks = requireTool('swaks', 'swaks');
const LIMIT = 64 * 1024;
const HELO = 'swaks.test';

describe.skipIf(!hasSwaks)('swaks over LMTP', () => {
  let tb: LmtpTestbed;
  const tmp = tempDir('aero-swaks-');
  let n = 0;
  beforeAll(async () => {
    tb = await startLmtpTestbed({
      accounts: [
        { name: 'alice', addresses: ['alice@example.org'] },
        { name: 'bob', addresses: ['bob@example.org'] },
        { name: 'jorg', addresses: ['jörg@example.org'] },
      ],
      lmtp: { maxMessageBytes: LIMIT },
    });
  });
  afterAll(async () => {
    await tb?.close();
    tmp.remove();
  });

  /**
   * Sends `message` (exact bytes, CRLF) with swaks, which dot-stuffs it and ends DATA
   * with one more CRLF: `sent` is what it sent, unstuffed.
   */
  async function swaks(to: string[], message: Buffer, from = 'sender@x.test'): Promise<RunResult & { args: string[]; sent: Buffer }> {
    const file = join(tmp.path, `m${n++}.eml`);
    writeFileSync(file, message);
    const args = ['--protocol', 'LMTP', '--server', '127.0.0.1', '--port', String(tb.port), '--helo', HELO, '--from', from, '--to', to.join(','), '--data', `@${file}`];
    return { ...(await run('swaks', args, { timeoutMs: 30_000 })), args, sent: Buffer.concat([message, Buffer.from('\r\n')]) };
  }

  /** The user's newest messages. */
  const newest = async (user: string, count: number): Promise<Buffer[]> => (await tb.inbox(user)).slice(-count).map((m) => m.raw);

  const msg = (...lines: string[]): Buffer => Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'utf8');
  const basic = (subject: string, ...body: string[]): Buffer =>
    msg('From: Sender <sender@x.test>', 'To: Alice <alice@example.org>', `Subject: ${subject}`, 'Date: Tue, 02 Jan 2024 10:00:00 +0000', `Message-ID: <${subject.replace(/\W/g, '')}@x.test>`, '', ...body);

  it('delivers to one recipient: stored = trace + the bytes sent', async () => {
    const m = basic('one recipient', 'Hello Alice,', '', 'bye.');
    const r = await swaks(['alice@example.org'], m);
    expect(r.code, describeRun('swaks', r.args, r)).toBe(0);
    expect(r.stdout).toContain('<-  250 2.6.0 <alice@example.org> saved');
    const [stored] = await newest('alice', 1);
    expect(stored!.toString()).toBe(expectedDelivery(stored!, { sender: 'sender@x.test', recipient: 'alice@example.org', helo: HELO }, r.sent).toString());
  });

  it('delivers to several recipients, each with its own trace', async () => {
    const m = basic('several recipients', 'To you both.');
    const r = await swaks(['alice@example.org', 'Bob@Example.org'], m);
    expect(r.code, describeRun('swaks', r.args, r)).toBe(0);
    expect(r.stdout).toContain('<-  250 2.6.0 <alice@example.org> saved');
    expect(r.stdout).toContain('<-  250 2.6.0 <Bob@Example.org> saved');
    const [a] = await newest('alice', 1);
    const [b] = await newest('bob', 1);
    expect(a!.toString()).toBe(expectedDelivery(a!, { sender: 'sender@x.test', recipient: 'alice@example.org', helo: HELO }, r.sent).toString());
    expect(b!.toString()).toBe(expectedDelivery(b!, { sender: 'sender@x.test', recipient: 'Bob@Example.org', helo: HELO }, r.sent).toString());
  });

  it('refuses an unknown recipient at RCPT and delivers to the known ones', async () => {
    const m = basic('unknown among known', 'Hi.');
    const before = { alice: (await tb.inbox('alice')).length, bob: (await tb.inbox('bob')).length };
    const r = await swaks(['alice@example.org', 'nobody@example.org', 'bob@example.org'], m);
    expect(r.stdout, describeRun('swaks', r.args, r)).toContain('<** 550 5.1.1 <nobody@example.org> no such user here');
    expect(r.stdout).toContain('<-  250 2.6.0 <alice@example.org> saved');
    expect(r.stdout).toContain('<-  250 2.6.0 <bob@example.org> saved');
    expect((await tb.inbox('alice')).length).toBe(before.alice + 1);
    expect((await tb.inbox('bob')).length).toBe(before.bob + 1);
  });

  it('refuses an oversized message with 552 5.3.4 and stores nothing', async () => {
    const before = await tb.queued('alice');
    const r = await swaks(['alice@example.org'], basic('too big', ...Array.from({ length: 1200 }, (_, i) => `line ${i} ${'x'.repeat(60)}`)));
    expect(r.code).not.toBe(0);
    expect(r.stdout, describeRun('swaks', r.args, r)).toContain(`<** 552 5.3.4 Error: message exceeds fixed maximum message size ${LIMIT}`);
    expect(await tb.queued('alice')).toBe(before);
  });

  it('keeps 8-bit content byte for byte', async () => {
    const latin1 = Buffer.from('Caf\xe9 cr\xe8me, na\xefve\r\n', 'latin1');
    const m = Buffer.concat([
      msg('From: s@x.test', 'Subject: 8 bit', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', 'Grüße, 日本語, emoji 📨.'),
      latin1,
      Buffer.from([0x80, 0xff, 0xfe, 0x0d, 0x0a]),
    ]);
    const r = await swaks(['alice@example.org'], m);
    expect(r.code, describeRun('swaks', r.args, r)).toBe(0);
    const [stored] = await newest('alice', 1);
    expect(stored!.equals(expectedDelivery(stored!, { sender: 'sender@x.test', recipient: 'alice@example.org', helo: HELO }, r.sent))).toBe(true);
  });

  it('delivers to and from UTF-8 addresses, with UTF-8 headers', async () => {
    const m = msg('From: Jörg Müller <jörg@example.org>', 'To: Jörg <jörg@example.org>', 'Subject: Grüße aus Köln', '', 'Hallo!');
    const r = await swaks(['JÖRG@example.org'], m, 'müller@absender.example');
    expect(r.code, describeRun('swaks', r.args, r)).toBe(0);
    const [stored] = await newest('jorg', 1);
    // Without SMTPUTF8 in MAIL FROM (swaks does not send it) the protocol stays LMTP.
    expect(stored!.toString('utf8')).toBe(expectedDelivery(stored!, { sender: 'müller@absender.example', recipient: 'JÖRG@example.org', helo: HELO }, r.sent).toString('utf8'));
  });

  // swaks (20201014) does not dot-stuff the first line of DATA and takes a last line "."
  // for the end of DATA: messages that begin or end with a dot are protocol.test.ts's.
  it('dot-stuffing: a line with a single dot, lines beginning with dots', async () => {
    const cases = [
      msg('Subject: dots', '', 'before', '.', 'after'),
      msg('Subject: leading dots', '', '.hidden', '..two', '...three', '. space', '.', '..', 'end'),
    ];
    for (const m of cases) {
      const r = await swaks(['bob@example.org'], m);
      expect(r.code, describeRun('swaks', r.args, r)).toBe(0);
      const [stored] = await newest('bob', 1);
      expect(stored!.toString()).toBe(expectedDelivery(stored!, { sender: 'sender@x.test', recipient: 'bob@example.org', helo: HELO }, r.sent).toString());
    }
  });
});
