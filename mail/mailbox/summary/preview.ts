/**
 * RFC 8970 PREVIEW: up to 200 characters of the message's first text part (a
 * text/plain one if there is one, else text/html with its markup stripped), decoded
 * and with whitespace collapsed. Only the start of the part is decoded, so a large
 * body costs no more than a small one.
 */
import { equalsIgnoreCase } from './ascii.js';
import { collapseWhitespace, decodeCharset, decodeTransfer } from './decode.js';
import type { BodyPart, Octets } from './types.js';

const PREVIEW_CHARS = 200;
/** Encoded bytes read from a part: plenty for 200 characters once decoded. */
const PLAIN_WINDOW = 16 * 1024;
const HTML_WINDOW = 64 * 1024;

function param(list: Octets[], name: string): Octets | null {
  for (let i = 0; i + 1 < list.length; i += 2) if (equalsIgnoreCase(list[i]!, name)) return list[i + 1]!;
  return null;
}

function isInlineText(p: BodyPart, subtype: string): boolean {
  return (
    p.kind === 'single' &&
    equalsIgnoreCase(p.type, 'text') &&
    equalsIgnoreCase(p.subtype, subtype) &&
    (p.disposition === null || !equalsIgnoreCase(p.disposition, 'attachment'))
  );
}

function findFirst(p: BodyPart, subtype: string): BodyPart | null {
  if (isInlineText(p, subtype)) return p;
  for (const child of p.parts ?? []) {
    const found = findFirst(child, subtype);
    if (found !== null) return found;
  }
  return null;
}

const ENTITIES = new Map([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['apos', "'"],
  ['nbsp', ' '],
]);

/** Removes <style>, <script> and <head> elements with their content (linear: no backtracking regex). */
function dropInvisible(html: string): string {
  const lower = html.toLowerCase();
  let out = '';
  let from = 0;
  for (;;) {
    const open = /<(style|script|head)\b/g;
    open.lastIndex = from;
    const m = open.exec(lower);
    if (m === null) return out + html.slice(from);
    const close = lower.indexOf(`</${m[1]}`, m.index);
    out += html.slice(from, m.index) + ' ';
    const gt = close === -1 ? -1 : lower.indexOf('>', close);
    if (gt === -1) return out;
    from = gt + 1;
  }
}

function htmlToText(html: string): string {
  return dropInvisible(html)
    .replace(/<[a-z/!?][^>]*(?:>|$)/gi, ' ')
    .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] !== '#') return ENTITIES.get(e.toLowerCase()) ?? m;
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ' ';
    });
}

/** The first `PREVIEW_CHARS` characters (code points) of the text. */
function cut(text: string): string {
  return [...text.slice(0, 2 * PREVIEW_CHARS)].slice(0, PREVIEW_CHARS).join('');
}

export function previewOf(raw: Buffer, root: BodyPart): string {
  const plain = findFirst(root, 'plain');
  const part = plain ?? findFirst(root, 'html');
  if (part === null) return '';
  const window = plain !== null ? PLAIN_WINDOW : HTML_WINDOW;
  const bytes = decodeTransfer(raw.subarray(part.bodyStart, Math.min(part.end, part.bodyStart + window)), part.encoding);
  const text = decodeCharset(bytes, param(part.params, 'charset'));
  return cut(collapseWhitespace(plain !== null ? text : htmlToText(text)));
}
