/** The K2V port over HTTP (Garage's K2V API with SigV4 "k2v"): our server or a Garage cluster. */
import { StoreError } from './errors.js';
import { SignedHttp, type HttpCall, type HttpReply, type HttpTarget } from './http.js';
import type { K2vEntry, K2vItemEntry, K2vPollRangeResult, K2vRangeBounds, K2vRangeDelete, K2vRangePage, K2vRangeRead, K2vStore, K2vWrite } from './port.js';
import { encodePath } from './sigv4.js';

const TOKEN_HEADER = 'x-garage-causality-token';

interface ItemJson {
  sk: string;
  ct: string;
  v: (string | null)[];
}

const values = (v: (string | null)[]): (Buffer | null)[] => v.map((x) => (x === null ? null : Buffer.from(x, 'base64')));
const entryOf = (i: ItemJson): K2vItemEntry => ({ sk: i.sk, token: i.ct, values: values(i.v) });
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');

function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

export interface HttpK2vOptions extends HttpTarget {
  bucket: string;
}

export class HttpK2vStore implements K2vStore {
  private readonly http: SignedHttp;
  private readonly bucket: string;

  constructor(options: HttpK2vOptions) {
    this.http = new SignedHttp(options, 'k2v');
    this.bucket = options.bucket;
  }

  /** Closes idle connections. */
  close(): void {
    this.http.close();
  }

  /** Sends a request; statuses other than `ok` become StoreError with the server's code. */
  private async call(call: Omit<HttpCall, 'path'> & { pk?: string }, ok: readonly number[]): Promise<HttpReply> {
    // Slashes of a partition key are encoded: the server takes the whole rest of the path as the key.
    const path = encodePath(call.pk === undefined ? [this.bucket] : [this.bucket, call.pk], false);
    const reply = await this.http.send({ ...call, path });
    if (ok.includes(reply.status)) return reply;
    let error: { code?: unknown; message?: unknown } = {};
    try {
      error = JSON.parse(reply.body.toString('utf8')) as typeof error;
    } catch {
      // not a K2V error body (e.g. a proxy's)
    }
    throw new StoreError(
      typeof error.code === 'string' ? error.code : `HTTP${reply.status}`,
      typeof error.message === 'string' ? error.message : `K2V request failed with HTTP ${reply.status}`,
      reply.status,
    );
  }

  private static entry(reply: HttpReply): K2vEntry {
    return { token: String(reply.headers[TOKEN_HEADER]), values: values(JSON.parse(reply.body.toString('utf8')) as (string | null)[]) };
  }

  async read(pk: string, sk: string): Promise<K2vEntry | null> {
    const reply = await this.call({ method: 'GET', pk, query: [['sort_key', sk]], headers: { accept: 'application/json' } }, [200, 404]);
    return reply.status === 404 ? null : HttpK2vStore.entry(reply);
  }

  async readBatch(ranges: readonly K2vRangeRead[]): Promise<K2vRangePage[]> {
    const body = json(ranges.map(({ pk, ...rest }) => ({ partitionKey: pk, ...rest })));
    const reply = await this.call({ method: 'POST', query: [['search', '']], body }, [200]);
    const pages = JSON.parse(reply.body.toString('utf8')) as { items: ItemJson[]; more: boolean; nextStart: string | null }[];
    return pages.map((p) => ({ items: p.items.map(entryOf), more: p.more, nextStart: p.nextStart }));
  }

  async insert(pk: string, sk: string, value: Uint8Array | null, token?: string): Promise<void> {
    const headers: Record<string, string> = token === undefined ? {} : { [TOKEN_HEADER]: token };
    const query: [string, string][] = [['sort_key', sk]];
    if (value === null) await this.call({ method: 'DELETE', pk, query, headers }, [204]);
    else await this.call({ method: 'PUT', pk, query, headers, body: Buffer.from(value.buffer, value.byteOffset, value.byteLength) }, [204]);
  }

  async insertBatch(items: readonly K2vWrite[]): Promise<void> {
    const body = json(
      items.map((i) => ({ pk: i.pk, sk: i.sk, ct: i.token ?? null, v: i.value === null ? null : Buffer.from(i.value).toString('base64') })),
    );
    await this.call({ method: 'POST', body }, [204]);
  }

  async deleteRange(ranges: readonly K2vRangeDelete[]): Promise<number[]> {
    const body = json(ranges.map(({ pk, ...rest }) => ({ partitionKey: pk, ...rest })));
    const reply = await this.call({ method: 'POST', query: [['delete', '']], body }, [200]);
    return (JSON.parse(reply.body.toString('utf8')) as { deletedItems: number }[]).map((r) => r.deletedItems);
  }

  async poll(pk: string, sk: string, token: string, timeoutMs: number): Promise<K2vEntry | null> {
    const query: [string, string][] = [
      ['sort_key', sk],
      ['causality_token', token],
      ['timeout', String(pollSeconds(timeoutMs))],
    ];
    const reply = await this.withTimeout(timeoutMs, (signal) =>
      this.call({ method: 'GET', pk, query, headers: { accept: 'application/json' }, ...(signal ? { signal } : {}) }, [200, 304]),
    );
    return reply === null || reply.status === 304 ? null : HttpK2vStore.entry(reply);
  }

  async pollRange(pk: string, range: K2vRangeBounds, seenMarker: string | undefined, timeoutMs: number): Promise<K2vPollRangeResult | null> {
    const body = json({ ...range, ...(seenMarker !== undefined ? { seenMarker } : {}), timeout: pollSeconds(timeoutMs) });
    const reply = await this.withTimeout(timeoutMs, (signal) =>
      this.call({ method: 'POST', pk, query: [['poll_range', '']], body, ...(signal ? { signal } : {}) }, [200, 304]),
    );
    if (reply === null || reply.status === 304) return null;
    const result = JSON.parse(reply.body.toString('utf8')) as { items: ItemJson[]; seenMarker: string };
    return { items: result.items.map(entryOf), seenMarker: result.seenMarker };
  }

  /**
   * Runs a long poll, giving up (null) after exactly timeoutMs: the API counts whole
   * seconds. An invalid timeout is left for the server to refuse.
   */
  private async withTimeout(timeoutMs: number, run: (signal?: AbortSignal) => Promise<HttpReply>): Promise<HttpReply | null> {
    const signal = timeoutMs >= 1 ? AbortSignal.timeout(timeoutMs) : undefined;
    try {
      return await run(signal);
    } catch (err) {
      if (signal?.aborted && isAbort(err)) return null;
      throw err;
    }
  }
}

/** The API's timeout: whole seconds (1 to 600). */
function pollSeconds(timeoutMs: number): number {
  return Math.ceil(timeoutMs / 1000);
}
