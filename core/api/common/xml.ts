import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ApiError } from './errors.js';

const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/**
 * A value the writer turns into XML: scalars become text, an object's keys become child
 * elements in insertion order (key `@` holds the element's attributes), an array repeats
 * its element name, and undefined/null omit the element.
 */
export type XmlValue = string | number | bigint | boolean | Date | null | undefined | XmlElement | readonly XmlValue[];
export interface XmlElement {
  readonly '@'?: Readonly<Record<string, string>>;
  readonly [name: string]: XmlValue;
}

// Besides markup characters, escape the C0 controls (and CR, which parsers would normalise
// away) as character references, as S3 does for object keys that contain them.
const NEEDS_ESCAPE = /[&<>"'\x00-\x08\x0b-\x1f]/;
const ESCAPE_ALL = new RegExp(NEEDS_ESCAPE.source, 'g');
const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(ESCAPE_ALL, (c) => ESCAPES[c] ?? `&#${c.charCodeAt(0)};`);
}

/** A whole XML document; `namespace` puts S3's xmlns on the root element. */
export function xmlDocument(root: string, value: XmlValue, options: { namespace?: boolean } = {}): string {
  const out: string[] = [XML_DECLARATION];
  writeElement(out, root, value ?? '', options.namespace ? { xmlns: S3_XMLNS } : undefined);
  return out.join('');
}

function writeElement(out: string[], name: string, value: XmlValue, rootAttrs?: Readonly<Record<string, string>>): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value as readonly XmlValue[]) writeElement(out, name, item, rootAttrs);
    return;
  }
  const element = typeof value === 'object' && !(value instanceof Date) ? (value as XmlElement) : undefined;
  let open = `<${name}`;
  for (const [k, v] of Object.entries({ ...rootAttrs, ...element?.['@'] })) open += ` ${k}="${escapeXml(v)}"`;
  out.push(open, '>');
  if (element !== undefined) {
    for (const [k, v] of Object.entries(element)) if (k !== '@') writeElement(out, k, v);
  } else {
    out.push(escapeXml(value instanceof Date ? value.toISOString() : String(value)));
  }
  out.push(`</${name}>`);
}

/** A parsed element: its text, or its children by name (repeated children as an array). */
export type XmlNode = string | XmlObject;
export interface XmlObject {
  readonly [name: string]: XmlNode | readonly XmlNode[] | undefined;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  // Keep every value a string exactly as sent: object keys like "0001" or " a " must survive.
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Decodes numeric character references (&#13;) as well as the XML entities.
  htmlEntities: true,
});

/**
 * Parses a request body whose root element must be `root`, returning the root's children.
 * Anything malformed (bad syntax, several roots, a DTD, another root) is MalformedXML.
 */
export function parseXml(body: Buffer | string, root: string): XmlObject {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  // No DTDs: S3 bodies never need them, and entity expansion is an attack surface.
  if (text.includes('<!DOCTYPE') || text.includes('<!ENTITY')) throw malformed();
  if (XMLValidator.validate(text) !== true) throw malformed();
  let doc: unknown;
  try {
    doc = parser.parse(text);
  } catch (err) {
    throw malformed(err);
  }
  if (typeof doc !== 'object' || doc === null) throw malformed();
  const keys = Object.keys(doc);
  if (keys.length !== 1 || keys[0] !== root) throw malformed();
  const content = (doc as Record<string, unknown>)[root];
  if (typeof content === 'string') {
    if (content.trim() !== '') throw malformed();
    return {};
  }
  if (typeof content !== 'object' || content === null || Array.isArray(content)) throw malformed();
  return stripWhitespaceText(content as Record<string, unknown>);
}

// With trimValues off the parser keeps the indentation between child elements as `#text`.
function stripWhitespaceText(node: Record<string, unknown>): XmlObject {
  for (const [k, v] of Object.entries(node)) {
    if (k === '#text') {
      if (typeof v === 'string' && v.trim() === '') delete node[k];
    } else if (Array.isArray(v)) {
      for (const item of v) if (typeof item === 'object' && item !== null) stripWhitespaceText(item as Record<string, unknown>);
    } else if (typeof v === 'object' && v !== null) {
      stripWhitespaceText(v as Record<string, unknown>);
    }
  }
  return node as XmlObject;
}

function malformed(cause?: unknown): ApiError {
  return new ApiError('MalformedXML', undefined, { cause });
}

/** A child that may appear once or repeated, as an array. */
export function asArray<T>(value: T | readonly T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}

/** The single `name` child of an element; MalformedXML when it is repeated. */
function single(parent: XmlObject, name: string): XmlNode | undefined {
  const v = parent[name];
  if (Array.isArray(v)) throw malformed();
  return v as XmlNode | undefined;
}

/** The trimmed text of the single `name` child, if present; MalformedXML when it has child elements. */
export function childText(parent: XmlObject, name: string): string | undefined {
  const v = single(parent, name);
  if (v !== undefined && typeof v !== 'string') throw malformed();
  return v?.trim();
}

/** The single `name` child element, if present (an empty element is one with no children). */
export function childElement(parent: XmlObject, name: string): XmlObject | undefined {
  const v = single(parent, name);
  if (typeof v === 'string') {
    if (v.trim() !== '') throw malformed();
    return {};
  }
  return v;
}
