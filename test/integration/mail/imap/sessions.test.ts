/**
 * Several sessions on one mailbox: IDLE wakes on changes made elsewhere (within a
 * second), unsolicited updates only where the RFCs allow them, CONDSTORE/QRESYNC
 * resynchronisation after changes made while a client was away, connection limits
 * and shutdown.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from './harness/raw-client.js';
import { message, PASSWORD, startTestImap, USER, type TestImap } from './harness/server.js';

let imap: TestImap;
let n = 0;

beforeAll(async () => {
  imap = await startTestImap();
});
afterAll(async () => {
  await imap.close();
});

async function user(messages: number): Promise<string> {
  const name = `s${++n}`;
  imap.backend.addUser(name, 'pw');
  for (let i = 1; i <= messages; i++) imap.backend.deliver(name, 'INBOX', message(i));
  return name;
}

async function login(name: string, select?: string): Promise<RawClient> {
  const c = await RawClient.connect(imap.port);
  await c.cmd(`l LOGIN ${name} pw`);
  if (select !== undefined) await c.cmd(`s ${select}`);
  return c;
}

describe('IDLE', () => {
  it('wakes within a second for deliveries, flag changes and expunges by others, then ends on DONE', async () => {
    const name = await user(3);
    const a = await login(name, 'SELECT INBOX');
    const b = await login(name, 'SELECT INBOX');
    a.send('i1 IDLE\r\n');
    expect(await a.line()).toBe('+ idling');
    let t = Date.now();
    imap.backend.deliver(name, 'INBOX', message(4));
    expect(await a.line(1000)).toBe('* 4 EXISTS');
    expect(Date.now() - t).toBeLessThan(1000);
    t = Date.now();
    await b.cmd('b1 STORE 2 +FLAGS.SILENT (\\Flagged)');
    expect(await a.line(1000)).toBe('* 2 FETCH (FLAGS (\\Flagged))');
    await b.cmd('b2 STORE 1 +FLAGS.SILENT (\\Deleted)');
    expect(await a.line(1000)).toBe('* 1 FETCH (FLAGS (\\Deleted))');
    await b.cmd('b3 EXPUNGE');
    expect(await a.line(1000)).toBe('* 1 EXPUNGE');
    expect(Date.now() - t).toBeLessThan(3000);
    // DONE and a pipelined command in the same packet (iOS 18 does this).
    a.send('DONE\r\ni2 NOOP\r\n');
    expect(await a.until('i2')).toBe('i1 OK IDLE terminated\r\ni2 OK NOOP completed\r\n');
    a.close();
    b.close();
  });

  it('says "Still here" while idling, and BAD for anything but DONE', async () => {
    const quick = await startTestImap({ limits: { idleKeepaliveMs: 50 } });
    const c = await RawClient.connect(quick.port);
    await c.cmd('l LOGIN alice "alice password"');
    c.send('i1 IDLE\r\n');
    expect(await c.line()).toBe('+ idling');
    expect(await c.line()).toBe('* OK Still here');
    c.send('NOPE\r\n');
    expect(await c.until('i1')).toMatch(/^(\* OK Still here\r\n)*i1 BAD Expected DONE\r\n$/);
    expect(await c.cmd('n NOOP')).toBe('n OK NOOP completed\r\n');
    c.close();
    await quick.close();
  });
});

describe('unsolicited responses', () => {
  it('holds EXPUNGE back during FETCH, STORE and SEARCH by sequence number, sends it after NOOP', async () => {
    const name = await user(3);
    const a = await login(name, 'SELECT INBOX');
    const b = await login(name, 'SELECT INBOX');
    await b.cmd('b1 STORE 2 +FLAGS.SILENT (\\Deleted)');
    await b.cmd('b2 EXPUNGE');
    // Sequence numbers must not shift under a FETCH: message 2 is still there for a.
    const fetch = await a.cmd('a1 FETCH 1:* (UID)');
    expect(fetch).not.toContain('EXPUNGE');
    expect(fetch).toContain('* 3 FETCH (UID 3)');
    expect(await a.cmd('a2 SEARCH ALL')).toBe('* SEARCH 1 2 3\r\na2 OK SEARCH completed\r\n');
    // UID commands may renumber; NOOP must.
    expect(await a.cmd('a3 NOOP')).toBe('* 2 EXPUNGE\r\na3 OK NOOP completed\r\n');
    expect(await a.cmd('a4 FETCH 1:* (UID)')).toBe('* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 3)\r\na4 OK FETCH completed\r\n');
    a.close();
    b.close();
  });

  it('reports new messages and flag changes after any command', async () => {
    const name = await user(1);
    const a = await login(name, 'SELECT INBOX');
    imap.backend.deliver(name, 'INBOX', message(2));
    await new Promise((r) => setImmediate(r));
    expect(await a.cmd('a1 FETCH 1 (UID)')).toBe('* 1 FETCH (UID 1)\r\n* 2 EXISTS\r\na1 OK FETCH completed\r\n');
    a.close();
  });
});

describe('CONDSTORE and QRESYNC', () => {
  it('MODSEQ in FETCH, CHANGEDSINCE, UNCHANGEDSINCE with [MODIFIED]', async () => {
    const name = await user(3);
    const a = await login(name);
    const sel = await a.cmd('s SELECT INBOX (CONDSTORE)');
    const highest = Number(/HIGHESTMODSEQ (\d+)/.exec(sel)![1]);
    expect(await a.cmd('a1 FETCH 1 (MODSEQ)')).toBe('* 1 FETCH (MODSEQ (2))\r\na1 OK FETCH completed\r\n');
    expect(await a.cmd('a2 STORE 2 +FLAGS (\\Seen)')).toBe(`* 2 FETCH (FLAGS (\\Seen) MODSEQ (${highest + 1}))\r\na2 OK STORE completed\r\n`);
    expect(await a.cmd(`a3 UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${highest})`)).toBe(`* 2 FETCH (UID 2 FLAGS (\\Seen) MODSEQ (${highest + 1}))\r\na3 OK FETCH completed\r\n`);
    expect(await a.cmd(`a4 STORE 1:3 (UNCHANGEDSINCE ${highest}) +FLAGS (\\Answered)`)).toBe(
      `* 1 FETCH (FLAGS (\\Answered) MODSEQ (${highest + 2}))\r\n* 3 FETCH (FLAGS (\\Answered) MODSEQ (${highest + 3}))\r\na4 OK [MODIFIED 2] Some messages were modified meanwhile\r\n`,
    );
    expect(await a.cmd(`a5 STORE 1 (UNCHANGEDSINCE ${highest + 2}) +FLAGS.SILENT (\\Draft)`)).toBe(`* 1 FETCH (MODSEQ (${highest + 4}))\r\na5 OK STORE completed\r\n`);
    expect(await a.cmd('a6 STATUS INBOX (HIGHESTMODSEQ)')).toBe(`* STATUS INBOX (HIGHESTMODSEQ ${highest + 4})\r\na6 OK STATUS completed\r\n`);
    a.close();
  });

  it('resynchronises after changes made while disconnected: exactly the changed and vanished UIDs', async () => {
    const name = await user(6);
    const a = await login(name);
    await a.cmd('e ENABLE QRESYNC');
    const sel = await a.cmd('s SELECT INBOX');
    const validity = Number(/UIDVALIDITY (\d+)/.exec(sel)![1]);
    const modseq = Number(/HIGHESTMODSEQ (\d+)/.exec(sel)![1]);
    a.close();
    // Another client changes things meanwhile.
    const b = await login(name, 'SELECT INBOX');
    await b.cmd('b1 STORE 2 +FLAGS.SILENT (\\Seen)');
    await b.cmd('b2 STORE 3,5 +FLAGS.SILENT (\\Deleted)');
    await b.cmd('b3 EXPUNGE');
    imap.backend.deliver(name, 'INBOX', message(7));
    b.close();
    const c = await login(name);
    await c.cmd('e ENABLE QRESYNC');
    const resync = await c.cmd(`s SELECT INBOX (QRESYNC (${validity} ${modseq}))`);
    const lines = resync.split('\r\n');
    expect(lines.filter((l) => l.startsWith('* VANISHED'))).toEqual(['* VANISHED (EARLIER) 3,5']);
    const fetches = lines.filter((l) => / FETCH /.test(l));
    expect(fetches).toEqual([expect.stringMatching(/^\* 2 FETCH \(UID 2 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$/), expect.stringMatching(/^\* 5 FETCH \(UID 7 FLAGS \(\) MODSEQ \(\d+\)\)$/)]);
    // The same through UID FETCH ... (CHANGEDSINCE m VANISHED).
    const again = await c.cmd(`f UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${modseq} VANISHED)`);
    expect(again.split('\r\n')[0]).toBe('* VANISHED (EARLIER) 3,5');
    expect(again.match(/^\* \d+ FETCH /gm)).toHaveLength(2);
    // Known UIDs narrow VANISHED.
    await c.cmd('u UNSELECT');
    expect(await c.cmd(`s2 SELECT INBOX (QRESYNC (${validity} ${modseq} 1:4))`)).toContain('* VANISHED (EARLIER) 3\r\n');
    // With QRESYNC, expunges come as VANISHED and every FETCH carries the UID.
    const d = await login(name, 'SELECT INBOX');
    await d.cmd('d1 STORE 1 +FLAGS.SILENT (\\Deleted)');
    await d.cmd('d2 EXPUNGE');
    expect(await c.cmd('n NOOP')).toBe('* VANISHED 1\r\nn OK NOOP completed\r\n');
    await d.cmd('d3 STORE 1 +FLAGS.SILENT (\\Flagged)');
    expect(await c.cmd('n2 NOOP')).toMatch(/^\* 1 FETCH \(UID 2 FLAGS \(\\Seen \\Flagged\) MODSEQ \(\d+\)\)\r\nn2 OK/);
    expect(await c.cmd(`s3 SELECT INBOX (QRESYNC (${validity + 1} ${modseq}))`)).not.toContain('VANISHED');
    c.close();
    d.close();
  });

  it('SELECT (QRESYNC) needs ENABLE QRESYNC first', async () => {
    const name = await user(1);
    const a = await login(name);
    expect(await a.cmd('s SELECT INBOX (QRESYNC (1 1))')).toBe('s BAD Enable QRESYNC first\r\n');
    a.close();
  });
});

describe('limits and shutdown', () => {
  it('caps connections per address', async () => {
    const small = await startTestImap({ limits: { maxConnectionsPerIp: 2 } });
    const a = await RawClient.connect(small.port);
    const b = await RawClient.connect(small.port);
    const c = await RawClient.connect(small.port);
    expect(c.greeting).toBe('* BYE Too many connections from your address');
    a.close();
    b.close();
    await small.close();
  });

  it('cuts off a client that stops reading our output', async () => {
    const s = await startTestImap({ limits: { outputStallMs: 300 } });
    s.backend.deliver(USER, 'INBOX', Buffer.concat([message(1), Buffer.alloc(8 * 1024 * 1024, 0x61)]));
    const socket = connect(s.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.on('error', () => undefined);
    socket.write(`l LOGIN ${USER} "${PASSWORD}"\r\ns SELECT INBOX\r\n${'f FETCH 1 BODY.PEEK[]\r\n'.repeat(20)}`);
    // Read nothing: the server's writes back up until it gives up on this connection.
    socket.pause();
    const deadline = Date.now() + 20_000;
    while (s.server.connections() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(s.server.connections()).toBe(0);
    socket.destroy();
    await s.close();
  });

  it('says BYE to every session on close(), even idling ones', async () => {
    const s = await startTestImap();
    const idle = await RawClient.connect(s.port);
    await idle.cmd('l LOGIN alice "alice password"');
    await idle.cmd('s SELECT INBOX');
    idle.send('i IDLE\r\n');
    await idle.line();
    const waiting = await RawClient.connect(s.port);
    await s.close();
    expect(await idle.closedByServer()).toBe('* BYE Server shutting down\r\n');
    expect(await waiting.closedByServer()).toBe('* BYE Server shutting down\r\n');
    expect(s.server.connections()).toBe(0);
  });
});
