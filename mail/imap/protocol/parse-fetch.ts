/** FETCH data items (RFC 3501 §6.4.5, BINARY RFC 3516, CONDSTORE, PREVIEW RFC 8970) and modifiers. */
import type { FetchAtt, Partial, Section } from './ast.js';
import type { Cursor } from './cursor.js';

const MACROS: Record<string, FetchAtt['kind'][]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

const SIMPLE = new Set(['FLAGS', 'UID', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODYSTRUCTURE', 'BODY', 'MODSEQ', 'RFC822', 'RFC822.HEADER', 'RFC822.TEXT']);

/** "<" offset "." length ">" or null. */
function partial(c: Cursor): Partial | null {
  if (!c.tryChar('<')) return null;
  const offset = c.number();
  c.expect('.');
  // RFC 3501 wants a non-zero length; a zero one (seen in the wild) just gives an empty string.
  const length = c.number();
  c.expect('>');
  return { offset, length };
}

/** Part numbers and what follows them, from a dotted word like "1.2.HEADER". */
function splitPath(word: string, c: Cursor): { path: number[]; rest: string } {
  const parts = word === '' ? [] : word.split('.');
  const path: number[] = [];
  while (parts.length > 0 && /^\d+$/.test(parts[0]!)) {
    const n = Number(parts.shift());
    if (n === 0 || n > 0xffffffff) c.fail('invalid section part number');
    path.push(n);
  }
  if (path.length > 100) c.fail('section path too long');
  return { path, rest: parts.join('.') };
}

function section(c: Cursor): Section {
  c.expect('[');
  const { path, rest } = splitPath(c.word(), c);
  let sec: Section;
  switch (rest) {
    case '':
      sec = { path, text: null, fields: [] };
      break;
    case 'HEADER':
    case 'TEXT':
      sec = { path, text: rest, fields: [] };
      break;
    case 'MIME':
      if (path.length === 0) c.fail('MIME needs a part number');
      sec = { path, text: 'MIME', fields: [] };
      break;
    case 'HEADER.FIELDS':
    case 'HEADER.FIELDS.NOT': {
      c.sp();
      const fields: string[] = [];
      c.openList();
      c.listItems(() => fields.push(c.astring().toString('latin1')));
      if (fields.length === 0) c.fail('empty header list');
      sec = { path, text: rest, fields };
      break;
    }
    default:
      c.fail('invalid section');
  }
  c.expect(']');
  return sec;
}

function binaryPath(c: Cursor): number[] {
  c.expect('[');
  const { path, rest } = splitPath(c.word(), c);
  if (rest !== '') c.fail('invalid binary section');
  c.expect(']');
  return path;
}

function fetchAtt(c: Cursor, out: FetchAtt[]): void {
  const name = c.word();
  switch (name) {
    case 'BODY':
    case 'BODY.PEEK':
      if (c.peek() !== 0x5b) {
        if (name === 'BODY.PEEK') c.fail('BODY.PEEK needs a section');
        out.push({ kind: 'BODY' });
        return;
      }
      out.push({ kind: 'BODY[]', peek: name === 'BODY.PEEK', section: section(c), partial: partial(c) });
      return;
    case 'BINARY':
    case 'BINARY.PEEK':
      out.push({ kind: 'BINARY[]', peek: name === 'BINARY.PEEK', path: binaryPath(c), partial: partial(c) });
      return;
    case 'BINARY.SIZE':
      out.push({ kind: 'BINARY.SIZE', path: binaryPath(c) });
      return;
    case 'PREVIEW': {
      let lazy = false;
      if (c.peek() === 0x20 && c.peek(1) === 0x28) {
        c.sp();
        c.openList();
        c.listItems(() => {
          if (c.keyword() !== 'LAZY') c.fail('unknown PREVIEW modifier');
          lazy = true;
        });
      }
      out.push({ kind: 'PREVIEW', lazy });
      return;
    }
    default:
      if (SIMPLE.has(name)) {
        out.push({ kind: name } as FetchAtt);
        return;
      }
      c.fail(name === '' ? 'expected a fetch item' : `unknown fetch item ${name}`);
  }
}

/** The items: a macro, one item, or a parenthesised list. */
export function fetchItems(c: Cursor): FetchAtt[] {
  const out: FetchAtt[] = [];
  if (c.tryOpenList()) {
    c.listItems(() => fetchAtt(c, out));
    if (out.length === 0) c.fail('empty fetch item list');
    return out;
  }
  const start = c.save();
  const macro = MACROS[c.word()];
  if (macro !== undefined && (c.atEnd() || c.peek() === 0x20)) return macro.map((kind) => ({ kind }) as FetchAtt);
  // A single item without parentheses.
  c.restore(start);
  fetchAtt(c, out);
  return out;
}

export interface FetchModifiers {
  changedSince: number | null;
  vanished: boolean;
}

/** " (CHANGEDSINCE n VANISHED)" if present. */
export function fetchModifiers(c: Cursor): FetchModifiers {
  const mods: FetchModifiers = { changedSince: null, vanished: false };
  if (!c.trySp()) return mods;
  if (c.atEnd()) return mods;
  c.openList();
  c.listItems(() => {
    const name = c.keyword();
    if (name === 'CHANGEDSINCE') {
      c.sp();
      mods.changedSince = c.modseq();
    } else if (name === 'VANISHED') {
      mods.vanished = true;
    } else {
      c.fail(`unknown fetch modifier ${name}`);
    }
  });
  return mods;
}
