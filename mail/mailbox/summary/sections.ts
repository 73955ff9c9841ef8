/**
 * IMAP section numbers (RFC 3501 §6.4.5) to byte ranges of the raw message, from the
 * summary alone. Part numbers count the parts of a multipart; a message that is not
 * multipart has one part, numbered 1, itself; a message/rfc822 part's subparts are
 * those of the message it holds.
 */
import type { BodyPart } from './types.js';

export interface ByteRange {
  start: number;
  end: number;
}

/** The parts numbered 1, 2, ... inside `p` (`top`: p is a message, not a part of one). */
function subparts(p: BodyPart, top: boolean): BodyPart[] {
  if (p.kind === 'multipart') return p.parts ?? [];
  if (top) return [p];
  if (p.kind !== 'message') return [];
  const m = p.parts![0]!;
  return m.kind === 'multipart' ? (m.parts ?? []) : [m];
}

/** The part a section path designates ([] is the message itself), or null. */
export function partAt(root: BodyPart, path: readonly number[]): BodyPart | null {
  let p = root;
  for (let i = 0; i < path.length; i++) {
    const next = subparts(p, i === 0)[path[i]! - 1];
    if (next === undefined) return null;
    p = next;
  }
  return p;
}

export type SectionText = 'HEADER' | 'TEXT' | 'MIME';

/**
 * The bytes of BODY[path] (text null), BODY[path.MIME], or BODY[path.HEADER] /
 * BODY[path.TEXT] (the message itself for an empty path, else a message/rfc822 part);
 * null when the message has no such section.
 */
export function sectionRange(root: BodyPart, path: readonly number[], text: SectionText | null): ByteRange | null {
  const p = partAt(root, path);
  if (p === null) return null;
  if (text === null) return path.length === 0 ? { start: 0, end: p.end } : { start: p.bodyStart, end: p.end };
  if (text === 'MIME') return path.length === 0 ? null : { start: p.headerStart, end: p.bodyStart };
  const m = path.length === 0 ? p : p.kind === 'message' ? p.parts![0]! : null;
  if (m === null) return null;
  return text === 'HEADER' ? { start: m.headerStart, end: m.bodyStart } : { start: m.bodyStart, end: m.end };
}
