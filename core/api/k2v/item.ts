/** ReadItem, PollItem, InsertItem, DeleteItem (Garage's item.rs). */
import { K2V_LIMITS, type K2vValues } from '../../model/k2v/index.js';
import { ApiError } from '../common/errors.js';
import type { K2vCall } from './call.js';
import { queryUint, pollTimeoutMs } from './params.js';
import { CAUSALITY_TOKEN_HEADER, emptyResponse, jsonResponse, valueJson, type K2vResponse } from './response.js';

type Format = 'json' | 'binary' | 'either';

/**
 * The formats Accept allows, as Garage reads it: comma-separated exact media types,
 * the wildcard type meaning both, parameters (;q=) not understood; no header = JSON.
 */
function returnFormat(accept: string | undefined): Format {
  if (accept === undefined) return 'json';
  const types = accept.split(',').map((s) => s.trim());
  const json = types.includes('application/json') || types.includes('*/*');
  const binary = types.includes('application/octet-stream') || types.includes('*/*');
  if (json && binary) return 'either';
  if (json) return 'json';
  if (binary) return 'binary';
  throw new ApiError('NotAcceptable', 'Invalid Accept: header value, must contain either application/json or application/octet-stream (or both)');
}

/** 200 JSON array; or in binary: 200 raw value, 204 tombstone, 409 several values. */
function itemResponse(format: Format, read: K2vValues | null): K2vResponse {
  if (read === null) throw new ApiError('NoSuchKey', 'Key not found');
  const token = { [CAUSALITY_TOKEN_HEADER]: read.token };
  const single = read.values.length === 1 ? read.values[0]! : undefined;
  if (format === 'binary' && single === undefined) return emptyResponse(409, token);
  if (format === 'json' || single === undefined) return jsonResponse(read.values.map(valueJson), token);
  const binary = { ...token, 'content-type': 'application/octet-stream' };
  return single === null ? emptyResponse(204, binary) : { status: 200, headers: binary, body: single };
}

function sortKey(call: K2vCall): string {
  return call.route.query.get('sort_key')!;
}

function tokenHeader(call: K2vCall): string | undefined {
  const v = call.headers[CAUSALITY_TOKEN_HEADER.toLowerCase()];
  return Array.isArray(v) ? v.join(',') : v;
}

export async function readItem(call: K2vCall): Promise<K2vResponse> {
  const format = returnFormat(call.headers.accept);
  return itemResponse(format, await call.k2v.readItem(call.bucketId, call.route.partitionKey, sortKey(call)));
}

export async function pollItem(call: K2vCall): Promise<K2vResponse> {
  const format = returnFormat(call.headers.accept);
  const { partitionKey, query } = call.route;
  const timeoutMs = pollTimeoutMs(queryUint(query, 'timeout'));
  const read = await call.k2v.pollItem(call.bucketId, partitionKey, sortKey(call), query.get('causality_token')!, { timeoutMs, signal: call.signal() });
  return read === null ? emptyResponse(304) : itemResponse(format, read);
}

export async function insertItem(call: K2vCall): Promise<K2vResponse> {
  const value = await call.body(K2V_LIMITS.maxValueBytes);
  await call.k2v.insertItem(call.bucketId, call.route.partitionKey, sortKey(call), value, tokenHeader(call));
  return emptyResponse(204);
}

export async function deleteItem(call: K2vCall): Promise<K2vResponse> {
  await call.k2v.deleteItem(call.bucketId, call.route.partitionKey, sortKey(call), tokenHeader(call));
  return emptyResponse(204);
}
