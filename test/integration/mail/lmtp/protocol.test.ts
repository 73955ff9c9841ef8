/**
 * The LMTP server at the protocol level (exact lines sent, exact replies checked) over
 * an in-process node and real accounts: LHLO's extensions, recipients (addresses,
 * aliases, case, +detail, unknown, repeated), one reply per recipient in order after
 * DATA, the stored bytes, pipelining, size limit, malformed input, a storage failure
 * for one recipient alone, 250 only once stored, the limits, and shutdown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserStorage } from '../../../../mail/store/index.js';
import { DEFAULT_ACCOUNTS, expectedDelivery, HOSTNAME, startLmtpTestbed, type LmtpTestbed } from './harness.js';
import { dataOf, lines, RawLmtp } from './raw-client.js';

const message = (subject: string, body = 'Hello.'): Buffer =>
  lines('From: Sender <s@x.test>', 'To: alice@example.org', `Subject: ${subject}`, 'Message-ID: <1@x.test>', '', body);

/** A transaction whose replies are all read: the RCPT replies, then (if any was accepted) the DATA replies. */
async function transaction(c: RawLmtp, from: string, rcpts: string[], msg: Buffer): Promise<{ rcpt: string[]; data: string[] }> {
  expect(await c.command(`MAIL FROM:<${from}>`)).toBe('250 2.1.0 Accepted');
  const rcpt: string[] = [];
  for (const r of rcpts) rcpt.push(await c.command(`RCPT TO:<${r}>`));
  const accepted = rcpt.filter((r) => r.startsWith('250')).length;
  if (accepted === 0) return { rcpt, data: [] };
  expect(await c.command('DATA')).toBe('354 End data with <CR><LF>.<CR><LF>');
  c.write(dataOf(msg));
  const data: string[] = [];
  for (let i = 0; i < accepted; i++) data.push((await c.reply()).lines.join('\n'));
  return { rcpt, data };
}

async function lhlo(port: number): Promise<RawLmtp> {
  const c = await RawLmtp.greeted(port);
  expect((await c.command('LHLO client.test')).startsWith('250')).toBe(true);
  return c;
}

/** Storage whose writes wait for release(); `active` counts the deliveries being stored. */
function heldStorage(storage: UserStorage): { storage: UserStorage; release(): void; active: () => number; peak: () => number; started: () => number } {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let active = 0;
  let peak = 0;
  let started = 0;
  return {
    storage: {
      k2v: storage.k2v,
      blobs: {
        ...storage.blobs,
        get: (...a) => storage.blobs.get(...a),
        copy: (...a) => storage.blobs.copy(...a),
        list: (...a) => storage.blobs.list(...a),
        delete: (...a) => storage.blobs.delete(...a),
        put: async (...a) => {
          started++;
          peak = Math.max(peak, ++active);
          await gate;
          try {
            return await storage.blobs.put(...a);
          } finally {
            active--;
          }
        },
      },
    },
    release: () => open(),
    active: () => active,
    peak: () => peak,
    started: () => started,
  };
}

