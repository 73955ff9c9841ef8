/** InsertBatch, ReadBatch, DeleteBatch (Garage's batch.rs), and PollRange. */
import type { K2vDeleteBatchQuery, K2vInsert, K2vReadBatchQuery } from '../../model/k2v/index.js';
import type { K2vCall } from './call.js';
import { decodeBase64, jsonArray, jsonObject, optBool, optString, optUint, parseJson, reqString, type JsonObject } from './json.js';
import { pollTimeoutMs } from './params.js';
import { emptyResponse, itemJson, jsonResponse, type K2vResponse } from './response.js';

/** Batch bodies are JSON with base64 values: room for many maximum-size values. */
const MAX_BATCH_BODY_BYTES = 64 * 1024 * 1024;

async function jsonBody(call: K2vCall): Promise<unknown> {
  return parseJson(await call.body(MAX_BATCH_BODY_BYTES));
}

function rangeOf(o: JsonObject): { prefix?: string; start?: string; end?: string } {
  const prefix = optString(o, 'prefix');
  const start = optString(o, 'start');
  const end = optString(o, 'end');
  return { ...(prefix !== undefined ? { prefix } : {}), ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) };
}

function insertOf(value: unknown): K2vInsert {
  const o = jsonObject(value, 'each InsertBatch item');
  const v = optString(o, 'v');
  return { pk: reqString(o, 'pk'), sk: reqString(o, 'sk'), token: optString(o, 'ct') ?? null, value: v === undefined ? null : decodeBase64(v) };
}

function readQueryOf(value: unknown): K2vReadBatchQuery {
  const o = jsonObject(value, 'each ReadBatch query');
  const limit = optUint(o, 'limit');
  return {
    partitionKey: reqString(o, 'partitionKey'),
    ...rangeOf(o),
    ...(limit !== undefined ? { limit } : {}),
    reverse: optBool(o, 'reverse') ?? false,
    singleItem: optBool(o, 'singleItem') ?? false,
    conflictsOnly: optBool(o, 'conflictsOnly') ?? false,
    tombstones: optBool(o, 'tombstones') ?? false,
  };
}

function deleteQueryOf(value: unknown): K2vDeleteBatchQuery {
  const o = jsonObject(value, 'each DeleteBatch query');
  return { partitionKey: reqString(o, 'partitionKey'), ...rangeOf(o), singleItem: optBool(o, 'singleItem') ?? false };
}

export async function insertBatch(call: K2vCall): Promise<K2vResponse> {
  const inserts = jsonArray(await jsonBody(call), 'the InsertBatch body').map(insertOf);
  await call.k2v.insertBatch(call.bucketId, inserts);
  return emptyResponse(204);
}

export async function readBatch(call: K2vCall): Promise<K2vResponse> {
  const queries = jsonArray(await jsonBody(call), 'the ReadBatch body').map(readQueryOf);
  const pages = await call.k2v.readBatch(call.bucketId, queries);
  return jsonResponse(
    queries.map((q, i) => ({
      partitionKey: q.partitionKey,
      prefix: q.prefix ?? null,
      start: q.start ?? null,
      end: q.end ?? null,
      limit: q.limit ?? null,
      reverse: q.reverse,
      singleItem: q.singleItem,
      conflictsOnly: q.conflictsOnly,
      tombstones: q.tombstones,
      items: pages[i]!.items.map(itemJson),
      more: pages[i]!.more,
      nextStart: pages[i]!.nextStart,
    })),
  );
}

export async function deleteBatch(call: K2vCall): Promise<K2vResponse> {
  const queries = jsonArray(await jsonBody(call), 'the DeleteBatch body').map(deleteQueryOf);
  const deleted = await call.k2v.deleteBatch(call.bucketId, queries);
  return jsonResponse(
    queries.map((q, i) => ({
      partitionKey: q.partitionKey,
      prefix: q.prefix ?? null,
      start: q.start ?? null,
      end: q.end ?? null,
      singleItem: q.singleItem,
      deletedItems: deleted[i],
    })),
  );
}

/** 200 {items, seenMarker}, or 304 when a marker was given and nothing changed before the timeout. */
export async function pollRange(call: K2vCall): Promise<K2vResponse> {
  const o = jsonObject(await jsonBody(call), 'the PollRange body');
  const seenMarker = optString(o, 'seenMarker');
  const result = await call.k2v.pollRange(
    call.bucketId,
    call.route.partitionKey,
    { ...rangeOf(o), ...(seenMarker !== undefined ? { seenMarker } : {}), timeoutMs: pollTimeoutMs(optUint(o, 'timeout')) },
    { signal: call.signal() },
  );
  return result === null ? emptyResponse(304) : jsonResponse({ items: result.items.map(itemJson), seenMarker: result.seenMarker });
}
