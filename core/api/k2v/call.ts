import type { IncomingHttpHeaders } from 'node:http';
import type { K2vService } from '../../model/k2v/index.js';
import type { K2vResponse } from './response.js';
import type { K2vRoute } from './router.js';

/** One authenticated, authorised request, as an endpoint handler sees it. */
export interface K2vCall {
  k2v: K2vService;
  bucketId: Buffer;
  route: K2vRoute;
  headers: IncomingHttpHeaders;
  /** The whole verified body; EntityTooLarge beyond `maxBytes`. */
  body(maxBytes: number): Promise<Buffer>;
  /** A signal aborted when the client goes away, for long polls (made on demand: most requests need none). */
  signal(): AbortSignal;
}

export type K2vHandler = (call: K2vCall) => Promise<K2vResponse>;