describe('LMTP protocol', () => {
  let tb: LmtpTestbed;
  beforeAll(async () => {
    tb = await startLmtpTestbed({
      accounts: [...DEFAULT_ACCOUNTS, { name: 'jorg', addresses: ['jörg@example.org'] }, { name: 'dora', addresses: ['dora@xn--bcher-kva.example'] }],
      lmtp: { maxMessageBytes: 4096 },
      // Bob's storage is broken.
      wrapStorage: (s, r) =>
        r.username === 'bob'
          ? { ...s, blobs: { ...s.blobs, get: (...a) => s.blobs.get(...a), copy: (...a) => s.blobs.copy(...a), list: (...a) => s.blobs.list(...a), delete: (...a) => s.blobs.delete(...a), put: () => Promise.reject(new Error('disk on fire')) } }
          : s,
    });
  });
  afterAll(async () => tb?.close());

  it('greets, and LHLO advertises PIPELINING, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES and SIZE, nothing else', async () => {
    const c = await RawLmtp.open(tb.port);
    expect((await c.reply()).lines).toEqual([`220 ${HOSTNAME} LMTP Aerogramme ready`]);
    c.write('LHLO client.test\r\n');
    const reply = await c.reply();
    expect(reply.lines.slice(1)).toEqual(['250-PIPELINING', '250-8BITMIME', '250-SMTPUTF8', '250-ENHANCEDSTATUSCODES', '250 SIZE 4096']);
    expect(await c.command('HELO client.test')).toMatch(/^500 /);
    expect(await c.command('EHLO client.test')).toMatch(/^500 /);
    expect(await c.command('QUIT')).toBe('221 2.0.0 Bye');
    c.close();
  });

  it('accepts addresses and aliases in any case and with a +detail, refuses unknown ones at RCPT with 550 5.1.1', async () => {
    const c = await lhlo(tb.port);
    expect(await c.command('MAIL FROM:<s@x.test>')).toBe('250 2.1.0 Accepted');
    expect(await c.command('RCPT TO:<nobody@example.org>')).toBe('550 5.1.1 <nobody@example.org> no such user here');
    expect(await c.command('RCPT TO:<alice@example.com>')).toBe('550 5.1.1 <alice@example.com> no such user here');
    expect(await c.command('RCPT TO:<ALICE@Example.ORG>')).toBe('250 2.1.5 Accepted');
    expect(await c.command('RCPT TO:<alice+lists@example.org>')).toBe('250 2.1.5 Accepted');
    expect(await c.command('RCPT TO:<postmaster@example.org>')).toBe('250 2.1.5 Accepted');
    // A second RCPT of the same address would leave the client a reply short after DATA.
    expect(await c.command('RCPT TO:<Alice@example.org>')).toBe('451 4.3.0 <Alice@example.org> is already a recipient of this message, send it again separately');
    expect(await c.command('RCPT TO:<carol@EXAMPLE.NET>')).toBe('250 2.1.5 Accepted');
    expect(await c.command('RSET')).toBe('250 2.0.0 Flushed');
    c.close();
  });

  it('stores the message once per recipient with its own trace, and replies per recipient in RCPT order', async () => {
    const msg = message('per recipient');
    const before = (await tb.inbox('alice')).length;
    const c = await lhlo(tb.port);
    const r = await transaction(c, 's@x.test', ['ALICE@example.org', 'nobody@example.org', 'carol@example.net', 'alice+lists@example.org'], msg);
    expect(r.rcpt).toEqual(['250 2.1.5 Accepted', '550 5.1.1 <nobody@example.org> no such user here', '250 2.1.5 Accepted', '250 2.1.5 Accepted']);
    expect(r.data).toEqual(['250 2.6.0 <ALICE@example.org> saved', '250 2.6.0 <carol@example.net> saved', '250 2.6.0 <alice+lists@example.org> saved']);
    c.close();
    const alice = (await tb.inbox('alice')).slice(before);
    expect(alice).toHaveLength(2);
    const byRcpt = new Map(alice.map((m) => [/Delivered-To: (\S+)/.exec(m.raw.toString())![1], m.raw]));
    for (const rcpt of ['ALICE@example.org', 'alice+lists@example.org']) {
      const stored = byRcpt.get(rcpt)!;
      expect(stored.toString()).toBe(expectedDelivery(stored, { sender: 's@x.test', recipient: rcpt, helo: 'client.test' }, msg).toString());
    }
    const [carol] = (await tb.inbox('carol')).slice(-1);
    expect(carol!.raw.toString()).toBe(expectedDelivery(carol!.raw, { sender: 's@x.test', recipient: 'carol@example.net', helo: 'client.test' }, msg).toString());
  });

  it('writes Return-Path <> for the null sender', async () => {
    const c = await lhlo(tb.port);
    const msg = message('bounce');
    expect((await transaction(c, '', ['carol@example.net'], msg)).data).toEqual(['250 2.6.0 <carol@example.net> saved']);
    c.close();
    const [stored] = (await tb.inbox('carol')).slice(-1);
    expect(stored!.raw.toString()).toBe(expectedDelivery(stored!.raw, { sender: '', recipient: 'carol@example.net', helo: 'client.test' }, msg).toString());
  });

  it('answers a pipelined transaction in order', async () => {
    const c = await RawLmtp.greeted(tb.port);
    c.write('LHLO client.test\r\nMAIL FROM:<s@x.test>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<nobody@example.org>\r\nRCPT TO:<carol@example.net>\r\nDATA\r\n');
    const replies: string[] = [];
    for (let i = 0; i < 6; i++) replies.push((await c.reply()).lines.at(-1)!);
    expect(replies).toEqual([
      '250 SIZE 4096',
      '250 2.1.0 Accepted',
      '250 2.1.5 Accepted',
      '550 5.1.1 <nobody@example.org> no such user here',
      '250 2.1.5 Accepted',
      '354 End data with <CR><LF>.<CR><LF>',
    ]);
    c.write(Buffer.concat([dataOf(message('pipelined')), Buffer.from('QUIT\r\n')]));
    expect([(await c.reply()).lines, (await c.reply()).lines, (await c.reply()).lines]).toEqual([
      ['250 2.6.0 <alice@example.org> saved'],
      ['250 2.6.0 <carol@example.net> saved'],
      ['221 2.0.0 Bye'],
    ]);
    c.close();
  });

  it('unstuffs dots whatever the TCP segmentation: messages that begin or end with a dot line, lines of dots', async () => {
    const cases = [
      lines('.', 'begins with a single dot line'),
      lines('.begins with a dot', '', 'body'),
      lines('Subject: dots', '', 'before', '.', 'after', '..', '...', '.x', '..y', 'ends with a dot line', '.'),
      lines('..'),
      lines('.'),
      Buffer.from('no final line break.'),
      Buffer.alloc(0),
    ];
    for (const whole of [true, false]) {
      for (const msg of cases) {
        const c = await lhlo(tb.port);
        await c.command('MAIL FROM:<s@x.test>');
        await c.command('RCPT TO:<carol@example.net>');
        await c.command('DATA');
        // An unterminated last line gets its CRLF on the wire (RFC 5321 §4.1.1.4).
        const sent = msg.length === 0 || msg.toString().endsWith('\r\n') ? msg : Buffer.concat([msg, Buffer.from('\r\n')]);
        const wire = dataOf(sent);
        if (whole) c.write(wire);
        else for (const byte of wire) {
          c.write(Buffer.from([byte]));
          await new Promise((r) => setImmediate(r));
        }
        expect((await c.reply()).lines).toEqual(['250 2.6.0 <carol@example.net> saved']);
        c.close();
        const [stored] = (await tb.inbox('carol')).slice(-1);
        expect(stored!.raw.toString()).toBe(expectedDelivery(stored!.raw, { sender: 's@x.test', recipient: 'carol@example.net', helo: 'client.test' }, sent).toString());
      }
    }
  });

  it('takes SMTPUTF8 and BODY=8BITMIME, and names the protocol UTF8LMTP under SMTPUTF8', async () => {
    const c = await lhlo(tb.port);
    expect(await c.command('MAIL FROM:<müller@absender.example> BODY=8BITMIME SMTPUTF8')).toBe('250 2.1.0 Accepted');
    expect(await c.command('RCPT TO:<Jörg@example.org>')).toBe('250 2.1.5 Accepted');
    expect(await c.command('DATA')).toMatch(/^354 /);
    const msg = Buffer.from('From: Müller <müller@absender.example>\r\nSubject: Grüße\r\n\r\nÄÖÜ \xff\r\n', 'utf8');
    c.write(dataOf(msg));
    expect((await c.reply()).lines).toEqual(['250 2.6.0 <Jörg@example.org> saved']);
    c.close();
    const [stored] = (await tb.inbox('jorg')).slice(-1);
    expect(stored!.raw.equals(expectedDelivery(stored!.raw, { sender: 'müller@absender.example', recipient: 'Jörg@example.org', helo: 'client.test', utf8: true }, msg))).toBe(true);
    expect(stored!.raw.toString('utf8')).toContain('\tby lmtp.test with UTF8LMTP\r\n');
  });

  it('finds IDN domains in either form, and keeps the trace in ASCII without SMTPUTF8', async () => {
    const c = await lhlo(tb.port);
    const msg = message('idn');
    // smtp-server hands the domain over in Unicode; the account is registered with its punycode.
    expect((await transaction(c, 's@xn--bcher-kva.example', ['dora@xn--bcher-kva.example'], msg)).data).toEqual(['250 2.6.0 <dora@bücher.example> saved']);
    expect(await c.command('MAIL FROM:<s@x.test> SMTPUTF8')).toBe('250 2.1.0 Accepted');
    expect(await c.command('RCPT TO:<dora@Bücher.example>')).toBe('250 2.1.5 Accepted');
    expect(await c.command('RSET')).toBe('250 2.0.0 Flushed');
    c.close();
    const [stored] = (await tb.inbox('dora')).slice(-1);
    expect(stored!.raw.toString()).toBe(expectedDelivery(stored!.raw, { sender: 's@xn--bcher-kva.example', recipient: 'dora@xn--bcher-kva.example', helo: 'client.test' }, msg).toString());
  });

  it('refuses an oversized message with 552 5.3.4 per recipient, stores nothing, and the connection goes on', async () => {
    const before = { alice: (await tb.inbox('alice')).length, carol: (await tb.inbox('carol')).length };
    const c = await lhlo(tb.port);
    expect(await c.command('MAIL FROM:<s@x.test> SIZE=5000')).toBe('552 5.3.4 Error: message exceeds fixed maximum message size 4096');
    const big = message('big', 'x'.repeat(5000));
    const r = await transaction(c, 's@x.test', ['alice@example.org', 'carol@example.net'], big);
    expect(r.data).toEqual(['552 5.3.4 Error: message exceeds fixed maximum message size 4096', '552 5.3.4 Error: message exceeds fixed maximum message size 4096']);
    expect((await transaction(c, 's@x.test', ['alice@example.org'], message('small after big'))).data).toEqual(['250 2.6.0 <alice@example.org> saved']);
    c.close();
    expect((await tb.inbox('alice')).length).toBe(before.alice + 1);
    expect((await tb.inbox('carol')).length).toBe(before.carol);
  });

  it('answers malformed input with 5xx and stays usable', async () => {
    const c = await RawLmtp.greeted(tb.port);
    expect(await c.command('MAIL FROM:<s@x.test>')).toBe('503 5.5.1 Error: send LHLO first');
    expect((await c.command('LHLO client.test')).startsWith('250')).toBe(true);
    expect(await c.command('BDAT 10 LAST')).toBe('500 5.5.2 Error: command not recognized');
    expect(await c.command('FROBNICATE')).toBe('500 5.5.2 Error: command not recognized');
    expect(await c.command('RCPT TO:<alice@example.org>')).toBe('503 5.5.1 Error: need MAIL command');
    expect(await c.command('DATA')).toBe('503 5.5.1 Error: need RCPT command');
    expect(await c.command('MAIL FROM:<not an address')).toMatch(/^501 5\.1\.7 /);
    expect(await c.command('MAIL FROM:<s@x.test> BODY=9BIT')).toMatch(/^501 /);
    expect(await c.command('MAIL FROM:<s@x.test>')).toBe('250 2.1.0 Accepted');
    expect(await c.command('MAIL FROM:<s@x.test>')).toBe('503 5.5.1 Error: nested MAIL command');
    expect(await c.command('RCPT TO:<>')).toMatch(/^501 /);
    expect(await c.command('RCPT TO:alice')).toMatch(/^501 /);
    expect(await c.command('RSET')).toBe('250 2.0.0 Flushed');
    expect((await transaction(c, 's@x.test', ['alice@example.org'], message('after garbage'))).data).toEqual(['250 2.6.0 <alice@example.org> saved']);
    c.close();
  });

  it('answers 451 4.3.0 for the recipient whose storage fails, 250 for the others', async () => {
    const before = { alice: (await tb.inbox('alice')).length, carol: (await tb.inbox('carol')).length };
    const c = await lhlo(tb.port);
    const r = await transaction(c, 's@x.test', ['alice@example.org', 'bob@example.org', 'carol@example.net'], message('storage failure'));
    expect(r.data).toEqual(['250 2.6.0 <alice@example.org> saved', '451 4.3.0 <bob@example.org> could not be stored, try again later', '250 2.6.0 <carol@example.net> saved']);
    expect((await transaction(c, 's@x.test', ['alice@example.org'], message('next'))).data).toEqual(['250 2.6.0 <alice@example.org> saved']);
    c.close();
    expect((await tb.inbox('alice')).length).toBe(before.alice + 2);
    expect((await tb.inbox('carol')).length).toBe(before.carol + 1);
    expect(await tb.queued('bob')).toBe(0);
  });

  it('stores nothing when the client leaves in the middle of DATA', async () => {
    const before = await tb.queued('carol');
    const c = await lhlo(tb.port);
    await c.command('MAIL FROM:<s@x.test>');
    await c.command('RCPT TO:<carol@example.net>');
    await c.command('DATA');
    c.write('Subject: cut\r\n\r\nhalf a messa');
    await new Promise((r) => setTimeout(r, 100));
    c.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(await tb.queued('carol')).toBe(before);
  });
});

