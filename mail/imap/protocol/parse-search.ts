/** SEARCH keys (RFC 3501 §6.4.4, RFC 9051 §6.4.4, CONDSTORE MODSEQ, WITHIN), sequence sets, SORT criteria. */
import { ImapError, ParseError } from '../errors.js';
import type { SeqNumber, SeqRange, SequenceSet } from '../sequence.js';
import type { SearchKey, SortKey } from './ast.js';
import type { Cursor } from './cursor.js';

const SEARCH_CHARSETS = ['US-ASCII', 'UTF-8'];

/** A charset we can search in (what TextDecoder knows), or NO [BADCHARSET]. */
export function checkCharset(charset: string): string {
  const upper = charset.toUpperCase();
  if (upper === 'US-ASCII' || upper === 'UTF-8') return upper;
  try {
    new TextDecoder(charset);
    return charset;
  } catch {
    throw new ImapError('NO', `unsupported charset ${charset}`, { name: 'BADCHARSET', args: `(${SEARCH_CHARSETS.join(' ')})` });
  }
}

function decodeText(bytes: Buffer, charset: string): string {
  if (charset === 'US-ASCII' || charset === 'UTF-8') return bytes.toString('utf8');
  return new TextDecoder(charset).decode(bytes);
}

function seqNumber(c: Cursor): SeqNumber {
  if (c.tryChar('*')) return '*';
  return c.nzNumber();
}

/** sequence-set, or "$" (SEARCHRES). */
export function sequenceSet(c: Cursor): SequenceSet {
  if (c.tryChar('$')) return { kind: 'saved' };
  const ranges: SeqRange[] = [];
  do {
    const from = seqNumber(c);
    const to = c.tryChar(':') ? seqNumber(c) : from;
    ranges.push({ from, to });
  } while (c.tryChar(','));
  return { kind: 'ranges', ranges };
}

function isSeqStart(c: Cursor): boolean {
  const b = c.peek();
  return (b >= 0x30 && b <= 0x39) || b === 0x2a || b === 0x24;
}

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', false],
  DELETED: ['\\Deleted', false],
  DRAFT: ['\\Draft', false],
  FLAGGED: ['\\Flagged', false],
  SEEN: ['\\Seen', false],
  UNANSWERED: ['\\Answered', true],
  UNDELETED: ['\\Deleted', true],
  UNDRAFT: ['\\Draft', true],
  UNFLAGGED: ['\\Flagged', true],
  UNSEEN: ['\\Seen', true],
};

const HEADER_KEYS: Record<string, string> = { FROM: 'from', TO: 'to', CC: 'cc', BCC: 'bcc', SUBJECT: 'subject' };

const DATE_KEYS: Record<string, ['internal' | 'sent', 'before' | 'on' | 'since']> = {
  BEFORE: ['internal', 'before'],
  ON: ['internal', 'on'],
  SINCE: ['internal', 'since'],
  SENTBEFORE: ['sent', 'before'],
  SENTON: ['sent', 'on'],
  SENTSINCE: ['sent', 'since'],
};

/** One search-key. */
function searchKey(c: Cursor, charset: string): SearchKey {
  if (isSeqStart(c)) return { kind: 'seq', set: sequenceSet(c) };
  if (c.tryOpenList()) {
    const keys: SearchKey[] = [];
    c.listItems(() => keys.push(searchKey(c, charset)));
    if (keys.length === 0) c.fail('empty search key list');
    return keys.length === 1 ? keys[0]! : { kind: 'and', keys };
  }
  const name = c.keyword();
  const text = (): string => {
    c.sp();
    return decodeText(c.astring(), charset);
  };
  const flag = FLAG_KEYS[name];
  if (flag !== undefined) return { kind: 'flag', flag: flag[0], not: flag[1] };
  const header = HEADER_KEYS[name];
  if (header !== undefined) return { kind: 'header', field: header, value: text() };
  const date = DATE_KEYS[name];
  if (date !== undefined) {
    c.sp();
    return { kind: 'date', on: date[0], op: date[1], date: c.date() };
  }
  switch (name) {
    case 'ALL':
      return { kind: 'all' };
    case 'NEW':
      return { kind: 'new' };
    case 'OLD':
      return { kind: 'old' };
    case 'RECENT':
      return { kind: 'recent' };
    case 'KEYWORD':
    case 'UNKEYWORD':
      c.sp();
      return { kind: 'flag', flag: c.atom(), not: name === 'UNKEYWORD' };
    case 'BODY':
      return { kind: 'body', value: text() };
    case 'TEXT':
      return { kind: 'text', value: text() };
    case 'HEADER': {
      c.sp();
      const field = c.astring().toString('latin1');
      return { kind: 'header', field: field.toLowerCase(), value: text() };
    }
    case 'LARGER':
    case 'SMALLER':
      c.sp();
      return { kind: 'size', op: name === 'LARGER' ? 'larger' : 'smaller', size: c.number() };
    case 'UID':
      c.sp();
      return { kind: 'uid', set: sequenceSet(c) };
    case 'NOT':
      c.sp();
      c.enter();
      try {
        return { kind: 'not', key: searchKey(c, charset) };
      } finally {
        c.leave();
      }
    case 'OR': {
      c.enter();
      try {
        c.sp();
        const a = searchKey(c, charset);
        c.sp();
        return { kind: 'or', a, b: searchKey(c, charset) };
      } finally {
        c.leave();
      }
    }
    case 'OLDER':
    case 'YOUNGER':
      c.sp();
      return { kind: 'within', op: name === 'OLDER' ? 'older' : 'younger', seconds: c.nzNumber() };
    case 'MODSEQ': {
      c.sp();
      // Optional entry name and type: we keep one modseq per message, so they do not narrow anything.
      if (c.peek() === 0x22) {
        c.string();
        c.sp();
        const type = c.keyword();
        if (type !== 'PRIV' && type !== 'SHARED' && type !== 'ALL') c.fail('invalid MODSEQ entry type');
        c.sp();
      }
      return { kind: 'modseq', modseq: c.modseq() };
    }
    default:
      throw new ParseError(`unknown search key ${name}`);
  }
}

/** search-key *(SP search-key) up to the end of the command, as one key. */
export function searchKeys(c: Cursor, charset: string): SearchKey {
  const keys: SearchKey[] = [searchKey(c, charset)];
  while (c.trySp() && !c.atEnd()) keys.push(searchKey(c, charset));
  return keys.length === 1 ? keys[0]! : { kind: 'and', keys };
}

const SORT_KEYS = new Set(['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO', 'DISPLAYFROM', 'DISPLAYTO']);

/** "(" sort-criterion *(SP sort-criterion) ")" (RFC 5256, RFC 5957). */
export function sortCriteria(c: Cursor): SortKey[] {
  const keys: SortKey[] = [];
  c.openList();
  c.listItems(() => {
    let reverse = false;
    let key = c.keyword();
    if (key === 'REVERSE') {
      reverse = true;
      c.sp();
      key = c.keyword();
    }
    if (!SORT_KEYS.has(key)) c.fail(`unknown sort key ${key}`);
    keys.push({ key: key as SortKey['key'], reverse });
  });
  if (keys.length === 0) c.fail('empty sort criteria');
  return keys;
}
