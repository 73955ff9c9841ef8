/**
 * Fuzzing the IMAP front-end, seeded and reproducible (FUZZ_SEED, FUZZ_RUNS):
 *  - the reader and parser alone, on arbitrary bytes: only typed results, never a throw;
 *  - whole sessions (reader, parser, state machine, handlers on the in-memory store)
 *    fed random and mutated valid command streams: every session ends once its input
 *    ends (no hang), nothing throws or rejects, every output line is a well-formed
 *    response, and after a well-framed stream the next valid command is answered.
 * 10,000 session cases by default, so the suite stays fast on 2 cores; the long run is
 * FUZZ_RUNS=100000 npx vitest run test/unit/mail/imap/fuzz.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImapError } from '../../../../mail/imap/errors.js';
import { parseCommand } from '../../../../mail/imap/protocol/parse.js';
import { CommandReader } from '../../../../mail/imap/protocol/reader.js';
import { MemoryBackend } from '../../../integration/mail/imap/harness/memory-backend.js';
import { startSession } from './session-harness.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20240601);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 10_000);

function literal(data: string, nonSync: boolean): string {
  return `{${Buffer.byteLength(data, 'latin1')}${nonSync ? '+' : ''}}\r\n${data}`;
}

/** Valid commands, each a complete frame (literals with their data). */
const CORPUS = [
  'CAPABILITY',
  'NOOP',
  'ID ("name" "fuzz" "version" NIL)',
  'ENABLE CONDSTORE QRESYNC UTF8=ACCEPT',
  'NAMESPACE',
  'LIST "" *',
  'LIST (SUBSCRIBED RECURSIVEMATCH) "" ("*" "%") RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN SIZE))',
  'LSUB "" %',
  'STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE DELETED)',
  'CREATE Fuzz/Box',
  'CREATE Trash (USE (\\Trash))',
  'RENAME Fuzz/Box Fuzz/Other',
  'DELETE Fuzz/Other',
  'SUBSCRIBE Fuzz',
  'UNSUBSCRIBE Fuzz',
  'SELECT INBOX (CONDSTORE)',
  'EXAMINE INBOX',
  'SELECT INBOX (QRESYNC (1001 1 1:* (1 1)))',
  `APPEND INBOX (\\Seen) " 7-Feb-1994 21:52:25 -0800" ${literal('Subject: x\r\n\r\nfuzzed message', true)}`,
  `APPEND INBOX ${literal('Subject: y\r\n', false)}`,
  'FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE MODSEQ PREVIEW)',
  'UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)] BODY[1.MIME] BINARY.PEEK[1]<0.10> BINARY.SIZE[1])',
  'FETCH 1 (BODY[]<0.5> BODY[TEXT] RFC822.HEADER RFC822.TEXT RFC822)',
  'UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)',
  'STORE 1 +FLAGS.SILENT (\\Deleted)',
  'UID STORE 1:* (UNCHANGEDSINCE 100) -FLAGS (\\Deleted $Junk)',
  'SEARCH RETURN (MIN MAX COUNT ALL SAVE) OR UNSEEN FROM "x" NOT (SUBJECT y LARGER 10)',
  'UID SEARCH CHARSET UTF-8 TEXT "message" SINCE 1-Jan-2000 MODSEQ 1',
  'SEARCH $',
  'SORT (REVERSE DATE SUBJECT) UTF-8 ALL',
  'UID THREAD REFERENCES UTF-8 ALL',
  'THREAD ORDEREDSUBJECT US-ASCII ALL',
  'UID COPY 1:* Fuzz',
  'UID MOVE 2 Trash',
  'EXPUNGE',
  'UID EXPUNGE 1:3',
  'CHECK',
  'UNSELECT',
  'CLOSE',
  'LOGIN alice pw',
  `LOGIN ${literal('alice', false)} ${literal('pw', true)}`,
];

const TOKENS = ['(', ')', ' ', '"', '\\', '*', '%', '$', '[', ']', '<', '>', '.', ':', ',', '{', '}', '~', '+', '0', '1', '4294967296', 'NIL', 'INBOX', 'BODY', 'FLAGS', '\\Seen', 'UID', 'OR', 'NOT', 'HEADER', 'TEXT', '&', '&-', '&AGE-', '\xff', '\0', '\r', '\n'];

/** Line breaks inside a token would make stray frames. */
function oneLine(s: string): string {
  return s.replace(/[\r\n]/g, ' ');
}

/** A frame that cannot swallow the next line: no literal announced at its end. */
function closed(line: string): string {
  return /\}$/.test(line) ? `${line} X` : line;
}

const tag = fc.stringMatching(/^[A-Za-z0-9.]{1,4}$/);

/** A complete command from the token soup: literal tokens carry their data. */
const soupCommand = fc
  .tuple(
    tag,
    fc.constantFrom('FETCH', 'UID FETCH', 'SEARCH', 'STORE', 'LIST', 'SELECT', 'APPEND', 'STATUS', 'LOGIN', 'COPY', 'SORT', 'ENABLE', 'CREATE'),
    fc.array(
      fc.oneof(
        fc.constantFrom(...TOKENS).map(oneLine),
        fc.string({ maxLength: 6 }).map(oneLine),
        fc.nat(40).map((n) => `{${n}+}\r\n${'x'.repeat(n)}`),
      ),
      { maxLength: 14 },
    ),
  )
  .map(([t, name, parts]) => closed(`${t} ${name} ${parts.join('')}`));

