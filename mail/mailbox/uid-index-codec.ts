/**
 * The uid index on the wire: ops as small msgpack maps (message ids as 16 raw bytes),
 * checkpoints as columns of fixed-width numbers, which decode in a few milliseconds
 * for tens of thousands of messages.
 */
import { decode, encode } from '../../core/util/codec.js';
import type { LogSpec } from '../bayou/types.js';
import { flagSet, type FlagSet } from './flags.js';
import { applyIndexOp, emptyIndex, makeIndex, MESSAGE_ID, type ExpungedRange, type FlagMode, type IndexOp, type MessageEntry, type UidIndex } from './uid-index.js';

const ID_BYTES = 16;
const MODES: readonly FlagMode[] = ['add', 'remove', 'set'];

/** A malformed op or checkpoint (the log skips such an op: see mail/bayou/storage.ts). */
function bad(what: string): never {
  throw new TypeError(`uid index: malformed ${what}`);
}

function packIds(ids: readonly string[]): Buffer {
  const out = Buffer.alloc(ids.length * ID_BYTES);
  ids.forEach((id, i) => {
    if (!MESSAGE_ID.test(id)) bad(`message id ${JSON.stringify(id)}`);
    out.write(id, i * ID_BYTES, 'hex');
  });
  return out;
}

function unpackIds(bytes: unknown): string[] {
  if (!(bytes instanceof Uint8Array) || bytes.length % ID_BYTES !== 0) bad('id list');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ids: string[] = [];
  for (let at = 0; at < buf.length; at += ID_BYTES) ids.push(buf.toString('hex', at, at + ID_BYTES));
  return ids;
}

const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isFlags = (v: unknown): v is string[] => Array.isArray(v) && v.every((f) => typeof f === 'string');

export function encodeIndexOp(op: IndexOp): Buffer {
  switch (op.t) {
    case 'add':
      return encode({ t: 'a', u: op.uid, m: op.msgs.map((m) => [packIds([m.id]), [...m.flags], m.size, m.date]) });
    case 'flags':
      return encode({ t: 'f', o: MODES.indexOf(op.mode), i: packIds(op.ids), f: [...op.flags], ...(op.unchangedSince !== undefined ? { c: op.unchangedSince } : {}) });
    case 'expunge':
      return encode({ t: 'x', i: packIds(op.ids), d: op.deletedOnly });
  }
}

export function decodeIndexOp(bytes: Uint8Array): IndexOp {
  const o = decode<Record<string, unknown>>(bytes);
  if (o === null || typeof o !== 'object') bad('op');
  switch (o.t) {
    case 'a': {
      if (!isUint(o.u) || !Array.isArray(o.m)) bad('add');
      const msgs = (o.m as unknown[]).map((m) => {
        if (!Array.isArray(m) || !isFlags(m[1]) || !isUint(m[2]) || typeof m[3] !== 'number') bad('added message');
        const [id] = unpackIds(m[0]);
        if (id === undefined) bad('added message id');
        return { id, flags: flagSet(m[1] as string[]), size: m[2] as number, date: m[3] as number };
      });
      return { t: 'add', uid: o.u, msgs };
    }
    case 'f': {
      const mode = MODES[o.o as number];
      if (mode === undefined || !isFlags(o.f) || (o.c !== undefined && typeof o.c !== 'bigint')) bad('flag change');
      return { t: 'flags', mode, ids: unpackIds(o.i), flags: flagSet(o.f), ...(o.c !== undefined ? { unchangedSince: o.c as bigint } : {}) };
    }
    case 'x':
      if (typeof o.d !== 'boolean') bad('expunge');
      return { t: 'expunge', ids: unpackIds(o.i), deletedOnly: o.d };
    default:
      return bad(`op type ${String(o.t)}`);
  }
}

