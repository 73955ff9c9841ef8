/** Signed HTTP requests for the HTTP storage port: node:http with keep-alive, whole bodies. */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { canonicalQuery, sha256Hex, signRequest, type Credentials } from './sigv4.js';

export interface HttpTarget {
  /** Scheme, host and port of the API, e.g. http://127.0.0.1:3904 (requests are path-style). */
  endpoint: string;
  region: string;
  credentials: Credentials;
}

export interface HttpCall {
  method: string;
  /** URI-encoded path (see encodePath). */
  path: string;
  query?: readonly (readonly [string, string])[];
  headers?: Readonly<Record<string, string>>;
  body?: Buffer;
  signal?: AbortSignal;
}

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class SignedHttp {
  private readonly url: URL;
  private readonly agent: Agent;

  constructor(
    private readonly target: HttpTarget,
    private readonly service: 's3' | 'k2v',
  ) {
    this.url = new URL(target.endpoint);
    this.agent = this.url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new Agent({ keepAlive: true });
  }

  send(call: HttpCall): Promise<HttpReply> {
    const query = call.query ?? [];
    const body = call.body ?? Buffer.alloc(0);
    const headers = signRequest(
      { method: call.method, host: this.url.host, path: call.path, query, headers: call.headers ?? {}, payloadHash: sha256Hex(body) },
      { credentials: this.target.credentials, region: this.target.region, service: this.service },
    );
    const qs = canonicalQuery(query);
    const send = this.url.protocol === 'https:' ? httpsRequest : request;
    return new Promise((resolve, reject) => {
      const req = send(
        {
          protocol: this.url.protocol,
          hostname: this.url.hostname,
          port: this.url.port,
          method: call.method,
          path: `${call.path}${qs ? `?${qs}` : ''}`,
          headers: { ...headers, 'content-length': String(body.length) },
          agent: this.agent,
          ...(call.signal ? { signal: call.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}
