/**
 * The BODYSTRUCTURE tree: MIME nodes turned into BodyPart records with their
 * Content-* fields, IMAP sizes and line counts, and the ENVELOPE of embedded messages.
 */
import { equalsIgnoreCase } from './ascii.js';
import { contentFields, emptyContentFields, type ContentFields } from './content.js';
import { envelopeOf } from './envelope.js';
import type { LineIndex } from './lines.js';
import type { MimeNode } from './mime.js';
import type { BodyPart, Octets, PartKind } from './types.js';

/** The type BODYSTRUCTURE shows: text/plain without a Content-Type, message/rfc822 for messages. */
function typeOf(kind: PartKind, c: ContentFields): [Octets, Octets] {
  if (kind === 'message') return ['message', 'rfc822'];
  if (c.type === null) return ['text', 'plain'];
  // A "multipart" that is not read as one (no subtype, or nested too deep): its body is opaque bytes.
  if (kind === 'single' && equalsIgnoreCase(c.type, 'multipart')) return ['application', 'octet-stream'];
  return [c.type, c.subtype ?? ''];
}

export function bodyPart(node: MimeNode, lines: LineIndex): BodyPart {
  // Without MIME (no Mime-Version, no Content-Type, not inside a multipart) Content-* headers mean nothing.
  const c = node.mime ? contentFields(node.fields) : emptyContentFields();
  const kind = node.kind;
  const [type, subtype] = typeOf(kind, c);
  const part: BodyPart = {
    kind,
    headerStart: node.headerStart,
    bodyStart: node.bodyStart,
    end: node.end,
    type,
    subtype,
    params: c.params,
    id: c.id,
    description: c.description,
    encoding: c.encoding,
    md5: c.md5,
    disposition: c.disposition,
    dispositionParams: c.dispositionParams,
    language: c.language,
    location: c.location,
    size: lines.virtualSize(node.bodyStart, node.end),
    lines: lines.lines(node.bodyStart, node.end),
  };
  if (kind !== 'single') part.parts = node.children.map((child) => bodyPart(child, lines));
  if (kind === 'message') part.envelope = envelopeOf(node.children[0]?.fields ?? []);
  return part;
}
