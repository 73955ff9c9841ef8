/**
 * A framed command to a Command (RFC 3501 / 9051 grammar and the extensions we
 * advertise). Never throws: the result is the command or the error to answer with
 * (with the tag when the line had a readable one).
 */
import { SPECIAL_USES, type SpecialUse } from '../backend.js';
import { ImapError, ParseError } from '../errors.js';
import { decodeMailboxName, decodeMutf7 } from '../mailbox-name.js';
import { isUtf8 } from 'node:buffer';
import { STATUS_ITEMS, type AppendItem, type Command, type ListReturn, type ListSelection, type QresyncParams, type SearchReturn, type StatusItem } from './ast.js';
import { Cursor } from './cursor.js';
import { fetchItems, fetchModifiers } from './parse-fetch.js';
import { checkCharset, searchKeys, sequenceSet, sortCriteria } from './parse-search.js';
import type { RawCommand } from './reader.js';

export type ParseResult = { ok: true; tag: string; command: Command } | { ok: false; tag: string | null; error: ImapError };

export interface ParseOptions {
  /** How deep parenthesised lists (and OR/NOT chains) may nest. */
  maxDepth: number;
}

function mailbox(c: Cursor): string {
  return decodeMailboxName(c.astring());
}

/** A LIST reference or pattern: the name's text without canonicalisation. */
function listText(bytes: Buffer): string {
  if (bytes.every((b) => b < 0x80)) return decodeMutf7(bytes.toString('latin1'));
  if (!isUtf8(bytes)) throw new ParseError('pattern is neither modified UTF-7 nor UTF-8');
  return bytes.toString('utf8');
}

function noArgs(name: 'CAPABILITY' | 'NOOP' | 'LOGOUT' | 'STARTTLS' | 'NAMESPACE' | 'IDLE' | 'CHECK' | 'CLOSE' | 'UNSELECT') {
  return (c: Cursor): Command => {
    c.end();
    return { name };
  };
}

function login(c: Cursor): Command {
  c.sp();
  const user = c.astringText();
  c.sp();
  const password = c.astringText();
  c.end();
  return { name: 'LOGIN', user, password };
}

function authenticate(c: Cursor): Command {
  c.sp();
  const mechanism = c.keyword();
  let initial: string | null = null;
  if (c.trySp() && !c.atEnd()) {
    initial = c.tryChar('=') ? '' : c.atom();
  }
  c.end();
  return { name: 'AUTHENTICATE', mechanism, initial };
}

function id(c: Cursor): Command {
  c.sp();
  if (!c.tryOpenList()) {
    if (c.keyword() !== 'NIL') c.fail('expected NIL or a list');
    c.end();
    return { name: 'ID', params: null };
  }
  const params: Array<[string, string | null]> = [];
  c.listItems(() => {
    const key = c.string().toString('utf8');
    c.sp();
    const value = c.nstring();
    if (params.length < 30) params.push([key.slice(0, 30), value === null ? null : value.toString('utf8').slice(0, 1024)]);
  });
  c.end();
  return { name: 'ID', params };
}

function enable(c: Cursor): Command {
  const capabilities: string[] = [];
  do {
    c.sp();
    capabilities.push(c.keyword());
  } while (!c.atEnd() && c.peek() === 0x20 && c.peek(1) !== -1);
  c.end();
  return { name: 'ENABLE', capabilities };
}

function qresyncParams(c: Cursor): QresyncParams {
  c.sp();
  c.openList();
  const uidValidity = c.nzNumber();
  c.sp();
  const modseq = c.modseq();
  let knownUids = null;
  let seqMatch = null;
  if (c.trySp()) {
    if (c.peek() !== 0x28) {
      knownUids = sequenceSet(c);
      c.trySp();
    }
    if (c.tryOpenList()) {
      const seqs = sequenceSet(c);
      c.sp();
      const uids = sequenceSet(c);
      c.closeList();
      seqMatch = { seqs, uids };
    }
  }
  c.closeList();
  return { uidValidity, modseq, knownUids, seqMatch };
}

