/** K2V responses: JSON bodies, the causality token header, and Garage's JSON error body. */
import type { ServerResponse } from 'node:http';
import type { K2vItemRead, K2vValue } from '../../model/k2v/index.js';
import type { ApiError } from '../common/errors.js';

export const CAUSALITY_TOKEN_HEADER = 'X-Garage-Causality-Token';

export interface K2vResponse {
  status: number;
  headers: Readonly<Record<string, string>>;
  body?: Buffer;
}

export function jsonResponse(value: unknown, headers: Readonly<Record<string, string>> = {}): K2vResponse {
  return { status: 200, headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(JSON.stringify(value), 'utf8') };
}

export function emptyResponse(status: number, headers: Readonly<Record<string, string>> = {}): K2vResponse {
  return { status, headers };
}

/** A value in JSON: standard padded base64, null for a tombstone. */
export function valueJson(v: K2vValue): string | null {
  return v === null ? null : v.toString('base64');
}

/** An item of ReadBatch / PollRange. */
export function itemJson(item: K2vItemRead): { sk: string; ct: string; v: (string | null)[] } {
  return { sk: item.sk, ct: item.token, v: item.values.map(valueJson) };
}

export function sendResponse(res: ServerResponse, r: K2vResponse): void {
  res.writeHead(r.status, { ...r.headers, ...(r.body !== undefined ? { 'content-length': String(r.body.length) } : {}) });
  res.end(r.body);
}

/** Garage's K2V error body: {code, message, region, path}. */
export function errorResponse(err: ApiError, region: string, path: string): K2vResponse {
  const body = { code: err.code, message: err.message, region, path };
  return { ...jsonResponse(body, err.headers), status: err.status };
}
