/** ReadIndex (Garage's index.rs): the bucket's partition keys and their counters. */
import type { K2vCall } from './call.js';
import { queryBool, queryUint } from './params.js';
import { jsonResponse, type K2vResponse } from './response.js';

export async function readIndex(call: K2vCall): Promise<K2vResponse> {
  const q = call.route.query;
  const limit = queryUint(q, 'limit');
  const reverse = queryBool(q, 'reverse') ?? false;
  const range = {
    ...(q.has('prefix') ? { prefix: q.get('prefix')! } : {}),
    ...(q.has('start') ? { start: q.get('start')! } : {}),
    ...(q.has('end') ? { end: q.get('end')! } : {}),
  };
  const page = await call.k2v.readIndex(call.bucketId, { ...range, ...(limit !== undefined ? { limit } : {}), reverse });
  return jsonResponse({
    prefix: range.prefix ?? null,
    start: range.start ?? null,
    end: range.end ?? null,
    limit: limit ?? null,
    reverse,
    partitionKeys: page.items.map((p) => ({
      pk: p.pk,
      entries: Number(p.entries),
      conflicts: Number(p.conflicts),
      values: Number(p.values),
      bytes: Number(p.bytes),
    })),
    more: page.more,
    nextStart: page.nextStart,
  });
}
