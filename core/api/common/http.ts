import { randomBytes } from 'node:crypto';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ApiError, renderErrorXml, toApiError } from './errors.js';

/** One query parameter, percent-decoded (`key`, `value`) and as sent (`rawKey`, `rawValue`). */
export interface QueryParam {
  key: string;
  value: string;
  rawKey: string;
  rawValue: string;
}

/** Splits a request target into its raw path and raw query (both still percent-encoded). */
export function splitTarget(url: string): { path: string; query: string } {
  let start = 0;
  // absolute-form (`http://host/path`), which proxies may send
  const scheme = url.indexOf('://');
  if (scheme > 0 && !url.startsWith('/')) {
    const slash = url.indexOf('/', scheme + 3);
    start = slash < 0 ? url.length : slash;
  }
  const q = url.indexOf('?', start);
  const path = q < 0 ? url.slice(start) : url.slice(start, q);
  return { path: path === '' ? '/' : path, query: q < 0 ? '' : url.slice(q + 1) };
}

/** Parses a raw query string; a key given twice is InvalidArgument, as S3 answers. */
export function parseQuery(query: string): QueryParam[] {
  const params: QueryParam[] = [];
  const seen = new Set<string>();
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    const key = percentDecode(rawKey).toString('utf8');
    if (seen.has(key)) throw new ApiError('InvalidArgument', `Duplicate query parameter: ${key}`);
    seen.add(key);
    params.push({ key, value: percentDecode(rawValue).toString('utf8'), rawKey, rawValue });
  }
  return params;
}

/**
 * The bytes a percent-encoded URL component stands for. Node hands the request target over
 * as a byte string (one char per byte), so chars map to bytes one to one; malformed escapes
 * stay literal. In queries `+` is a space (form encoding, as S3 reads it).
 */
export function percentDecode(raw: string, plusIsSpace = true): Buffer {
  const bytes = Buffer.from(raw, 'latin1');
  if (!raw.includes('%') && !(plusIsSpace && raw.includes('+'))) return bytes;
  const out = Buffer.allocUnsafe(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x25 && i + 2 < bytes.length && isHex(bytes[i + 1]!) && isHex(bytes[i + 2]!)) {
      out[n++] = (hexVal(bytes[i + 1]!) << 4) | hexVal(bytes[i + 2]!);
      i += 2;
    } else {
      out[n++] = b === 0x2b && plusIsSpace ? 0x20 : b;
    }
  }
  return out.subarray(0, n);
}

function isHex(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
}

function hexVal(b: number): number {
  return b <= 0x39 ? b - 0x30 : (b | 0x20) - 0x57;
}

const ENCODED: readonly string[] = Array.from({ length: 256 }, (_, b) => {
  const c = String.fromCharCode(b);
  return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
});

/** AWS's URI encoding: every byte but the unreserved ones (and `/` unless `encodeSlash`) as %XX. */
export function uriEncode(bytes: Uint8Array, encodeSlash: boolean): string {
  let out = '';
  for (const b of bytes) out += b === 0x2f && !encodeSlash ? '/' : ENCODED[b]!;
  return out;
}

/** A fresh request id: 16 random bytes, hex. */
export function newRequestId(): string {
  return randomBytes(16).toString('hex');
}

