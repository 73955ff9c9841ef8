/**
 * Differential test against Dovecot (Debian's dovecot-imapd, started by the test):
 * every message of the corpus (test/fixtures/messages) is delivered into a
 * throwaway Dovecot's Maildir and fetched over a raw socket; our summary of the same
 * bytes, rendered by mail/imap/format, must give exactly Dovecot's bytes for
 * RFC822.SIZE, ENVELOPE, BODYSTRUCTURE and BODY; the summary's header must give
 * exactly BODY[HEADER]; and slicing the raw message at the summary's offsets must
 * give exactly BODY[TEXT], and BODY[n], BODY[n.MIME] (and BODY[n.HEADER],
 * BODY[n.TEXT] of message/rfc822 parts) for every part. Then the same for a few hundred seeded random mutations of the corpus
 * (lines dropped, doubled or cut, boundary and header lines inserted, line endings
 * switched, special characters sprinkled into addresses and parameters): broken
 * input must be read as Dovecot reads it too.
 *
 * Needs Dovecot: in CI (CI=true) a missing dovecot fails, naming the package;
 * elsewhere the suite is skipped with a message.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderBody, renderBodyStructure } from '../../../mail/imap/format/bodystructure.js';
import { imapBodyOctets } from '../../../mail/imap/format/octets.js';
import { renderEnvelope } from '../../../mail/imap/format/envelope.js';
import { partAt, sectionRange, type ByteRange, type SectionText } from '../../../mail/mailbox/summary/sections.js';
import { summarize } from '../../../mail/mailbox/summary/summarize.js';
import type { BodyPart } from '../../../mail/mailbox/summary/types.js';
import { DOVECOT, DOVECOT_PACKAGE, fetchItems, ImapConnection, startDovecot, stringValue, type Dovecot } from '../../helpers/dovecot.js';
import { requireTool } from '../../helpers/tools.js';

const CORPUS = fileURLToPath(new URL('../../fixtures/messages/', import.meta.url));
const files = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.eml'))
  .sort();

const hasDovecot = requireTool(DOVECOT, DOVECOT_PACKAGE);

interface Section {
  /** The item name in Dovecot's answer, e.g. BODY[2.1.MIME]. */
  name: string;
  range: ByteRange;
}

/** Every section of the message our summary knows of: BODY[HEADER], BODY[TEXT], then each part's. */
function sectionsOf(root: BodyPart): Section[] {
  const out: Section[] = [];
  const add = (path: number[], text: SectionText | null): void => {
    const range = sectionRange(root, path, text);
    const spec = [path.join('.'), text ?? ''].filter((s) => s !== '').join('.');
    if (range !== null) out.push({ name: `BODY[${spec}]`, range });
  };
  add([], 'HEADER');
  add([], 'TEXT');
  const walk = (path: number[]): void => {
    for (let n = 1; ; n++) {
      const sub = [...path, n];
      const part = partAt(root, sub);
      if (part === null) return;
      add(sub, null);
      add(sub, 'MIME');
      if (part.kind === 'message') {
        add(sub, 'HEADER');
        add(sub, 'TEXT');
      }
      walk(sub);
    }
  };
  walk([]);
  return out;
}

const latin1 = (b: Buffer | undefined | null): string | undefined => b?.toString('latin1');

const MUTATIONS = 300;
const SEED = 20240601;

/** xorshift32: the same mutations on every run. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

const ADDRESS_BITS = ['"', '(', ')', '<', '>', '@', ',', ';', ':', '\\', '.', '[', ']', ' ', 'a', 'b.c', '=?utf-8?q?x?=', '\xe9', '\t', '\r\n ', 'x@y', '<p@q>', 'Name', '""', '\0'];
const PARAM_BITS = [';', 'name', 'filename', 'charset', '*', '*0', '*1', '*0*', '*1*', '=', '"', "'", '%41', "utf-8''", ' ', 'x', '\\', '(c)', '\r\n ', '\xe9', 'boundary'];

/** One to four random edits of a message, at the line level. */
function mutate(raw: Buffer, r: () => number): Buffer {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
  const junk = (bits: string[], max: number): string => Array.from({ length: 1 + Math.floor(r() * max) }, () => pick(bits)).join('');
  const text = raw.toString('latin1');
  let lines = text.split(/(?<=\n)/);
  const boundaries = [...text.matchAll(/boundary="?([^";\r\n]+)/gi)].map((m) => m[1]!);
  for (let edits = 1 + Math.floor(r() * 4); edits > 0; edits--) {
    const i = Math.floor(r() * Math.max(1, lines.length));
    const b = boundaries.length > 0 ? pick(boundaries) : 'x';
    switch (Math.floor(r() * 13)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(i, 0, lines[i] ?? '\r\n');
        break;
      case 2:
        lines.splice(i, 0, `--${b}${pick(['', '--', 'x', '  '])}\r\n`);
        break;
      case 3:
        lines = lines.map((l) => (r() < 0.5 ? l.replace(/\r\n$/, '\n') : l));
        break;
      case 4:
        lines.splice(i, 0, '\r\n');
        break;
      case 5:
        lines = [lines.join('').slice(0, Math.floor(r() * text.length))];
        break;
      case 6:
        lines.splice(i, 0, `${pick([`Content-Type: multipart/mixed; boundary=${b}`, 'Content-Type: message/rfc822', 'MIME-Version: 1.0', 'Content-Type: text/plain'])}\r\n`);
        break;
      case 7: {
        const l = lines[i] ?? '';
        const at = Math.floor(r() * l.length);
        lines[i] = l.slice(0, at) + pick(['\0', '\xe9', '-', ':', '"', '(', ';', '\r', ' ']) + l.slice(at);
        break;
      }
      case 8:
        lines[i] = ` ${lines[i] ?? ''}`;
        break;
      case 9:
        lines[i] = (lines[i] ?? '').replace(/\r?\n$/, '');
        break;
      case 10:
        lines.splice(Math.floor(r() * 4), 0, `${pick(['From', 'To', 'Cc', 'Reply-To', 'Sender', 'Subject', 'Date', 'Message-ID'])}: ${junk(ADDRESS_BITS, 12)}\r\n`);
        break;
      case 11:
        lines.splice(i, 0, `${pick(['Content-Type: text/plain', 'Content-Disposition: attachment', 'Content-Language: en', 'Content-ID: <a>'])}${junk(PARAM_BITS, 14)}\r\n`);
        break;
      default:
        lines.splice(i, 0, `--${b}--\r\n`);
    }
  }
  return Buffer.from(lines.join(''), 'latin1');
}

