/**
 * SORT (RFC 5256 §3) and SORT=DISPLAY (RFC 5957): sort keys of a message, the base
 * subject (RFC 5256 §2.1, shared with THREAD), and the comparison (i;ascii-casemap,
 * ties broken by sequence number).
 */
import { asciiLower } from '../../mailbox/summary/ascii.js';
import { decodeHeader } from '../../mailbox/summary/decode.js';
import type { Address, MessageSummary } from '../../mailbox/summary/types.js';
import type { MessageMeta } from '../backend.js';
import type { SortKey } from '../protocol/ast.js';

/** RFC 5256 §2.1: the subject without reply/forward markers, list tags and "(fwd)" trailers. */
export function baseSubject(raw: string | null): string {
  if (raw === null) return '';
  let s = decodeHeader(raw).replace(/\s+/g, ' ').trim();
  for (;;) {
    const before = s;
    // (2) trailers
    s = s.replace(/(\s*\(fwd\))+\s*$/i, '').trim();
    // (3)/(4) leaders and leading blobs, as long as something is left
    for (;;) {
      const leader = /^(\[[^[\]]*\]\s*)*(re|fwd?)\s*(\[[^[\]]*\])?\s*:\s*/i.exec(s);
      if (leader !== null && leader[0].length > 0) {
        s = s.slice(leader[0].length);
        continue;
      }
      const blob = /^\[[^[\]]*\]\s*/.exec(s);
      if (blob !== null && blob[0].length < s.length) {
        s = s.slice(blob[0].length);
        continue;
      }
      break;
    }
    // (6) [fwd: ...]
    const fwd = /^\[fwd:\s*(.*)\]$/i.exec(s);
    if (fwd !== null) s = fwd[1]!.trim();
    if (s === before) return s.toUpperCase();
  }
}

/** Whether the subject had a reply/forward marker (used by THREAD's subject grouping). */
export function isReplySubject(raw: string | null): boolean {
  if (raw === null) return false;
  return /^\s*(\[[^[\]]*\]\s*)*(re|fwd?)\s*(\[[^[\]]*\])?\s*:/i.test(decodeHeader(raw)) || /\(fwd\)\s*$/i.test(raw);
}

function firstAddress(list: Address[] | null): Address | null {
  return list?.find((a) => a.mailbox !== null && a.domain !== null) ?? null;
}

function mailboxKey(list: Address[] | null): string {
  const a = firstAddress(list);
  return a === null ? '' : asciiLower(decodeHeader(a.mailbox!));
}

function displayKey(list: Address[] | null): string {
  const a = firstAddress(list);
  if (a === null) return '';
  const name = a.name === null ? '' : decodeHeader(a.name).trim();
  return (name !== '' ? name : `${decodeHeader(a.mailbox!)}@${a.domain}`).toUpperCase();
}

export interface Sortable {
  seq: number;
  meta: MessageMeta;
  summary: MessageSummary;
}

function keyValue(m: Sortable, key: SortKey['key']): string | number {
  const env = m.summary.envelope;
  switch (key) {
    case 'ARRIVAL':
      return m.meta.internalDate;
    case 'DATE':
      return m.summary.search.date ?? m.meta.internalDate;
    case 'SIZE':
      return m.meta.size;
    case 'SUBJECT':
      return baseSubject(env.subject);
    case 'FROM':
      return mailboxKey(env.from);
    case 'TO':
      return mailboxKey(env.to);
    case 'CC':
      return mailboxKey(env.cc);
    case 'DISPLAYFROM':
      return displayKey(env.from);
    case 'DISPLAYTO':
      return displayKey(env.to);
  }
}

/** The messages in SORT order. */
export function sortMessages(messages: Sortable[], keys: readonly SortKey[]): Sortable[] {
  const values = new Map<Sortable, Array<string | number>>(messages.map((m) => [m, keys.map((k) => keyValue(m, k.key))]));
  return [...messages].sort((a, b) => {
    const va = values.get(a)!;
    const vb = values.get(b)!;
    for (let i = 0; i < keys.length; i++) {
      const x = va[i]!;
      const y = vb[i]!;
      const c = x < y ? -1 : x > y ? 1 : 0;
      if (c !== 0) return keys[i]!.reverse ? -c : c;
    }
    return a.seq - b.seq;
  });
}