function select(name: 'SELECT' | 'EXAMINE') {
  return (c: Cursor): Command => {
    c.sp();
    const box = mailbox(c);
    let condstore = false;
    let qresync: QresyncParams | null = null;
    if (c.trySp() && !c.atEnd()) {
      c.openList();
      c.listItems(() => {
        const p = c.keyword();
        if (p === 'CONDSTORE') condstore = true;
        else if (p === 'QRESYNC') qresync = qresyncParams(c);
        else c.fail(`unknown select parameter ${p}`);
      });
    }
    c.end();
    return { name, mailbox: box, condstore, qresync };
  };
}

function create(c: Cursor): Command {
  c.sp();
  const box = mailbox(c);
  let specialUse: SpecialUse | null = null;
  if (c.trySp() && !c.atEnd()) {
    c.openList();
    c.listItems(() => {
      if (c.keyword() !== 'USE') c.fail('unknown CREATE parameter');
      c.sp();
      c.openList();
      c.listItems(() => {
        const flag = c.flag();
        const known = SPECIAL_USES.find((u) => u.toLowerCase() === flag.toLowerCase());
        if (known === undefined) throw new ImapError('NO', `unknown special use ${flag}`, { name: 'CLIENTBUG' });
        if (specialUse !== null) throw new ImapError('NO', 'only one special use per mailbox', { name: 'LIMIT' });
        specialUse = known;
      });
    });
  }
  c.end();
  return { name: 'CREATE', mailbox: box, specialUse };
}

function oneMailbox(name: 'DELETE' | 'SUBSCRIBE' | 'UNSUBSCRIBE') {
  return (c: Cursor): Command => {
    c.sp();
    const box = mailbox(c);
    c.end();
    return { name, mailbox: box };
  };
}

function rename(c: Cursor): Command {
  c.sp();
  const from = mailbox(c);
  c.sp();
  const to = mailbox(c);
  c.end();
  return { name: 'RENAME', from, to };
}

function statusItems(c: Cursor): StatusItem[] {
  const items: StatusItem[] = [];
  c.openList();
  c.listItems(() => {
    const item = c.keyword() as StatusItem;
    if (!STATUS_ITEMS.includes(item)) c.fail(`unknown status item ${item}`);
    if (!items.includes(item)) items.push(item);
  });
  return items;
}

function list(c: Cursor): Command {
  c.sp();
  const selection: ListSelection = { subscribed: false, remote: false, recursiveMatch: false, specialUse: false };
  const returns: ListReturn = { subscribed: false, children: false, specialUse: false, status: null };
  let extended = false;
  if (c.tryOpenList()) {
    extended = true;
    c.listItems(() => {
      const opt = c.keyword();
      if (opt === 'SUBSCRIBED') selection.subscribed = true;
      else if (opt === 'REMOTE') selection.remote = true;
      else if (opt === 'RECURSIVEMATCH') selection.recursiveMatch = true;
      else if (opt === 'SPECIAL-USE') selection.specialUse = true;
      else c.fail(`unknown LIST selection option ${opt}`);
    });
    if (selection.recursiveMatch && !selection.subscribed && !selection.specialUse) c.fail('RECURSIVEMATCH needs another selection option');
    c.sp();
  }
  const reference = listText(c.astring());
  c.sp();
  const patterns: string[] = [];
  if (c.tryOpenList()) {
    extended = true;
    c.listItems(() => patterns.push(listText(c.listMailbox())));
  } else {
    patterns.push(listText(c.listMailbox()));
  }
  if (c.trySp() && !c.atEnd()) {
    if (c.keyword() !== 'RETURN') c.fail('expected RETURN');
    extended = true;
    c.sp();
    c.openList();
    c.listItems(() => {
      const opt = c.keyword();
      if (opt === 'SUBSCRIBED') returns.subscribed = true;
      else if (opt === 'CHILDREN') returns.children = true;
      else if (opt === 'SPECIAL-USE') returns.specialUse = true;
      else if (opt === 'STATUS') {
        c.sp();
        returns.status = statusItems(c);
      } else c.fail(`unknown LIST return option ${opt}`);
    });
  }
  c.end();
  return { name: 'LIST', reference, patterns, selection, returns, extended };
}

