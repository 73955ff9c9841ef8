/**
 * SEARCH keys against the selected mailbox (RFC 3501 §6.4.4, RFC 9051): string
 * keys are case-insensitive substring matches on decoded text; date keys compare
 * days (UTC); HEADER reads only the header bytes, BODY/TEXT the body. Conjunctions
 * try the cheap keys first, so "UNSEEN BODY x" opens only unseen messages.
 */
import { asciiLower, equalsIgnoreCase } from '../../mailbox/summary/ascii.js';
import { decodeCharset, decodeHeader, decodeTransfer } from '../../mailbox/summary/decode.js';
import type { BodyPart, MessageSummary } from '../../mailbox/summary/types.js';
import type { MessageMeta } from '../backend.js';
import type { SearchKey } from '../protocol/ast.js';
import type { SelectedMailbox } from '../session/selected.js';

const DAY = 86_400_000;
const BATCH = 200;
/** Body bytes searched per text part: enough for any real message, bounded for hostile ones. */
const MAX_TEXT_BYTES = 16 * 1024 * 1024;

/** What a key needs to be decided: 0 flags and sizes, 1 the summary, 2 header bytes, 3 body bytes. */
function cost(key: SearchKey): number {
  switch (key.kind) {
    case 'header':
      return ['from', 'to', 'cc', 'bcc', 'subject'].includes(key.field) ? 1 : 2;
    case 'date':
      return key.on === 'sent' ? 1 : 0;
    case 'body':
    case 'text':
      return 3;
    case 'not':
      return cost(key.key);
    case 'or':
      return Math.max(cost(key.a), cost(key.b));
    case 'and':
      return Math.max(0, ...key.keys.map(cost));
    default:
      return 0;
  }
}

/** What one message offers to the evaluation, loaded on first use. */
class Candidate {
  private headerText: Promise<Buffer | undefined> | null = null;
  private bodyText: Promise<string | undefined> | null = null;

  constructor(
    readonly index: number,
    readonly meta: MessageMeta,
    readonly summary: MessageSummary | undefined,
    private readonly sel: SelectedMailbox,
  ) {}

  header(): Promise<Buffer | undefined> {
    if (this.summary === undefined) return Promise.resolve(undefined);
    this.headerText ??= this.sel.mailbox.read(this.meta.uid, 0, this.summary.body.bodyStart);
    return this.headerText;
  }

  /** The decoded text of every text part (what BODY searches), lower-cased. */
  body(): Promise<string | undefined> {
    this.bodyText ??= this.loadBody();
    return this.bodyText;
  }

  private async loadBody(): Promise<string | undefined> {
    const summary = this.summary;
    if (summary === undefined) return undefined;
    const parts = textParts(summary.body);
    const texts: string[] = [];
    for (const p of parts) {
      const bytes = await this.sel.mailbox.read(this.meta.uid, p.bodyStart, Math.min(p.end, p.bodyStart + MAX_TEXT_BYTES));
      if (bytes === undefined) return undefined;
      texts.push(decodeCharset(decodeTransfer(bytes, p.encoding), charsetOf(p)));
    }
    return texts.join('\n').toLowerCase();
  }
}

function charsetOf(p: BodyPart): string | null {
  for (let i = 0; i + 1 < p.params.length; i += 2) if (equalsIgnoreCase(p.params[i]!, 'charset')) return p.params[i + 1]!;
  return null;
}

/** Leaf parts holding text: text/* (and a message without MIME structure). */
function textParts(root: BodyPart): BodyPart[] {
  const out: BodyPart[] = [];
  const walk = (p: BodyPart): void => {
    if (p.kind === 'single') {
      if (equalsIgnoreCase(p.type, 'text')) out.push(p);
    } else {
      for (const c of p.parts ?? []) walk(c);
    }
  };
  walk(root);
  return out;
}

function dayOf(ms: number): number {
  return Math.floor(ms / DAY) * DAY;
}

function compareDay(ms: number, op: 'before' | 'on' | 'since', day: number): boolean {
  const d = dayOf(ms);
  return op === 'before' ? d < day : op === 'on' ? d === day : d >= day;
}

/** Header fields named `name` (lower case) in a header block, decoded. */
function headerValues(header: Buffer, name: string): string[] {
  const text = header.toString('latin1').replace(/\r?\n[ \t]/g, ' ');
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && asciiLower(line.slice(0, colon).trim()) === name) out.push(decodeHeader(line.slice(colon + 1).trim()));
  }
  return out;
}

