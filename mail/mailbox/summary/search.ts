/**
 * The header fields SEARCH looks at, decoded and normalised once at ingest, so that
 * FROM/TO/CC/BCC/SUBJECT/SENT* and HEADER-presence searches run on the summary.
 */
import { asciiLower } from './ascii.js';
import { parseDate } from './date.js';
import { collapseWhitespace, decodeHeader } from './decode.js';
import { headerString, type HeaderField } from './headers.js';
import type { SearchFields } from './types.js';

/** Longest header text kept per field: SEARCH matches within it, and decoding stays linear-time. */
const MAX_FIELD = 64 * 1024;

function normalised(values: string[]): string {
  return collapseWhitespace(decodeHeader(values.join(', ').slice(0, MAX_FIELD))).toLowerCase();
}

export function searchFieldsOf(fields: HeaderField[]): SearchFields {
  const byName = new Map<string, string[]>();
  for (const f of fields) {
    const name = asciiLower(f.name);
    let list = byName.get(name);
    if (list === undefined) byName.set(name, (list = []));
    list.push(headerString(f.value));
  }
  const all = (name: string): string[] => byName.get(name) ?? [];
  // The last Subject and Date count, as in ENVELOPE.
  const last = (name: string): string[] => all(name).slice(-1);
  const date = last('date')[0];
  return {
    subject: normalised(last('subject')),
    from: normalised(all('from')),
    to: normalised(all('to')),
    cc: normalised(all('cc')),
    bcc: normalised(all('bcc')),
    date: date === undefined ? null : parseDate(decodeHeader(date.slice(0, MAX_FIELD))),
    headerNames: [...byName.keys()],
  };
}
