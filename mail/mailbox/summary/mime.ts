/**
 * The MIME structure of a raw message: every part's header and body byte ranges,
 * through multipart/* (RFC 2046 boundaries) and message/rfc822, on the bytes.
 *
 * Broken input is read the way Dovecot reads it, because BODYSTRUCTURE and BODY[n]
 * must match what clients already get from it:
 *  - a boundary line is "--" + a boundary of any enclosing multipart, matched as a
 *    prefix of the line (the longest one wins, the innermost on a tie); the line
 *    break before it belongs to the boundary;
 *  - a part's header ends early at such a line; a multipart body starts only after
 *    an empty line;
 *  - a boundary of an outer multipart ends every inner part; a missing close
 *    delimiter ends the part at the end of the message;
 *  - Content-* headers count only in MIME parts (a Mime-Version or Content-Type
 *    header, or any part inside a multipart); parts of a multipart/digest without a
 *    Content-Type are messages;
 *  - past 100 levels of nesting, multiparts and messages are read as plain bodies,
 *    and past 10,000 parts no new part is started (so a MIME bomb costs linear time).
 */
import { equalsIgnoreCase } from './ascii.js';
import { parseContentType, type ContentType } from './content.js';
import { parseHeaderBlock, type HeaderField } from './headers.js';
import type { PartKind } from './types.js';

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;
const BOUNDARY_LINE = Buffer.from('\n--', 'latin1');
/** Boundaries are cut to this length, and a last line without LF is compared on this much. */
const BOUNDARY_MAX = 80;
const BOUNDARY_END_MAX = BOUNDARY_MAX + 4;
const MAX_NESTING = 100;
const MAX_PARTS = 10_000;

export interface MimeNode {
  headerStart: number;
  /** End of the header, start of the body. */
  bodyStart: number;
  end: number;
  fields: HeaderField[];
  /** Whether Content-* headers apply (see the module comment). */
  mime: boolean;
  kind: PartKind;
  children: MimeNode[];
}

/** An enclosing multipart's boundary (compared by identity: two may have the same value). */
interface Boundary {
  value: Buffer;
}

/** A boundary line found in the message. */
interface Hit {
  boundary: Boundary;
  /**
   * Where the parts it closes end: before the line break preceding the boundary line
   * (it belongs to the boundary), or, when it cut a header short, at the line itself.
   */
  cut: number;
  /** A close delimiter ("--boundary--")? */
  close: boolean;
  /** Where the line after the boundary line starts; -1 when the message ends on the boundary line. */
  next: number;
}

function newNode(headerStart: number, mime: boolean): MimeNode {
  return { headerStart, bodyStart: headerStart, end: headerStart, fields: [], mime, kind: 'single', children: [] };
}

class MimeParser {
  private readonly stack: Boundary[] = [];
  private parts = 1;

  constructor(private readonly raw: Buffer) {}

  parse(): MimeNode {
    const root = newNode(0, false);
    this.parsePart(root, 0, false, 0);
    return root;
  }

