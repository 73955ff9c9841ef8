import { describe, expect, it } from 'vitest';
import { startSession } from './session-harness.js';

const MSG = 'From: a@example.org\r\nSubject: hi\r\n\r\nhello\r\n';

describe('session state machine', () => {
  it('greets with the pre-login capabilities, and shows the others after login', async () => {
    const h = startSession();
    expect(h.greeting).toMatch(/^\* OK \[CAPABILITY IMAP4rev1 IMAP4rev2 [^\]]*AUTH=PLAIN\] /);
    expect(h.greeting).not.toContain('LOGINDISABLED');
    expect(h.greeting).not.toContain('IDLE UIDPLUS');
    const login = await h.cmd('a1 LOGIN alice pw');
    expect(login).toMatch(/^a1 OK \[CAPABILITY [^\]]*UIDPLUS[^\]]*APPENDLIMIT=\d+[^\]]*\] Logged in\r\n$/);
    expect(await h.cmd('a2 CAPABILITY')).toMatch(/^\* CAPABILITY .*QRESYNC.*\r\na2 OK/);
  });

  it('refuses commands in the wrong state with BAD, and walks not-authenticated → authenticated → selected → logout', async () => {
    const h = startSession();
    expect(await h.cmd('a1 SELECT INBOX')).toBe('a1 BAD SELECT: log in first\r\n');
    expect(await h.cmd('a2 FETCH 1 FLAGS')).toBe('a2 BAD FETCH: log in first\r\n');
    await h.cmd('a3 LOGIN alice pw');
    expect(await h.cmd('a4 LOGIN alice pw')).toBe('a4 BAD LOGIN: already logged in\r\n');
    expect(await h.cmd('a5 FETCH 1 FLAGS')).toBe('a5 BAD FETCH: select a mailbox first\r\n');
    expect(await h.cmd('a6 SELECT INBOX')).toContain('a6 OK [READ-WRITE] SELECT completed');
    expect(h.session.state).toBe('selected');
    expect(await h.cmd('a7 CLOSE')).toBe('a7 OK CLOSE completed\r\n');
    expect(h.session.state).toBe('authenticated');
    expect(await h.cmd('a8 LOGOUT')).toBe('* BYE Logging out\r\na8 OK LOGOUT completed\r\n');
    await h.done;
    expect(h.io.closed).toBe(true);
  });

  it('refuses cleartext login from other addresses unless allowed, and says so in CAPABILITY', async () => {
    const h = startSession({ remoteAddress: '192.0.2.7' });
    expect(h.greeting).toContain('LOGINDISABLED');
    expect(await h.cmd('a1 LOGIN alice pw')).toMatch(/^a1 NO \[PRIVACYREQUIRED\]/);
    expect(await h.cmd('a2 AUTHENTICATE PLAIN AGFsaWNlAHB3')).toMatch(/^a2 NO \[PRIVACYREQUIRED\]/);
    const open = startSession({ remoteAddress: '192.0.2.7', cleartextAuth: 'always' });
    expect(await open.cmd('a1 LOGIN alice pw')).toMatch(/^a1 OK/);
    const closed = startSession({ cleartextAuth: 'never' });
    expect(await closed.cmd('a1 LOGIN alice pw')).toMatch(/^a1 NO \[PRIVACYREQUIRED\]/);
  });

  it('AUTHENTICATE PLAIN with SASL-IR, with a continuation, cancelled, and malformed', async () => {
    const h = startSession();
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    expect(await h.cmd(`a1 AUTHENTICATE PLAIN ${b64('\0alice\0wrong')}`)).toMatch(/^a1 NO \[AUTHENTICATIONFAILED\]/);
    h.send('a2 AUTHENTICATE PLAIN\r\n');
    expect(await h.io.waitFor('+ \r\n')).toBe('+ \r\n');
    h.send('*\r\n');
    expect(await h.io.waitForTag('a2')).toBe('a2 BAD Authentication cancelled\r\n');
    expect(await h.cmd('a3 AUTHENTICATE PLAIN !!!')).toBe('a3 BAD Invalid base64 in SASL response\r\n');
    expect(await h.cmd(`a4 AUTHENTICATE PLAIN ${b64('bob\0alice\0pw')}`)).toMatch(/^a4 NO \[AUTHENTICATIONFAILED\]/);
    expect(await h.cmd('a5 AUTHENTICATE CRAM-MD5')).toMatch(/^a5 NO \[CANNOT\]/);
    h.send('a6 AUTHENTICATE PLAIN\r\n');
    await h.io.waitFor('+ \r\n');
    h.send(`${b64('alice\0alice\0pw')}\r\n`);
    expect(await h.io.waitForTag('a6')).toMatch(/^a6 OK \[CAPABILITY /);
  });

  it('hangs up after too many bad commands', async () => {
    const h = startSession({ limits: { maxBadCommandsBeforeLogin: 3 } });
    await h.cmd('a1 FOO');
    await h.cmd('a2 BAR');
    h.send('a3 BAZ\r\n');
    expect(await h.io.waitFor('* BYE Too many invalid commands\r\n')).toContain('a3 BAD');
    await h.done;
    expect(h.io.closed).toBe(true);
  });

  it('logs out idle sessions: before login sooner than after', async () => {
    const h = startSession({ limits: { loginTimeoutMs: 50, idleTimeoutMs: 60_000 } });
    expect(await h.io.waitFor('* BYE Autologout; idle for too long\r\n')).toContain('BYE');
    await h.done;
    const g = startSession({ limits: { loginTimeoutMs: 60_000, idleTimeoutMs: 80 } });
    await g.cmd('a1 LOGIN alice pw');
    await g.io.waitFor('* BYE Autologout');
    await g.done;
  });

  it('ends a connection stuck in the middle of a command, not one whose upload keeps coming', async () => {
    const h = startSession({ limits: { commandStallMs: 60, idleTimeoutMs: 100 } });
    await h.cmd('a1 LOGIN alice pw');
    h.send('a2 APPEND INBOX {300}\r\n');
    const started = Date.now();
    // 30 bytes every 20 ms: the literal takes longer than the idle timeout, but never stalls.
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 20));
      h.send(Buffer.alloc(30, 0x61));
    }
    h.send('\r\n');
    expect(await h.io.waitForTag('a2')).toMatch(/a2 OK \[APPENDUID/);
    expect(Date.now() - started).toBeGreaterThan(100);
    h.send('a3 APPEND INBOX {300}\r\n');
    expect(await h.io.waitFor('* BYE Autologout; idle for too long\r\n')).toContain('+ Ready for literal data');
    await h.done;
  });

  it('says BYE on shutdown at once when waiting, after the command when busy', async () => {
    const h = startSession();
    await h.cmd('a1 LOGIN alice pw');
    h.session.shutdown();
    expect(await h.io.waitFor('* BYE Server shutting down\r\n')).toBe('* BYE Server shutting down\r\n');
    await h.done;
  });

  it('limits connections per user', async () => {
    const a = startSession({ limits: { maxConnectionsPerUser: 1 } });
    await a.cmd('a1 LOGIN alice pw');
    const b = startSession({ backend: a.backend, limits: { maxConnectionsPerUser: 1 } });
    // A separate context: share the counter as the server does.
    (b.ctx as { perUser: unknown }).perUser = a.ctx.perUser;
    expect(await b.cmd('b1 LOGIN alice pw')).toBe('b1 NO [LIMIT] too many connections for this user\r\n');
    await a.cmd('a2 LOGOUT');
    await a.done;
    expect(await b.cmd('b2 LOGIN alice pw')).toMatch(/^b2 OK/);
  });

  it('answers a failed login after a delay that grows', async () => {
    const h = startSession({ limits: { authFailureDelayMs: 40, authFailureMaxDelayMs: 100 } });
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = Date.now();
      expect(await h.cmd(`a${i} LOGIN alice nope`)).toBe(`a${i} NO [AUTHENTICATIONFAILED] Authentication failed\r\n`);
      times.push(Date.now() - t);
    }
    expect(times[0]).toBeGreaterThanOrEqual(35);
    expect(times[1]).toBeGreaterThanOrEqual(75);
    expect(times[2]).toBeLessThan(1000);
    expect(await h.cmd('a9 LOGIN alice pw')).toMatch(/^a9 OK/);
  });

  it('ENABLE turns on what it knows, QRESYNC implies CONDSTORE', async () => {
    const h = startSession();
    await h.cmd('a1 LOGIN alice pw');
    expect(await h.cmd('a2 ENABLE QRESYNC X-UNKNOWN')).toBe('* ENABLED QRESYNC\r\na2 OK ENABLE completed\r\n');
    expect(h.session.condstore).toBe(true);
    expect(await h.cmd('a3 ENABLE CONDSTORE IMAP4rev2 UTF8=ACCEPT')).toBe('* ENABLED IMAP4rev2 UTF8=ACCEPT\r\na3 OK ENABLE completed\r\n');
  });

  it('runs commands pipelined in one packet in order', async () => {
    const h = startSession();
    h.backend.deliver('alice', 'INBOX', Buffer.from(MSG));
    h.send('a1 LOGIN alice pw\r\na2 SELECT INBOX\r\na3 FETCH 1 (FLAGS)\r\na4 NOOP\r\n');
    const out = await h.io.waitForTag('a4');
    const order = [...out.matchAll(/^(a\d) OK/gm)].map((m) => m[1]);
    expect(order).toEqual(['a1', 'a2', 'a3', 'a4']);
  });
});