function mutate(cmd: string, ops: Array<[number, number, number]>): string {
  let s = cmd;
  for (const [kind, at, v] of ops) {
    const i = s.length === 0 ? 0 : at % (s.length + 1);
    const ch = String.fromCharCode(v);
    if (kind === 0) s = s.slice(0, i) + ch + s.slice(i);
    else if (kind === 1) s = s.slice(0, i) + s.slice(i + 1);
    else if (kind === 2) s = s.slice(0, i) + ch + s.slice(i + 1);
    else if (kind === 3) s = s.slice(0, i);
    else s = s.slice(0, i) + s.slice(i, i + 8) + s.slice(i);
  }
  return s;
}

const mutated = fc
  .tuple(tag, fc.constantFrom(...CORPUS), fc.array(fc.tuple(fc.nat(4), fc.nat(200), fc.nat(255)), { minLength: 1, maxLength: 4 }))
  .map(([t, c, ops]) => `${t} ${mutate(c, ops)}`);


/** Every response starts like one: "* ", "+ ", or "tag OK|NO|BAD"; literals inside responses are skipped. */
function checkOutput(out: string): void {
  let pos = 0;
  while (pos < out.length) {
    const start = pos;
    for (;;) {
      const crlf = out.indexOf('\r\n', pos);
      expect(crlf, `unterminated response at ${start}:\n${out}`).toBeGreaterThanOrEqual(0);
      const lit = /~?\{(\d+)\}$/.exec(out.slice(Math.max(pos, crlf - 24), crlf));
      pos = crlf + 2;
      if (lit === null) break;
      pos += Number(lit[1]);
    }
    expect(out.slice(start, pos), out).toMatch(/^(\* |\+ |\+\r\n|[^\s]+ (OK|NO|BAD) )/);
  }
}

function sharedBackend(): MemoryBackend {
  const backend = new MemoryBackend();
  backend.addUser('alice', 'pw');
  for (let i = 0; i < 3; i++) {
    backend.deliver('alice', 'INBOX', Buffer.from(`From: a${i}@example.org\r\nSubject: s${i}\r\nContent-Type: text/plain\r\n\r\nbody ${i}\r\n`));
  }
  return backend;
}

async function runCase(backend: MemoryBackend, prelude: string, stream: string, mustAnswer: boolean): Promise<void> {
  const h = startSession({ backend, limits: { maxBadCommands: 1_000, maxBadCommandsBeforeLogin: 1_000, idleTimeoutMs: 5_000, loginTimeoutMs: 5_000 } });
  h.send(prelude + stream + '\r\nzz NOOP\r\n');
  h.session.end();
  const hang = new Promise<'hang'>((resolve) => setTimeout(() => resolve('hang'), 5_000).unref());
  expect(await Promise.race([h.done.then(() => 'done'), hang]), stream).toBe('done');
  const out = h.io.take();
  checkOutput(out);
  if (mustAnswer) expect(/(^|\r\n)zz OK /.test(out) || out.includes('* BYE'), `${JSON.stringify(stream)}\n${out}`).toBe(true);
}

describe('fuzz', () => {
  it('reader and parser: arbitrary bytes give commands or typed refusals, never a throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), async (chunks) => {
        const r = new CommandReader({
          limits: () => ({ maxLineBytes: 128, maxLiteralBytes: 32, maxAppendBytes: 64, maxCommandBytes: 96, maxLiterals: 3 }),
          continueLiteral: () => undefined,
        });
        for (const c of chunks) r.push(Buffer.from(c));
        r.end();
        for (let i = 0; i < 100; i++) {
          const f = await r.next();
          if (f.kind === 'end') return;
          if (f.kind === 'rejected') {
            expect(f.error).toBeInstanceOf(ImapError);
            if (f.fatal) return;
            continue;
          }
          const p = parseCommand(f.raw, { maxDepth: 4 });
          if (!p.ok) expect(p.error).toBeInstanceOf(ImapError);
        }
        throw new Error('the reader produced more frames than the input could hold');
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('sessions: random and mutated streams end cleanly, well-framed ones leave the session answering', async () => {
    const backend = sharedBackend();
    const prelude = fc.constantFrom('', 'l1 LOGIN alice pw\r\n', 'l1 LOGIN alice pw\r\nl2 SELECT INBOX\r\n');
    // Mutated and random bytes: anything goes, the session must still end and answer in form.
    await fc.assert(
      fc.asyncProperty(prelude, fc.oneof(mutated, fc.string({ maxLength: 80 }), fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString('latin1'))), async (p, s) => runCase(backend, p, s, false)),
      { numRuns: RUNS / 2, seed: SEED },
    );
    // Well-framed streams: several complete commands (soup, or mutated with no trailing literal).
    const framed = fc.array(fc.oneof(soupCommand, mutated.map((m) => closed(oneLine(m))), fc.constantFrom(...CORPUS).map((c) => `t ${c}`)), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(prelude, framed, async (p, cmds) => runCase(backend, p, cmds.join('\r\n'), true)),
      { numRuns: RUNS / 2, seed: SEED + 1 },
    );
  }, 600_000);
});
