/**
 * K2V routing (Garage's router.rs): `/<bucket>` or `/<bucket>/<partition key>`, the
 * method, and a keyword or parameters in the query. Pure: no I/O.
 */
import { ApiError } from '../common/errors.js';
import { percentDecode, type QueryParam } from '../common/http.js';

export type K2vEndpoint =
  | 'ReadItem'
  | 'PollItem'
  | 'InsertItem'
  | 'DeleteItem'
  | 'ReadIndex'
  | 'InsertBatch'
  | 'ReadBatch'
  | 'DeleteBatch'
  | 'PollRange';

export interface K2vRoute {
  endpoint: K2vEndpoint;
  bucket: string;
  /** Empty for the bucket-level endpoints. */
  partitionKey: string;
  /** Query parameters, percent-decoded as strict UTF-8. */
  query: ReadonlyMap<string, string>;
}

/** Read endpoints need the key's read permission, the others write (PollRange too, as in Garage). */
export function permissionOf(endpoint: K2vEndpoint): 'read' | 'write' {
  return endpoint === 'ReadItem' || endpoint === 'PollItem' || endpoint === 'ReadIndex' || endpoint === 'ReadBatch' ? 'read' : 'write';
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Percent-decodes a URL component; bytes that are not UTF-8 are InvalidUtf8String. */
function decodeComponent(raw: string, plusIsSpace: boolean): string {
  try {
    return utf8Strict.decode(percentDecode(raw, plusIsSpace));
  } catch {
    throw new ApiError('InvalidUtf8String', `not valid UTF-8 once percent-decoded: ${raw.slice(0, 64)}`);
  }
}

/** Which endpoint a request is for; 400 for anything that is none of them. */
export function routeK2v(method: string, rawPath: string, params: readonly QueryParam[]): K2vRoute {
  const path = rawPath.replace(/^\/+/, '');
  const slash = path.indexOf('/');
  const bucket = slash < 0 ? path : path.slice(0, slash);
  if (bucket === '') throw new ApiError('InvalidRequest', 'Missing bucket name');
  const partitionKey = slash < 0 ? '' : decodeComponent(path.slice(slash + 1).replace(/^\/+/, ''), false);
  const query = new Map(params.map((p) => [p.key, decodeComponent(p.rawValue, true)]));
  const has = (name: string): boolean => query.has(name);
  const item = partitionKey !== '';

  const endpoint = ((): K2vEndpoint | undefined => {
    switch (method) {
      case 'GET':
        if (!item) return 'ReadIndex';
        return has('causality_token') ? 'PollItem' : 'ReadItem';
      case 'PUT':
        return item ? 'InsertItem' : undefined;
      case 'DELETE':
        return item ? 'DeleteItem' : undefined;
      case 'POST':
        if (item) return has('poll_range') ? 'PollRange' : undefined;
        return has('search') ? 'ReadBatch' : has('delete') ? 'DeleteBatch' : 'InsertBatch';
      case 'SEARCH':
        if (item) return has('poll_range') ? 'PollRange' : undefined;
        return 'ReadBatch';
      default:
        return undefined;
    }
  })();
  if (endpoint === undefined) throw new ApiError('InvalidRequest', `no K2V endpoint for ${method} ${item ? '/<bucket>/<partition key>' : '/<bucket>'}`);
  if ((endpoint === 'ReadItem' || endpoint === 'PollItem' || endpoint === 'InsertItem' || endpoint === 'DeleteItem') && !has('sort_key')) {
    throw new ApiError('InvalidRequest', `${endpoint} needs the sort_key query parameter`);
  }
  return { endpoint, bucket, partitionKey, query };
}
