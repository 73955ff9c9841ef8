/**
 * BODYSTRUCTURE and BODY (RFC 3501 §7.4.2) from a summary's part tree, byte-exact
 * with Dovecot: types and parameters in the case the message wrote them, text parts
 * get a default charset=us-ascii, a multipart without parts shows one empty text part,
 * message/rfc822 parts carry their message's ENVELOPE and structure.
 */
import { equalsIgnoreCase } from '../../mailbox/summary/ascii.js';
import type { BodyPart, Octets } from '../../mailbox/summary/types.js';
import { envelopeOctets } from './envelope.js';
import { nstringNoLf, string } from './quote.js';

const EMPTY_BODY = '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0)';
const EMPTY_BODYSTRUCTURE = '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL)';

function params(list: Octets[], defaultCharset: boolean): Octets {
  if (list.length === 0 && !defaultCharset) return 'NIL';
  const out: Octets[] = [];
  let seenCharset = false;
  for (let i = 0; i + 1 < list.length; i += 2) {
    if (equalsIgnoreCase(list[i]!, 'charset')) seenCharset = true;
    out.push(`${string(list[i]!)} ${string(list[i + 1]!)}`);
  }
  if (defaultCharset && !seenCharset) out.push('"charset" "us-ascii"');
  return `(${out.join(' ')})`;
}

/** Disposition, language and location: the extension data every part ends with. */
function commonExtension(p: BodyPart): Octets {
  const disposition = p.disposition === null ? 'NIL' : `(${string(p.disposition)} ${params(p.dispositionParams, false)})`;
  const language = p.language === null ? 'NIL' : `(${p.language.map(string).join(' ')})`;
  return ` ${disposition} ${language} ${nstringNoLf(p.location)}`;
}

function multipart(p: BodyPart, extended: boolean): Octets {
  const children = p.parts ?? [];
  let s = children.length > 0 ? children.map((c) => `(${inner(c, extended)})`).join('') : extended ? EMPTY_BODYSTRUCTURE : EMPTY_BODY;
  s += ` ${string(p.subtype)}`;
  if (extended) s += ` ${params(p.params, false)}${commonExtension(p)}`;
  return s;
}

function single(p: BodyPart, extended: boolean): Octets {
  const message = p.kind === 'message';
  const text = !message && equalsIgnoreCase(p.type, 'text');
  let s = message ? '"message" "rfc822"' : `${string(p.type)} ${string(p.subtype)}`;
  s += ` ${params(p.params, text)} ${nstringNoLf(p.id)} ${nstringNoLf(p.description)}`;
  s += ` ${p.encoding === null ? '"7bit"' : string(p.encoding)} ${p.size}`;
  if (text) {
    s += ` ${p.lines}`;
  } else if (message) {
    const child = p.parts![0]!;
    s += ` ${envelopeOctets(p.envelope!)} (${inner(child, extended)}) ${p.lines}`;
  }
  if (extended) s += ` ${nstringNoLf(p.md5)}${commonExtension(p)}`;
  return s;
}

function inner(p: BodyPart, extended: boolean): Octets {
  return p.kind === 'multipart' ? multipart(p, extended) : single(p, extended);
}

/** BODYSTRUCTURE's value (with extension data), ready to follow "BODYSTRUCTURE ". */
export function renderBodyStructure(root: BodyPart): Buffer {
  return Buffer.from(`(${inner(root, true)})`, 'latin1');
}

/** BODY's value (no extension data), ready to follow "BODY ". */
export function renderBody(root: BodyPart): Buffer {
  return Buffer.from(`(${inner(root, false)})`, 'latin1');
}