export function encodeIndex(s: UidIndex): Buffer {
  const msgs = s.messages.toArray();
  const n = msgs.length;
  const uid = Buffer.alloc(4 * n);
  const modseq = Buffer.alloc(8 * n);
  const size = Buffer.alloc(8 * n);
  const date = Buffer.alloc(8 * n);
  const flagIndex = Buffer.alloc(4 * n);
  const sets: FlagSet[] = [];
  const setIndex = new Map<string, number>();
  msgs.forEach((m, i) => {
    uid.writeUInt32LE(m.uid, 4 * i);
    modseq.writeBigUInt64LE(m.modseq, 8 * i);
    size.writeDoubleLE(m.size, 8 * i);
    date.writeDoubleLE(m.date, 8 * i);
    const key = m.flags.join(' ');
    let f = setIndex.get(key);
    if (f === undefined) {
      setIndex.set(key, (f = sets.length));
      sets.push(m.flags);
    }
    flagIndex.writeUInt32LE(f, 4 * i);
  });
  const ranges = s.expunged.toArray();
  const xs = Buffer.alloc(8 * ranges.length);
  const xm = Buffer.alloc(8 * ranges.length);
  ranges.forEach((r, i) => {
    xs.writeUInt32LE(r.start, 8 * i);
    xs.writeUInt32LE(r.end, 8 * i + 4);
    xm.writeBigUInt64LE(r.modseq, 8 * i);
  });
  return encode({
    v: 1,
    b: s.uidvalidityBump,
    n: s.uidnext,
    h: s.highestModseq,
    uid,
    id: packIds(msgs.map((m) => m.id)),
    ms: modseq,
    sz: size,
    dt: date,
    fs: sets.map((f) => [...f]),
    fi: flagIndex,
    xs,
    xm,
    rm: packIds(s.removed.toArray().map((r) => r.id)),
  });
}

function column(v: unknown, width: number, n: number): Buffer {
  if (!(v instanceof Uint8Array) || v.length !== width * n) bad('checkpoint column');
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function decodeIndex(bytes: Uint8Array): UidIndex {
  const o = decode<Record<string, unknown>>(bytes);
  if (o?.v !== 1 || !isUint(o.b) || !isUint(o.n) || typeof o.h !== 'bigint' || !Array.isArray(o.fs) || !o.fs.every(isFlags)) bad('checkpoint');
  const ids = unpackIds(o.id);
  const n = ids.length;
  const [uid, ms, sz, dt, fi] = [column(o.uid, 4, n), column(o.ms, 8, n), column(o.sz, 8, n), column(o.dt, 8, n), column(o.fi, 4, n)];
  const sets = (o.fs as string[][]).map((f) => flagSet(f));
  const messages: MessageEntry[] = ids.map((id, i) => ({
    id,
    uid: uid.readUInt32LE(4 * i),
    modseq: ms.readBigUInt64LE(8 * i),
    size: sz.readDoubleLE(8 * i),
    date: dt.readDoubleLE(8 * i),
    flags: sets[fi.readUInt32LE(4 * i)] ?? bad('flag set index'),
  }));
  const xm = o.xm instanceof Uint8Array ? o.xm : bad('expunged');
  const k = xm.length / 8;
  const [xs, xmod] = [column(o.xs, 8, k), column(xm, 8, k)];
  const expunged: ExpungedRange[] = [];
  for (let i = 0; i < k; i++) expunged.push({ seq: i, start: xs.readUInt32LE(8 * i), end: xs.readUInt32LE(8 * i + 4), modseq: xmod.readBigUInt64LE(8 * i) });
  return makeIndex({ uidvalidityBump: o.b, uidnext: o.n, highestModseq: o.h, messages, expunged, removed: unpackIds(o.rm) });
}

/** The uid index as a Bayou log. */
export const uidIndexSpec: LogSpec<UidIndex, IndexOp> = {
  kind: 'uid-index',
  initial: emptyIndex,
  apply: applyIndexOp,
  encodeOp: encodeIndexOp,
  decodeOp: decodeIndexOp,
  encodeState: encodeIndex,
  decodeState: decodeIndex,
};