interface Mismatch {
  item: string;
  dovecot: string | undefined;
  ours: string | undefined;
}

/** Fetches the message from Dovecot and lists where our rendering and offsets differ from it. */
async function compare(imap: ImapConnection, uid: number, raw: Buffer): Promise<Mismatch[]> {
  const summary = summarize(raw);
  const sections = sectionsOf(summary.body);
  const items = ['RFC822.SIZE', 'ENVELOPE', 'BODYSTRUCTURE', 'BODY', ...sections.map((s) => s.name.replace('BODY[', 'BODY.PEEK['))];
  const got = fetchItems(await imap.command(`UID FETCH ${uid} (${items.join(' ')})`));
  const ours: [string, string | undefined][] = [
    ['RFC822.SIZE', String(summary.size)],
    ['ENVELOPE', latin1(renderEnvelope(summary.envelope))],
    ['BODYSTRUCTURE', latin1(renderBodyStructure(summary.body))],
    ['BODY', latin1(renderBody(summary.body))],
    // BODY[HEADER] comes from the summary alone; every other section from the raw bytes at its offsets.
    ...sections.map((s): [string, string | undefined] => {
      const bytes = s.name === 'BODY[HEADER]' ? Buffer.from(summary.header, 'latin1') : raw.subarray(s.range.start, s.range.end);
      return [s.name, latin1(imapBodyOctets(bytes))];
    }),
  ];
  const mismatches: Mismatch[] = [];
  for (const [item, value] of ours) {
    const answer = got.get(item);
    const dovecot = answer === undefined ? undefined : item.startsWith('BODY[') ? latin1(stringValue(answer)) : latin1(answer);
    if (dovecot !== value) mismatches.push({ item, dovecot, ours: value });
  }
  return mismatches;
}

describe.skipIf(!hasDovecot)('message summaries rendered like Dovecot 2.3', () => {
  let dovecot: Dovecot;
  let imap: ImapConnection;
  const uids = new Map<string, number>();
  const mutants: { raw: Buffer; uid: number }[] = [];

  beforeAll(async () => {
    dovecot = await startDovecot();
    const names = files.map((f) => dovecot.deliver(readFileSync(CORPUS + f)));
    const r = random(SEED);
    const mutated = Array.from({ length: MUTATIONS }, () => mutate(readFileSync(CORPUS + files[Math.floor(r() * files.length)]!), r));
    const mutantNames = mutated.map((raw) => dovecot.deliver(raw));
    imap = await ImapConnection.open(dovecot.port);
    await imap.command(`LOGIN ${dovecot.user} ${dovecot.password}`);
    await imap.command('SELECT INBOX');
    const byName = dovecot.uids();
    files.forEach((f, i) => uids.set(f, byName.get(names[i]!)!));
    mutated.forEach((raw, i) => mutants.push({ raw, uid: byName.get(mutantNames[i]!)! }));
  }, 60_000);

  afterAll(async () => {
    imap?.close();
    await dovecot?.stop();
  });

  it('has a corpus of at least 40 messages, all delivered', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect([...uids.values()].filter((u) => u !== undefined)).toHaveLength(files.length);
  });

  it.each(files)('%s', async (file) => {
    expect(await compare(imap, uids.get(file)!, readFileSync(CORPUS + file))).toEqual([]);
  });

  it(`${MUTATIONS} seeded mutations of the corpus`, async () => {
    const failures: string[] = [];
    for (const [i, m] of mutants.entries()) {
      const first = (await compare(imap, m.uid, m.raw))[0];
      if (first !== undefined) failures.push(`mutation ${i} (${JSON.stringify(m.raw.toString('latin1').slice(0, 300))}...): ${JSON.stringify(first)}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
