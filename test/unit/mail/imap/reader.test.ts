import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CommandReader, type Frame, type ReaderLimits } from '../../../../mail/imap/protocol/reader.js';

const LIMITS: ReaderLimits = { maxLineBytes: 1000, maxLiteralBytes: 100, maxAppendBytes: 10_000, maxCommandBytes: 20_000, maxLiterals: 4 };

function reader(limits: Partial<ReaderLimits> = {}) {
  let continuations = 0;
  const r = new CommandReader({ limits: () => ({ ...LIMITS, ...limits }), continueLiteral: () => continuations++ });
  return { r, continuations: () => continuations };
}

function text(f: Frame): string {
  if (f.kind !== 'command') return f.kind;
  return f.raw.segments.map((s, i) => s.toString('latin1') + (f.raw.literals[i] ? `<${f.raw.literals[i]!.data.toString('latin1')}>` : '')).join('|');
}

describe('command reader', () => {
  it('frames lines ending in CRLF or LF and skips empty lines', async () => {
    const { r } = reader();
    r.push(Buffer.from('a1 NOOP\r\n\r\na2 CAPABILITY\na3 LOGOUT\r\n'));
    expect(text(await r.next())).toBe('a1 NOOP');
    expect(text(await r.next())).toBe('a2 CAPABILITY');
    expect(text(await r.next())).toBe('a3 LOGOUT');
    r.end();
    expect((await r.next()).kind).toBe('end');
  });

  it('asks for a synchronising literal once its announcement is read, and joins the parts', async () => {
    const { r, continuations } = reader();
    r.push(Buffer.from('a1 LOGIN {5}\r\n'));
    const next = r.next();
    await new Promise((res) => setImmediate(res));
    expect(continuations()).toBe(1);
    r.push(Buffer.from('alice {3+}\r\nx y\r\n'));
    expect(text(await next)).toBe('a1 LOGIN {5}<alice>| {3+}<x y>|');
    expect(continuations()).toBe(1);
  });

  it('reads literal8 and marks it binary', async () => {
    const { r } = reader();
    r.push(Buffer.from('a1 APPEND INBOX ~{3}\r\n\0\x01\x02\r\n'));
    const f = await r.next();
    expect(f.kind === 'command' && f.raw.literals[0]!.binary).toBe(true);
    expect(f.kind === 'command' && [...f.raw.literals[0]!.data]).toEqual([0, 1, 2]);
  });

  it('refuses an oversized synchronising literal without reading it, and goes on', async () => {
    const { r, continuations } = reader();
    r.push(Buffer.from('a1 LOGIN {101}\r\na2 NOOP\r\n'));
    const f = await r.next();
    expect(f).toMatchObject({ kind: 'rejected', tag: 'a1', fatal: false });
    expect(continuations()).toBe(0);
    expect(text(await r.next())).toBe('a2 NOOP');
  });

  it('gives APPEND the APPENDLIMIT and answers NO [TOOBIG] above it', async () => {
    const { r } = reader();
    r.push(Buffer.from('a1 APPEND INBOX {5000}\r\n'));
    await new Promise((res) => setImmediate(res));
    r.push(Buffer.alloc(5000, 0x61));
    r.push(Buffer.from('\r\na2 APPEND INBOX {10001}\r\n'));
    expect((await r.next()).kind).toBe('command');
    const f = await r.next();
    expect(f).toMatchObject({ kind: 'rejected', tag: 'a2', fatal: false });
    expect(f.kind === 'rejected' && f.error.status).toBe('NO');
    expect(f.kind === 'rejected' && f.error.responseCode?.name).toBe('TOOBIG');
  });

  it('ends the connection for an oversized non-synchronising literal (its bytes are already coming)', async () => {
    const { r } = reader();
    r.push(Buffer.from('a1 LOGIN {4000000000+}\r\n'));
    expect(await r.next()).toMatchObject({ kind: 'rejected', fatal: true });
  });

  it('counts literals and their total size per command', async () => {
    const { r } = reader({ maxCommandBytes: 150 });
    r.push(Buffer.from('a1 X {1+}\r\na {1+}\r\nb {1+}\r\nc {1+}\r\nd {1+}\r\ne\r\n'));
    expect(await r.next()).toMatchObject({ kind: 'rejected', fatal: true });
    const { r: r2 } = reader({ maxCommandBytes: 150 });
    r2.push(Buffer.from('a1 X {80+}\r\n' + 'x'.repeat(80) + ' {80}\r\n'));
    expect(await r2.next()).toMatchObject({ kind: 'rejected', tag: 'a1', fatal: false });
  });

  it('ends the connection for a line past the limit, before it is complete', async () => {
    const { r } = reader();
    r.push(Buffer.alloc(1500, 0x61));
    expect(await r.next()).toMatchObject({ kind: 'rejected', fatal: true });
  });

  it('counts all line parts of a command against the line limit', async () => {
    const { r } = reader({ maxLineBytes: 100 });
    r.push(Buffer.from(`a1 X ${'y'.repeat(60)} {1+}\r\nz ${'y'.repeat(60)}\r\n`));
    expect(await r.next()).toMatchObject({ kind: 'rejected', fatal: true });
  });

  it('reads raw lines (IDLE DONE, SASL) and reports long ones', async () => {
    const { r } = reader();
    r.push(Buffer.from('DONE\r\n' + 'x'.repeat(50) + '\r\n'));
    expect(await r.nextLine(10)).toEqual({ kind: 'line', line: Buffer.from('DONE') });
    expect((await r.nextLine(10)).kind).toBe('toolong');
  });

  it('discards buffered input on demand (STARTTLS)', async () => {
    const { r } = reader();
    r.push(Buffer.from('a1 NOOP\r\n'));
    r.discardBuffered();
    r.push(Buffer.from('a2 NOOP\r\n'));
    expect(text(await r.next())).toBe('a2 NOOP');
  });

  it('asks the connection to pause when much pipelined input waits', () => {
    const { r } = reader();
    expect(r.wantsData).toBe(true);
    r.push(Buffer.alloc(300 * 1024, 0x61));
    expect(r.wantsData).toBe(false);
  });

  it('frames the same whatever the chunking', async () => {
    const input = 'a1 LOGIN {5}\r\nalice "pw"\r\na2 APPEND INBOX (\\Seen) {11+}\r\nhello\r\nworld\r\n\r\na3 NOOP\n';
    const whole = reader();
    whole.r.push(Buffer.from(input));
    const expected = [text(await whole.r.next()), text(await whole.r.next()), text(await whole.r.next())];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: input.length }), { maxLength: 10 }), async (cuts) => {
        const { r } = reader();
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        let from = 0;
        const frames: Promise<Frame>[] = [r.next()];
        for (const p of [...points, input.length]) {
          r.push(Buffer.from(input.slice(from, p)));
          from = p;
          await new Promise((res) => setImmediate(res));
        }
        const got = [text(await frames[0]!), text(await r.next()), text(await r.next())];
        expect(got).toEqual(expected);
      }),
      { numRuns: 200, seed: 42 },
    );
  });
});
