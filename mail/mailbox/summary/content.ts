/**
 * The Content-* fields of one MIME part, as BODYSTRUCTURE reports them. The first
 * field of each kind counts, except Content-Disposition, which a later one replaces
 * as long as no parameters were seen (Dovecot's rule; the corpus pins it).
 */
import { asciiLower } from './ascii.js';
import { headerString, type HeaderField } from './headers.js';
import { Rfc822Parser, Str } from './rfc822.js';
import { parseParams } from './rfc2231.js';
import type { Octets } from './types.js';

export interface ContentFields {
  /** null: no Content-Type field; "" when there was one but unreadable. */
  type: Octets | null;
  subtype: Octets | null;
  params: Octets[];
  id: Octets | null;
  description: Octets | null;
  encoding: Octets | null;
  md5: Octets | null;
  disposition: Octets | null;
  dispositionParams: Octets[];
  language: Octets[] | null;
  location: Octets | null;
}

export function emptyContentFields(): ContentFields {
  return {
    type: null,
    subtype: null,
    params: [],
    id: null,
    description: null,
    encoding: null,
    md5: null,
    disposition: null,
    dispositionParams: [],
    language: null,
    location: null,
  };
}

export interface ContentType {
  type: Octets;
  subtype: Octets;
  /** Parameters are read only when the type itself was well-formed. */
  params: Octets[];
}

export function parseContentType(value: Buffer): ContentType {
  const p = new Rfc822Parser(value);
  p.skipLwsp();
  const str = new Str();
  const ret = p.parseContentType(str);
  const slash = str.s.indexOf('/');
  const type = slash === -1 ? str.s : str.s.slice(0, slash);
  const subtype = slash === -1 ? '' : str.s.slice(slash + 1);
  return { type, subtype, params: ret < 0 ? [] : parseParams(p) };
}

function parseEncoding(value: Buffer): Octets | null {
  const p = new Rfc822Parser(value);
  p.skipLwsp();
  const str = new Str();
  return p.parseMimeToken(str) >= 0 && p.skipLwsp() === 0 && str.length > 0 ? str.s : null;
}

function parseDisposition(value: Buffer, into: ContentFields): void {
  const p = new Rfc822Parser(value);
  p.skipLwsp();
  const str = new Str();
  if (p.parseMimeToken(str) < 0) return;
  into.disposition = str.s;
  into.dispositionParams = parseParams(p);
}

/** Content-Language: 1#Language-tag. */
function parseLanguage(value: Buffer): Octets[] | null {
  const p = new Rfc822Parser(value);
  const langs: Octets[] = [];
  const str = new Str();
  p.skipLwsp();
  while (p.parseAtom(str) >= 0) {
    langs.push(str.s);
    str.truncate(0);
    if (p.pos >= p.end || p.cur() !== 0x2c) break;
    p.pos++;
    p.skipLwsp();
  }
  return langs.length > 0 ? langs : null;
}

export function contentFields(fields: HeaderField[]): ContentFields {
  const c = emptyContentFields();
  for (const f of fields) {
    const name = asciiLower(f.name);
    if (!name.startsWith('content-')) continue;
    switch (name.slice(8)) {
      case 'type':
        if (c.type === null) {
          const ct = parseContentType(f.value);
          c.type = ct.type;
          c.subtype = ct.subtype;
          c.params = ct.params;
        }
        break;
      case 'transfer-encoding':
        if (c.encoding === null) c.encoding = parseEncoding(f.value);
        break;
      case 'id':
        if (c.id === null) c.id = headerString(f.value);
        break;
      case 'md5':
        if (c.md5 === null) c.md5 = headerString(f.value);
        break;
      case 'description':
        if (c.description === null) c.description = headerString(f.value);
        break;
      case 'location':
        if (c.location === null) c.location = headerString(f.value);
        break;
      case 'language':
        if (c.language === null) c.language = parseLanguage(f.value);
        break;
      case 'disposition':
        if (c.dispositionParams.length === 0) parseDisposition(f.value, c);
        break;
    }
  }
  return c;
}