  /** The boundary line starting at `pos`, if it is one of an enclosing multipart. */
  private boundaryAt(pos: number): Omit<Hit, 'cut'> | null {
    const raw = this.raw;
    if (this.stack.length === 0 || raw[pos] !== DASH || raw[pos + 1] !== DASH) return null;
    const data = pos + 2;
    const lf = raw.indexOf(LF, data);
    let size: number;
    if (lf !== -1) {
      size = lf - data;
      if (size > 0 && raw[data + size - 1] === CR) size--;
    } else {
      size = Math.min(raw.length - data, BOUNDARY_END_MAX);
    }
    let best: Boundary | null = null;
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const b = this.stack[i]!;
      const len = b.value.length;
      if (len > size || (best !== null && best.value.length >= len)) continue;
      if (raw.compare(b.value, 0, len, data, data + len) !== 0) continue;
      best = b;
      if (len === size) break;
    }
    if (best === null) return null;
    const after = data + best.value.length;
    const close = raw[after] === DASH && raw[after + 1] === DASH;
    return { boundary: best, close, next: lf === -1 ? -1 : lf + 1 };
  }

  /** The first boundary line in the body starting at `from` (its first line included). */
  private findHit(from: number): Hit | null {
    if (this.stack.length === 0) return null;
    const first = this.boundaryAt(from);
    if (first !== null) return { ...first, cut: from };
    let i = this.raw.indexOf(BOUNDARY_LINE, from);
    while (i !== -1) {
      const h = this.boundaryAt(i + 1);
      if (h !== null) return { ...h, cut: i > from && this.raw[i - 1] === CR ? i - 1 : i };
      i = this.raw.indexOf(BOUNDARY_LINE, i + 1);
    }
    return null;
  }

  /**
   * Parses the part whose header starts at `start`; sets its ranges and children and
   * returns the boundary line that ended it (null: the message ended).
   */
  private parsePart(node: MimeNode, start: number, inDigest: boolean, depth: number): Hit | null {
    const raw = this.raw;
    const hb = parseHeaderBlock(raw, start, (pos) => this.boundaryAt(pos) !== null);
    node.fields = hb.fields;
    node.bodyStart = hb.end;
    let ct: ContentType | null = null;
    for (const f of hb.fields) {
      if (equalsIgnoreCase(f.name, 'mime-version')) node.mime = true;
      if (equalsIgnoreCase(f.name, 'content-type')) {
        node.mime = true;
        ct ??= parseContentType(f.value);
      }
    }
    node.kind = ct === null ? (inDigest ? 'message' : 'single') : kindOf(ct);
    const boundary = node.kind === 'multipart' ? param(ct!.params, 'boundary') : null;
    const digest = node.kind === 'multipart' && equalsIgnoreCase(ct!.subtype, 'digest');
    const nestable = depth + 1 < MAX_NESTING;
    if (node.kind === 'message' && !nestable) node.kind = 'single';
    const multipartBody = node.kind === 'multipart' && boundary !== null && hb.blankLine;
    if (multipartBody && !nestable) node.kind = 'single';

    // A multipart's own boundary is in force from the end of its header on.
    const own: Boundary | null = multipartBody && nestable ? { value: Buffer.from(boundary.slice(0, BOUNDARY_MAX), 'latin1') } : null;
    if (own !== null) this.stack.push(own);
    // A header cut short by a boundary line loses its last line break to the enclosing part.
    let headerEnd = hb.end;
    let cut: Hit | null = hb.boundaryLine === -1 ? null : { ...this.boundaryAt(hb.boundaryLine)!, cut: hb.boundaryLine };
    if (cut === null && hb.blankLine) {
      // So does one whose empty line is followed by a boundary line.
      const h = this.boundaryAt(hb.end);
      if (h !== null && h.boundary !== own) {
        cut = { ...h, cut: hb.end };
        headerEnd = hb.end - (raw[hb.end - 2] === CR ? 2 : 1);
      }
    }
    if (cut !== null) {
      // No body; a message still gets its (empty) message.
      if (own !== null) this.stack.pop();
      node.bodyStart = node.end = headerEnd;
      if (node.kind === 'message') {
        node.children.push(newNode(headerEnd, false));
        this.parts++;
      }
      return cut;
    }
    if (own !== null) return this.parseMultipart(node, own, digest, depth);
    if (node.kind === 'message') {
      const child = newNode(hb.end, false);
      node.children.push(child);
      this.parts++;
      const hit = this.parsePart(child, hb.end, false, depth + 1);
      node.end = hit === null ? child.end : hit.cut;
      return hit;
    }
    const hit = this.findHit(hb.end);
    node.end = hit === null ? raw.length : hit.cut;
    return hit;
  }

  /** The body of a multipart whose boundary `own` is on the stack (and comes off it here). */
  private parseMultipart(node: MimeNode, own: Boundary, digest: boolean, depth: number): Hit | null {
    let hit = this.findHit(node.bodyStart);
    for (;;) {
      if (hit === null || hit.boundary !== own) {
        this.stack.pop();
        node.end = hit === null ? this.raw.length : hit.cut;
        return hit;
      }
      if (hit.next === -1) {
        // Nothing follows the boundary line, not even its line break: no new part.
        this.stack.pop();
        node.end = this.raw.length;
        return null;
      }
      if (hit.close) {
        this.stack.pop();
        const epilogue = this.findHit(hit.next);
        node.end = epilogue === null ? this.raw.length : epilogue.cut;
        return epilogue;
      }
      if (this.parts >= MAX_PARTS) {
        hit = this.findHit(hit.next);
        continue;
      }
      const child = newNode(hit.next, true);
      node.children.push(child);
      this.parts++;
      hit = this.parsePart(child, hit.next, digest, depth + 1);
    }
  }
}

function kindOf(ct: ContentType): PartKind {
  if (equalsIgnoreCase(ct.type, 'message') && equalsIgnoreCase(ct.subtype, 'rfc822')) return 'message';
  // "multipart" alone (no subtype) is a broken type, not a multipart.
  if (equalsIgnoreCase(ct.type, 'multipart') && ct.subtype !== '') return 'multipart';
  return 'single';
}

function param(params: string[], name: string): string | null {
  for (let i = 0; i + 1 < params.length; i += 2) if (equalsIgnoreCase(params[i]!, name)) return params[i + 1]!;
  return null;
}

export function parseMime(raw: Buffer): MimeNode {
  return new MimeParser(raw).parse();
}
