/**
 * SEARCH over a mailbox. Criteria are checked against the cheapest data that answers
 * them: the uid index (flags, UIDs, size, INTERNALDATE, MODSEQ), then the meta rows
 * (header fields, Date, from the summary's normalised search fields), and only for
 * BODY/TEXT the bodies themselves. Conjuncts that the index answers are applied first
 * so the metas and bodies read are only those of remaining candidates.
 *
 * Text matches are case-insensitive substring matches on decoded text (RFC 2047 words,
 * transfer encodings and charsets undone), whitespace collapsed. INTERNALDATE compares
 * by its UTC day, the Date header by the day it names (in its own time zone).
 */
import { collapseWhitespace, decodeCharset, decodeHeader, decodeTransfer } from '../mailbox/summary/decode.js';
import { headerString, parseHeaderBlock } from '../mailbox/summary/headers.js';
import type { BodyPart, SearchFields } from '../mailbox/summary/types.js';
import { hasFlag } from '../mailbox/flags.js';
import type { MessageMeta } from '../mailbox/message-meta.js';
import type { MessageEntry } from '../mailbox/uid-index.js';

export type AddressField = 'from' | 'to' | 'cc' | 'bcc' | 'subject';
export type DateComparison = 'before' | 'on' | 'since';

export type SearchKey =
  | { type: 'all' }
  /** UID ranges [start, end] inclusive (the IMAP layer turns sequence sets and $ into these). */
  | { type: 'uid'; ranges: readonly (readonly [number, number])[] }
  /** A flag or keyword set (present) or not (\Recent is never set). */
  | { type: 'flag'; flag: string; present: boolean }
  | { type: 'size'; larger: boolean; octets: number }
  | { type: 'modseq'; modseq: bigint }
  /** INTERNALDATE (BEFORE/ON/SINCE) or the Date header (SENTBEFORE/SENTON/SENTSINCE); day = "YYYY-MM-DD". */
  | { type: 'date'; sent: boolean; cmp: DateComparison; day: string }
  | { type: 'header'; field: AddressField; text: string }
  /** HEADER name text; an empty text matches every message having the field. */
  | { type: 'headerField'; name: string; text: string }
  /** BODY (body: true) or TEXT (header and body). */
  | { type: 'text'; body: boolean; text: string }
  | { type: 'not'; key: SearchKey }
  | { type: 'and'; keys: readonly SearchKey[] }
  | { type: 'or'; keys: readonly SearchKey[] };

/** What a check needs beyond the index entry. */
type Tier = 0 | 1 | 2;
const INDEX: Tier = 0;
const META: Tier = 1;
const BODY: Tier = 2;

function tierOf(key: SearchKey): Tier {
  switch (key.type) {
    case 'header':
    case 'headerField':
      return META;
    case 'date':
      return key.sent ? META : INDEX;
    case 'text':
      return BODY;
    case 'not':
      return tierOf(key.key);
    case 'and':
    case 'or':
      return key.keys.reduce<Tier>((t, k) => Math.max(t, tierOf(k)) as Tier, INDEX);
    default:
      return INDEX;
  }
}

export interface MessageData {
  entry: MessageEntry;
  meta?: MessageMeta;
  /** The raw message. */
  body?: Buffer;
}

const norm = (text: string): string => collapseWhitespace(text).toLowerCase();
const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DATE_DAY = /(\d{1,2})\s+([a-z]{3})[a-z]*\s+(\d{2,4})/i;

/** The calendar day a Date header names, in its own time zone (RFC 9051 SENT*), else the UTC day of its instant. */
function sentDay(meta: MessageMeta): string | null {
  const m = DATE_DAY.exec(meta.summary.envelope.date ?? '');
  const month = m === null ? -1 : MONTHS.indexOf(m[2]!.toLowerCase());
  if (m !== null && month >= 0) {
    const y = Number(m[3]);
    const year = m[3]!.length === 4 ? y : y < 50 ? 2000 + y : 1900 + y;
    return `${year}-${String(month + 1).padStart(2, '0')}-${m[1]!.padStart(2, '0')}`;
  }
  const ms = meta.summary.search.date;
  return ms === null ? null : utcDay(ms);
}

function compareDay(d: string | null, cmp: DateComparison, day: string): boolean {
  if (d === null) return false;
  return cmp === 'before' ? d < day : cmp === 'on' ? d === day : d >= day;
}

function headerBlock(m: MessageData): Buffer {
  const end = m.meta!.summary.body.bodyStart;
  return m.meta!.header ?? m.body?.subarray(0, end) ?? Buffer.alloc(0);
}

function headerValues(m: MessageData, name: string): string[] {
  const lower = name.toLowerCase();
  const block = headerBlock(m);
  return parseHeaderBlock(block, 0, () => false)
    .fields.filter((f) => f.name.toLowerCase() === lower)
    .map((f) => norm(decodeHeader(headerString(f.value))));
}

/** The decoded text of the text parts below `part` (attachments of other types are not searched). */
function bodyText(raw: Buffer, part: BodyPart, out: string[]): void {
  if (part.parts !== undefined) {
    for (const p of part.parts) bodyText(raw, p, out);
    return;
  }
  if (part.type.toLowerCase() !== 'text') return;
  let charset: string | null = null;
  for (let i = 0; i + 1 < part.params.length; i += 2) if (part.params[i]!.toLowerCase() === 'charset') charset = part.params[i + 1]!;
  out.push(decodeCharset(decodeTransfer(raw.subarray(part.bodyStart, part.end), part.encoding), charset));
}

/** Does message `m` match? `m` must carry the meta / body the key's tier needs. */
export function matches(key: SearchKey, m: MessageData): boolean {
  const e = m.entry;
  switch (key.type) {
    case 'all':
      return true;
    case 'uid':
      return key.ranges.some(([a, b]) => e.uid >= a && e.uid <= b);
    case 'flag':
      return hasFlag(e.flags, key.flag) === key.present;
    case 'size':
      return key.larger ? e.size > key.octets : e.size < key.octets;
    case 'modseq':
      return e.modseq >= key.modseq;
    case 'date':
      return compareDay(key.sent ? sentDay(m.meta!) : utcDay(e.date), key.cmp, key.day);
    case 'header':
      return (m.meta!.summary.search[key.field] as SearchFields[AddressField]).includes(norm(key.text));
    case 'headerField': {
      if (key.text === '') return m.meta!.summary.search.headerNames.includes(key.name.toLowerCase());
      const needle = norm(key.text);
      return headerValues(m, key.name).some((v) => v.includes(needle));
    }
    case 'text': {
      const needle = norm(key.text);
      const parts: string[] = [];
      bodyText(m.body!, m.meta!.summary.body, parts);
      if (parts.some((t) => norm(t).includes(needle))) return true;
      return !key.body && norm(decodeHeader(headerBlock(m).toString('latin1'))).includes(needle);
    }
    case 'not':
      return !matches(key.key, m);
    case 'and':
      return key.keys.every((k) => matches(k, m));
    case 'or':
      return key.keys.some((k) => matches(k, m));
  }
}

/** Whether checking `key` reads message bodies (BODY / TEXT). */
export function needsBodies(key: SearchKey): boolean {
  return tierOf(key) === BODY;
}

/** The conjuncts of `key` the index alone answers, and the rest. */
export function splitByTier(key: SearchKey): { index: SearchKey[]; rest: SearchKey[] } {
  const keys = key.type === 'and' ? key.keys : [key];
  return { index: keys.filter((k) => tierOf(k) === INDEX), rest: keys.filter((k) => tierOf(k) !== INDEX) };
}