/** Sends an XML body (no body for HEAD, with the same headers). */
export function sendXml(res: ServerResponse, status: number, xml: string, headers: OutgoingHttpHeaders = {}): void {
  const body = Buffer.from(xml, 'utf8');
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': body.length, ...headers });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

/** Answers `err` in S3's format; anything not an ApiError is an InternalError. */
export function sendError(res: ServerResponse, err: unknown, requestId: string): void {
  const e = toApiError(err);
  if (res.headersSent) {
    // Too late for a status line: cut the connection so the client cannot take a truncated body as complete.
    res.destroy();
    return;
  }
  const headers: OutgoingHttpHeaders = { 'x-amz-request-id': requestId, ...e.headers };
  if (e.status === 304) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const resource = e.resource ?? splitTarget(res.req?.url ?? '/').path;
  sendXml(res, e.status, renderErrorXml(e, requestId, resource), headers);
}

/** An inclusive byte range within an object. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The range a `Range` header asks of an object of `size` bytes (RFC 7233, one range).
 * Undefined when there is no usable range: absent, syntactically invalid, or several ranges
 * (S3 then serves the whole object). Unsatisfiable → InvalidRange (416).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (m === null || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable(size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    const last = m[2] === '' ? Number.POSITIVE_INFINITY : Number(m[2]);
    if (last < start) return undefined;
    if (start >= size) throw unsatisfiable(size);
    end = Math.min(last, size - 1);
  }
  return { start, end };
}

function unsatisfiable(size: number): ApiError {
  return new ApiError('InvalidRange', undefined, { headers: { 'content-range': `bytes */${size}` } });
}

/** IMF-fixdate, the HTTP date format (`Sun, 06 Nov 1994 08:49:37 GMT`). */
export function formatHttpDate(date: Date): string {
  return date.toUTCString();
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MON = MONTHS.join('|');
const IMF_FIXDATE = new RegExp(`^[A-Z][a-z]{2}, (\\d{2}) (${MON}) (\\d{4}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`);
const RFC850 = new RegExp(`^[A-Z][a-z]{5,8}, (\\d{2})-(${MON})-(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`);
const ASCTIME = new RegExp(`^[A-Z][a-z]{2} (${MON}) ([ \\d]\\d) (\\d{2}):(\\d{2}):(\\d{2}) (\\d{4})$`);

/** Parses the three HTTP date formats of RFC 7231 §7.1.1.1; undefined if none matches. */
export function parseHttpDate(text: string, now: Date = new Date()): Date | undefined {
  const s = text.trim();
  let m: RegExpExecArray | null;
  if ((m = IMF_FIXDATE.exec(s))) return utc(+m[3]!, m[2]!, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  if ((m = RFC850.exec(s))) {
    // Two-digit year: the most recent past year with those digits unless that is over 50 years ago.
    const thisYear = now.getUTCFullYear();
    let year = thisYear - (thisYear % 100) + +m[3]!;
    if (year > thisYear + 50) year -= 100;
    return utc(year, m[2]!, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  }
  if ((m = ASCTIME.exec(s))) return utc(+m[6]!, m[1]!, +m[2]!.trim(), +m[3]!, +m[4]!, +m[5]!);
  return undefined;
}

function utc(year: number, mon: string, day: number, h: number, min: number, sec: number): Date | undefined {
  const month = MONTHS.indexOf(mon);
  const d = new Date(Date.UTC(year, month, day, h, min, sec));
  // Date.UTC rolls over (Feb 30 → Mar 2): reject what does not round-trip.
  if (d.getUTCDate() !== day || d.getUTCMonth() !== month || h > 23 || min > 59 || sec > 59) return undefined;
  return d;
}

/**
 * Whether an If-Match / If-None-Match list names `etag` (quoted or not). `*` matches any.
 * Strong comparison (If-Match) ignores weak tags; weak comparison (If-None-Match) ignores `W/`.
 */
export function etagMatches(header: string, etag: string, comparison: 'strong' | 'weak'): boolean {
  const want = unquote(etag);
  let i = 0;
  while (i < header.length) {
    const c = header[i]!;
    if (c === ',' || c === ' ' || c === '\t') {
      i++;
      continue;
    }
    let weak = false;
    if (header.startsWith('W/', i)) {
      weak = true;
      i += 2;
    }
    let tag: string;
    const quoted = header[i] === '"';
    if (quoted) {
      const close = header.indexOf('"', i + 1);
      const stop = close < 0 ? header.length : close;
      tag = header.slice(i + 1, stop);
      i = stop + 1;
    } else {
      // S3 also accepts unquoted tags.
      const comma = header.indexOf(',', i);
      const stop = comma < 0 ? header.length : comma;
      tag = header.slice(i, stop).trim();
      i = stop;
    }
    if (tag === '*' && !quoted && !weak) return true;
    if (tag === want && (comparison === 'weak' || !weak)) return true;
  }
  return false;
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}