describe('LMTP durability and limits', () => {
  it('answers 250 only once the message is stored', async () => {
    let held!: ReturnType<typeof heldStorage>;
    const tb = await startLmtpTestbed({ accounts: [{ name: 'alice', addresses: ['alice@example.org'] }], wrapStorage: (s) => (held ??= heldStorage(s)).storage });
    try {
      const c = await lhlo(tb.port);
      await c.command('MAIL FROM:<s@x.test>');
      await c.command('RCPT TO:<alice@example.org>');
      await c.command('DATA');
      c.write(dataOf(message('held')));
      while (held?.started() !== 1) await new Promise((r) => setTimeout(r, 5));
      expect(await c.silentFor(300)).toBe(true);
      expect(await tb.queued('alice')).toBe(0);
      held.release();
      expect((await c.reply()).lines).toEqual(['250 2.6.0 <alice@example.org> saved']);
      expect(await tb.queued('alice')).toBe(1);
      c.close();
    } finally {
      held?.release();
      await tb.close();
    }
  });

  it('limits recipients per transaction (452 4.5.3), connections (421), and deliveries stored at once', async () => {
    let held!: ReturnType<typeof heldStorage>;
    const tb = await startLmtpTestbed({
      accounts: [{ name: 'alice', addresses: ['alice@example.org', 'a2@example.org', 'a3@example.org'] }],
      lmtp: { limits: { maxRecipients: 2, maxConnections: 3, maxConcurrentDeliveries: 2 } },
      wrapStorage: (s) => (held ??= heldStorage(s)).storage,
    });
    try {
      const c = await lhlo(tb.port);
      await c.command('MAIL FROM:<s@x.test>');
      expect(await c.command('RCPT TO:<alice@example.org>')).toBe('250 2.1.5 Accepted');
      expect(await c.command('RCPT TO:<a2@example.org>')).toBe('250 2.1.5 Accepted');
      expect(await c.command('RCPT TO:<a3@example.org>')).toBe('452 4.5.3 Error: too many recipients');
      await c.command('RSET');
      // Three connections deliver 2 recipients each (6 deliveries); 2 are stored at once.
      const conns = [c, await lhlo(tb.port), await lhlo(tb.port)];
      const over = await RawLmtp.open(tb.port);
      expect((await over.reply()).lines[0]).toMatch(/^421 .*too many connections/);
      await over.waitClosed();
      const done = conns.map((k) => transaction(k, 's@x.test', ['alice@example.org', 'a2@example.org'], message('concurrent')));
      while ((held?.started() ?? 0) < 2) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 200));
      expect(held.started()).toBe(2);
      held.release();
      for (const r of await Promise.all(done)) expect(r.data).toEqual(['250 2.6.0 <alice@example.org> saved', '250 2.6.0 <a2@example.org> saved']);
      expect(held.peak()).toBe(2);
      expect(await tb.queued('alice')).toBe(6);
      for (const k of conns) k.close();
    } finally {
      held?.release();
      await tb.close();
    }
  });

  it('limits the bytes of messages being stored at once', async () => {
    let held!: ReturnType<typeof heldStorage>;
    const tb = await startLmtpTestbed({
      accounts: [{ name: 'alice', addresses: ['alice@example.org', 'a2@example.org'] }],
      lmtp: { limits: { maxDeliveryBytes: 1000 } },
      wrapStorage: (s) => (held ??= heldStorage(s)).storage,
    });
    try {
      const conns = [await lhlo(tb.port), await lhlo(tb.port)];
      // Each delivery is over 600 bytes (message and trace): one fits in the budget at a time.
      const done = conns.map((k) => transaction(k, 's@x.test', ['alice@example.org', 'a2@example.org'], message('bytes', 'x'.repeat(400))));
      while ((held?.started() ?? 0) < 1) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 200));
      expect(held.started()).toBe(1);
      held.release();
      for (const r of await Promise.all(done)) expect(r.data).toEqual(['250 2.6.0 <alice@example.org> saved', '250 2.6.0 <a2@example.org> saved']);
      expect(held.peak()).toBe(1);
      for (const k of conns) k.close();
    } finally {
      held?.release();
      await tb.close();
    }
  });

  it('closes an idle connection with 421', async () => {
    const tb = await startLmtpTestbed({ accounts: [{ name: 'alice', addresses: ['alice@example.org'] }], lmtp: { limits: { idleTimeoutMs: 300 } } });
    try {
      const c = await lhlo(tb.port);
      expect((await c.reply(5_000)).lines[0]).toMatch(/^421 4\.4\.2 .*[Tt]imeout/);
      await c.waitClosed();
    } finally {
      await tb.close();
    }
  });

  it('on close, finishes the transaction under way, refuses new ones, then hangs up', async () => {
    let held!: ReturnType<typeof heldStorage>;
    const tb = await startLmtpTestbed({ accounts: [{ name: 'alice', addresses: ['alice@example.org'] }], wrapStorage: (s) => (held ??= heldStorage(s)).storage });
    let closed: Promise<void> | undefined;
    try {
      const busy = await lhlo(tb.port);
      const idle = await lhlo(tb.port);
      await busy.command('MAIL FROM:<s@x.test>');
      await busy.command('RCPT TO:<alice@example.org>');
      await busy.command('DATA');
      busy.write(dataOf(message('during shutdown')));
      while (held?.started() !== 1) await new Promise((r) => setTimeout(r, 5));
      closed = tb.server.close();
      expect(await idle.command('MAIL FROM:<s@x.test>')).toMatch(/^421 4\.4\.2 lmtp\.test shutting down/);
      held.release();
      expect((await busy.reply()).lines).toEqual(['250 2.6.0 <alice@example.org> saved']);
      expect((await busy.reply()).lines[0]).toMatch(/^421 /);
      await Promise.all([busy.waitClosed(), idle.waitClosed(), closed]);
      expect(await tb.queued('alice')).toBe(1);
    } finally {
      held?.release();
      await closed;
      await tb.close();
    }
  });
});

describe('LMTP over the HTTP storage port', () => {
  it('stores the same bytes through S3 + K2V over HTTP', async () => {
    const tb = await startLmtpTestbed({ port: 'http', accounts: [{ name: 'alice', addresses: ['alice@example.org'] }] });
    try {
      const msg = message('over http');
      const c = await lhlo(tb.port);
      expect((await transaction(c, 's@x.test', ['alice@example.org'], msg)).data).toEqual(['250 2.6.0 <alice@example.org> saved']);
      c.close();
      const [stored] = await tb.inbox('alice');
      expect(stored!.raw.toString()).toBe(expectedDelivery(stored!.raw, { sender: 's@x.test', recipient: 'alice@example.org', helo: 'client.test' }, msg).toString());
    } finally {
      await tb.close();
    }
  });
});