export interface SearchScope {
  sel: SelectedMailbox;
  now: number;
}

class Evaluator {
  /** Sets of indices for seq/uid keys, resolved once. */
  private readonly sets = new Map<SearchKey, Set<number>>();

  constructor(private readonly scope: SearchScope) {}

  private setOf(key: Extract<SearchKey, { kind: 'seq' | 'uid' }>): Set<number> {
    let s = this.sets.get(key);
    if (s === undefined) this.sets.set(key, (s = new Set(this.scope.sel.resolve(key.set, key.kind === 'uid'))));
    return s;
  }

  async matches(key: SearchKey, m: Candidate): Promise<boolean> {
    switch (key.kind) {
      case 'all':
        return true;
      case 'seq':
      case 'uid':
        return this.setOf(key).has(m.index);
      case 'flag': {
        const has = key.flag.startsWith('\\') ? m.meta.flags.includes(key.flag) : m.meta.flags.some((f) => equalsIgnoreCase(f, key.flag));
        return has !== key.not;
      }
      case 'recent':
      case 'new':
        // No session ever owns \Recent here.
        return false;
      case 'old':
        return true;
      case 'size':
        return key.op === 'larger' ? m.meta.size > key.size : m.meta.size < key.size;
      case 'modseq':
        return m.meta.modseq >= key.modseq;
      case 'within': {
        const age = this.scope.now - m.meta.internalDate;
        return key.op === 'older' ? age >= key.seconds * 1000 : age < key.seconds * 1000;
      }
      case 'date': {
        if (key.on === 'internal') return compareDay(m.meta.internalDate, key.op, key.date);
        if (m.summary === undefined) return false;
        return compareDay(m.summary.search.date ?? m.meta.internalDate, key.op, key.date);
      }
      case 'header':
        return this.header(key.field, key.value.toLowerCase(), m);
      case 'body': {
        const body = await m.body();
        return body !== undefined && body.includes(key.value.toLowerCase());
      }
      case 'text': {
        const needle = key.value.toLowerCase();
        const header = await m.header();
        if (header !== undefined && decodeHeader(header.toString('latin1')).toLowerCase().includes(needle)) return true;
        const body = await m.body();
        return body !== undefined && body.includes(needle);
      }
      case 'not':
        return !(await this.matches(key.key, m));
      case 'or':
        return (await this.matches(key.a, m)) || (await this.matches(key.b, m));
      case 'and':
        for (const k of [...key.keys].sort((a, b) => cost(a) - cost(b))) if (!(await this.matches(k, m))) return false;
        return true;
    }
  }

  private async header(field: string, needle: string, m: Candidate): Promise<boolean> {
    const s = m.summary?.search;
    if (s === undefined) return false;
    if (field === 'from' || field === 'to' || field === 'cc' || field === 'bcc' || field === 'subject') {
      return s[field].includes(needle);
    }
    // An empty string matches every message that has the field (RFC 3501).
    if (needle === '') return s.headerNames.includes(field);
    if (!s.headerNames.includes(field)) return false;
    const header = await m.header();
    return header !== undefined && headerValues(header, field).some((v) => v.toLowerCase().includes(needle));
  }
}

/** Indices (ascending) of the messages of the view matching `key`. */
export async function searchMailbox(scope: SearchScope, key: SearchKey): Promise<number[]> {
  const { sel } = scope;
  const ev = new Evaluator(scope);
  const needSummary = cost(key) > 0;
  const out: number[] = [];
  for (let b = 0; b < sel.count; b += BATCH) {
    const end = Math.min(sel.count, b + BATCH);
    const metas: MessageMeta[] = [];
    for (let i = b; i < end; i++) metas.push(sel.meta(i));
    const summaries = needSummary ? await sel.mailbox.summaries(metas.map((m) => m.uid)) : null;
    for (let i = b; i < end; i++) {
      const c = new Candidate(i, metas[i - b]!, summaries?.[i - b], sel);
      if (await ev.matches(key, c)) out.push(i);
    }
  }
  return out;
}

/** Whether the key uses MODSEQ (then the result carries the highest modseq, RFC 7162 §3.1.5). */
export function usesModseq(key: SearchKey): boolean {
  switch (key.kind) {
    case 'modseq':
      return true;
    case 'not':
      return usesModseq(key.key);
    case 'or':
      return usesModseq(key.a) || usesModseq(key.b);
    case 'and':
      return key.keys.some(usesModseq);
    default:
      return false;
  }
}