function lsub(c: Cursor): Command {
  c.sp();
  const reference = listText(c.astring());
  c.sp();
  const pattern = listText(c.listMailbox());
  c.end();
  return { name: 'LSUB', reference, pattern };
}

function status(c: Cursor): Command {
  c.sp();
  const box = mailbox(c);
  c.sp();
  const items = statusItems(c);
  c.end();
  return { name: 'STATUS', mailbox: box, items };
}

function append(c: Cursor): Command {
  c.sp();
  const box = mailbox(c);
  const messages: AppendItem[] = [];
  do {
    c.sp();
    let flags: string[] = [];
    let date: number | null = null;
    if (c.peek() === 0x28) {
      flags = c.flagList();
      c.sp();
    }
    if (c.peek() === 0x22) {
      date = c.dateTime();
      c.sp();
    }
    let data: Buffer;
    if (c.tryWord('UTF8 ')) {
      // RFC 6855: the message is a literal8 inside parentheses.
      c.openList();
      data = c.messageLiteral().data;
      c.closeList();
    } else {
      data = c.messageLiteral().data;
    }
    messages.push({ flags, date, data });
  } while (!c.atEnd() && c.peek() === 0x20 && c.peek(1) !== -1);
  c.end();
  return { name: 'APPEND', mailbox: box, messages };
}

function searchReturn(c: Cursor): SearchReturn[] | null {
  if (!c.tryWord('RETURN ')) return null;
  const opts: SearchReturn[] = [];
  c.openList();
  c.listItems(() => {
    const opt = c.keyword();
    if (opt !== 'MIN' && opt !== 'MAX' && opt !== 'COUNT' && opt !== 'ALL' && opt !== 'SAVE') c.fail(`unknown search return option ${opt}`);
    if (!opts.includes(opt)) opts.push(opt);
  });
  c.sp();
  return opts;
}

function search(uid: boolean) {
  return (c: Cursor): Command => {
    c.sp();
    const returns = searchReturn(c);
    let charset: string | null = null;
    if (c.tryWord('CHARSET ')) {
      charset = checkCharset(c.astring().toString('latin1'));
      c.sp();
    }
    const key = searchKeys(c, charset ?? 'UTF-8');
    c.end();
    return { name: 'SEARCH', uid, returns, charset, key };
  };
}

function fetch(uid: boolean) {
  return (c: Cursor): Command => {
    c.sp();
    const set = sequenceSet(c);
    c.sp();
    const items = fetchItems(c);
    const mods = fetchModifiers(c);
    c.end();
    if (mods.vanished && (!uid || mods.changedSince === null)) c.fail('VANISHED needs UID FETCH with CHANGEDSINCE');
    return { name: 'FETCH', uid, set, items, changedSince: mods.changedSince, vanished: mods.vanished };
  };
}

function store(uid: boolean) {
  return (c: Cursor): Command => {
    c.sp();
    const set = sequenceSet(c);
    c.sp();
    let unchangedSince: number | null = null;
    if (c.tryOpenList()) {
      c.listItems(() => {
        if (c.keyword() !== 'UNCHANGEDSINCE') c.fail('unknown STORE modifier');
        c.sp();
        unchangedSince = c.modseq();
      });
      c.sp();
    }
    const mode = c.tryChar('+') ? 'add' : c.tryChar('-') ? 'remove' : 'replace';
    const item = c.keyword();
    if (item !== 'FLAGS' && item !== 'FLAGS.SILENT') c.fail('expected FLAGS or FLAGS.SILENT');
    c.sp();
    const flags = c.flagList(true);
    c.end();
    return { name: 'STORE', uid, set, unchangedSince, mode, silent: item === 'FLAGS.SILENT', flags };
  };
}

function copy(name: 'COPY' | 'MOVE', uid: boolean) {
  return (c: Cursor): Command => {
    c.sp();
    const set = sequenceSet(c);
    c.sp();
    const box = mailbox(c);
    c.end();
    return { name, uid, set, mailbox: box };
  };
}

