/**
 * summarize(raw): the message summary, computed once from the raw bytes at
 * delivery/APPEND. Pure and deterministic; never throws, whatever the input (broken
 * MIME, missing or 8-bit headers, bare LF, NUL bytes, huge lines): every input is
 * some message, read the way Dovecot reads it.
 */
import { envelopeOf } from './envelope.js';
import { LineIndex } from './lines.js';
import { parseMime } from './mime.js';
import { previewOf } from './preview.js';
import { searchFieldsOf } from './search.js';
import { bodyPart } from './structure.js';
import { SUMMARY_VERSION, type MessageSummary } from './types.js';

export function summarize(raw: Buffer): MessageSummary {
  const lines = new LineIndex(raw);
  const root = parseMime(raw);
  const body = bodyPart(root, lines);
  return {
    v: SUMMARY_VERSION,
    size: lines.virtualSize(0, raw.length),
    rawSize: raw.length,
    bareLf: lines.hasBareLf,
    header: raw.toString('latin1', 0, body.bodyStart),
    envelope: envelopeOf(root.fields),
    body,
    preview: previewOf(raw, body),
    search: searchFieldsOf(root.fields),
  };
}
