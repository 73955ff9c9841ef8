/**
 * The DATA encoder against a reference (line endings to CRLF, dot-stuffing, the final
 * dot) whatever the chunking, and against smtp-server's own parser: what it reads
 * back from our encoding is the message with CRLF line endings.
 */
import fc from 'fast-check';
import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { describe, expect, it } from 'vitest';
import { DataEncoder } from '../../../../mail/lmtp/data-encoder.js';

/** CRLF line endings (a bare LF gets its CR), nothing else changed. */
function crlf(message: Buffer): Buffer {
  return Buffer.from(message.toString('latin1').replace(/(?<!\r)\n/g, '\r\n'), 'latin1');
}

/** The message as it arrives: CRLF line endings, and a final line break. */
function lines(message: Buffer): string {
  const text = crlf(message).toString('latin1');
  return text.length === 0 || text.endsWith('\r\n') ? text : text + (text.endsWith('\r') ? '\n' : '\r\n');
}

function reference(message: Buffer): Buffer {
  return Buffer.from(lines(message).replace(/(^|\r\n)\./g, '$1..') + '.\r\n', 'latin1');
}

async function encode(message: Buffer, cuts: number[]): Promise<Buffer> {
  const encoder = new DataEncoder();
  const out: Buffer[] = [];
  encoder.on('data', (b: Buffer) => out.push(b));
  const done = new Promise((resolve) => encoder.on('end', resolve));
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut <= at || cut >= message.length) continue;
    encoder.write(message.subarray(at, cut));
    at = cut;
  }
  encoder.end(message.subarray(at));
  await done;
  return Buffer.concat(out);
}

/** What smtp-server's DATA parser makes of `wire` (everything up to the final dot), fed in pieces cut at `cuts`. */
function serverReads(wire: Buffer, cuts: number[]): Promise<Buffer> {
  const parser = new SMTPStream();
  parser.oncommand = () => undefined;
  const data = parser.startDataMode();
  const out: Buffer[] = [];
  data.on('data', (b: Buffer) => out.push(b));
  return new Promise((resolve) => {
    data.on('end', () => resolve(Buffer.concat(out)));
    let at = 0;
    for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
      if (cut <= at || cut >= wire.length) continue;
      parser.write(wire.subarray(at, cut));
      at = cut;
    }
    parser.end(wire.subarray(at));
  });
}

const messages = fc.array(fc.constantFrom('.', '\r', '\n', 'a', '..', '\r\n', '\r\n.\r\n', 'é'), { maxLength: 40 }).map((parts) => Buffer.from(parts.join(''), 'utf8'));

describe('DataEncoder', () => {
  it.each([
    ['empty', '', '.\r\n'],
    ['a line with a single dot', 'a\r\n.\r\nb\r\n', 'a\r\n..\r\nb\r\n.\r\n'],
    ['lines beginning with dots', '.x\r\n..y\r\n', '..x\r\n...y\r\n.\r\n'],
    ['bare LF line endings', 'a\n.\nb', 'a\r\n..\r\nb\r\n.\r\n'],
    ['a final CR', 'a\r', 'a\r\n.\r\n'],
    ['a dot in the middle of a line', 'a.b\r\n', 'a.b\r\n.\r\n'],
  ])('%s', async (_name, input, wire) => {
    expect((await encode(Buffer.from(input), [])).toString()).toBe(wire);
    // Cut everywhere: one byte per chunk.
    expect((await encode(Buffer.from(input), [...Array(input.length).keys()])).toString()).toBe(wire);
  });

  it('matches the reference whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(messages, fc.array(fc.nat(60)), async (message, cuts) => {
        expect((await encode(message, cuts)).equals(reference(message))).toBe(true);
      }),
      { numRuns: 500, seed: 20240601 },
    );
  });

  it("reads back through smtp-server's parser as the message with CRLF line endings and a final line break", async () => {
    await fc.assert(
      fc.asyncProperty(messages, fc.array(fc.nat(80)), async (message, cuts) => {
        expect((await serverReads(await encode(message, []), cuts)).toString('latin1')).toBe(lines(message));
      }),
      { numRuns: 300, seed: 20240602 },
    );
  });
});