function expunge(uid: boolean) {
  return (c: Cursor): Command => {
    let uids = null;
    if (uid) {
      c.sp();
      uids = sequenceSet(c);
    }
    c.end();
    return { name: 'EXPUNGE', uids };
  };
}

function sort(uid: boolean) {
  return (c: Cursor): Command => {
    c.sp();
    const returns = searchReturn(c);
    const keys = sortCriteria(c);
    c.sp();
    const charset = checkCharset(c.astring().toString('latin1'));
    c.sp();
    const key = searchKeys(c, charset);
    c.end();
    return { name: 'SORT', uid, returns, keys, charset, key };
  };
}

function thread(uid: boolean) {
  return (c: Cursor): Command => {
    c.sp();
    const algorithm = c.keyword();
    if (algorithm !== 'REFERENCES' && algorithm !== 'ORDEREDSUBJECT') throw new ImapError('NO', `unsupported thread algorithm ${algorithm}`, { name: 'CANNOT' });
    c.sp();
    const charset = checkCharset(c.astring().toString('latin1'));
    c.sp();
    const key = searchKeys(c, charset);
    c.end();
    return { name: 'THREAD', uid, algorithm, charset, key };
  };
}

function compress(c: Cursor): Command {
  c.sp();
  const mechanism = c.keyword();
  c.end();
  return { name: 'COMPRESS', mechanism };
}

type Parser = (c: Cursor) => Command;

const COMMANDS: Record<string, Parser> = {
  CAPABILITY: noArgs('CAPABILITY'),
  NOOP: noArgs('NOOP'),
  LOGOUT: noArgs('LOGOUT'),
  STARTTLS: noArgs('STARTTLS'),
  NAMESPACE: noArgs('NAMESPACE'),
  IDLE: noArgs('IDLE'),
  CHECK: noArgs('CHECK'),
  CLOSE: noArgs('CLOSE'),
  UNSELECT: noArgs('UNSELECT'),
  LOGIN: login,
  AUTHENTICATE: authenticate,
  ID: id,
  ENABLE: enable,
  SELECT: select('SELECT'),
  EXAMINE: select('EXAMINE'),
  CREATE: create,
  DELETE: oneMailbox('DELETE'),
  SUBSCRIBE: oneMailbox('SUBSCRIBE'),
  UNSUBSCRIBE: oneMailbox('UNSUBSCRIBE'),
  RENAME: rename,
  LIST: list,
  LSUB: lsub,
  STATUS: status,
  APPEND: append,
  EXPUNGE: expunge(false),
  SEARCH: search(false),
  FETCH: fetch(false),
  STORE: store(false),
  COPY: copy('COPY', false),
  MOVE: copy('MOVE', false),
  SORT: sort(false),
  THREAD: thread(false),
  COMPRESS: compress,
};

const UID_COMMANDS: Record<string, Parser> = {
  EXPUNGE: expunge(true),
  SEARCH: search(true),
  FETCH: fetch(true),
  STORE: store(true),
  COPY: copy('COPY', true),
  MOVE: copy('MOVE', true),
  SORT: sort(true),
  THREAD: thread(true),
};

export function parseCommand(raw: RawCommand, opts: ParseOptions): ParseResult {
  const c = new Cursor(raw, opts.maxDepth);
  let tag: string | null = null;
  try {
    tag = c.tag();
    c.sp();
    let name = c.keyword();
    let parser = COMMANDS[name];
    if (name === 'UID') {
      c.sp();
      name = c.keyword();
      parser = UID_COMMANDS[name];
    }
    if (parser === undefined) throw new ParseError(`unknown command ${name.slice(0, 32)}`);
    return { ok: true, tag, command: parser(c) };
  } catch (e) {
    if (e instanceof ImapError) return { ok: false, tag, error: e };
    // A bug, not the client's fault; still an answer, never a crash.
    return { ok: false, tag, error: new ImapError('BAD', 'internal parser error', { name: 'SERVERBUG' }) };
  }
}
