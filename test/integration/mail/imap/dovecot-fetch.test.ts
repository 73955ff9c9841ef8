/**
 * Differential test through the whole server: every message of the corpus
 * (test/fixtures/messages) goes into a throwaway Dovecot and into our server, and the
 * same FETCH on both must give the same bytes for every item: ENVELOPE, BODYSTRUCTURE,
 * BODY, sizes, BODY[...] sections (with partials) and BINARY[...] (or fail alike).
 *
 * Needs Dovecot: in CI (CI=true) a missing dovecot fails, naming the package;
 * elsewhere the suite is skipped with a message.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOVECOT, DOVECOT_PACKAGE, fetchItems, ImapConnection, startDovecot, type Dovecot } from '../../../helpers/dovecot.js';
import { requireTool } from '../../../helpers/tools.js';
import { startTestImap, USER, PASSWORD, type TestImap } from './harness/server.js';

const CORPUS = fileURLToPath(new URL('../../../fixtures/messages/', import.meta.url));
const files = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.eml'))
  .sort();

const hasDovecot = requireTool(DOVECOT, DOVECOT_PACKAGE);

/** Item groups, each fetched in one command on both servers. */
const GROUPS = [
  'ENVELOPE BODYSTRUCTURE BODY RFC822.SIZE',
  'BODY.PEEK[HEADER] BODY.PEEK[TEXT] BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE MESSAGE-ID)] BODY.PEEK[HEADER.FIELDS.NOT (FROM RECEIVED)]',
  'BODY.PEEK[]<0.100> BODY.PEEK[]<50.3000> BODY.PEEK[TEXT]<7.40> RFC822.HEADER',
  'BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[1]<10.20>',
  'BODY.PEEK[2] BODY.PEEK[2.MIME] BODY.PEEK[2.1] BODY.PEEK[1.1.MIME] BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT]',
  'BINARY.PEEK[1] BINARY.SIZE[1]',
  'BINARY.PEEK[2]<0.50> BINARY.SIZE[2]',
];

let dovecot: Dovecot;
let ours: TestImap;
let theirs: ImapConnection;
let mine: ImapConnection;

beforeAll(async () => {
  if (!hasDovecot) return;
  dovecot = await startDovecot();
  ours = await startTestImap();
  for (const f of files) {
    const raw = readFileSync(CORPUS + f);
    dovecot.deliver(raw);
    ours.backend.deliver(USER, 'INBOX', raw);
  }
  theirs = await ImapConnection.open(dovecot.port);
  await theirs.command(`LOGIN ${dovecot.user} ${dovecot.password}`);
  await theirs.command('SELECT INBOX');
  mine = await ImapConnection.open(ours.port);
  await mine.command(`LOGIN ${USER} "${PASSWORD}"`);
  await mine.command('SELECT INBOX');
}, 60_000);

afterAll(async () => {
  theirs?.close();
  mine?.close();
  await ours?.close();
  await dovecot?.stop();
});

/** The FETCH items of one command, or the failure line. */
async function fetch(conn: ImapConnection, seq: number, items: string): Promise<Map<string, string> | string> {
  try {
    const out = await conn.command(`FETCH ${seq} (${items})`);
    return new Map([...fetchItems(out)].map(([k, v]) => [k, v.toString('latin1')]));
  } catch (e) {
    // Both must fail the same way (BINARY of an unknown transfer encoding): compare the status and code.
    return (/ (NO|BAD) (\[[A-Z-]+\])?/.exec((e as Error).message) ?? ['?'])[0];
  }
}

describe.skipIf(!hasDovecot)('FETCH through our server = FETCH through Dovecot', () => {
  files.forEach((file, i) => {
    it(file, async () => {
      for (const items of GROUPS) {
        const expected = await fetch(theirs, i + 1, items);
        const got = await fetch(mine, i + 1, items);
        if (typeof got !== "string" && typeof expected !== "string") for (const [k, v] of expected) if (got.get(k) !== v) console.log("DIFF", file, k, JSON.stringify(v).slice(0, 200), "OURS", JSON.stringify(got.get(k)).slice(0, 200));
        expect(got, `${file}: FETCH (${items})`).toEqual(expected);
      }
    });
  });
});
