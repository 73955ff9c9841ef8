import { createHash, createHmac, timingSafeEqual, type Hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { ApiError } from './errors.js';
import type { Payload } from './signature.js';

/** Where body bytes come from: an IncomingMessage, or any async iterable of bytes. */
export type BodySource = AsyncIterable<Uint8Array | string>;

/** A request body as the handler reads it. */
export interface RequestBody {
  /** The payload bytes, decoded and verified; iterate once, to the end: failures surface as thrown ApiErrors. */
  readonly chunks: AsyncIterable<Buffer>;
  /** Trailing headers of an aws-chunked body (lower-case names), filled in when `chunks` ends. */
  readonly trailers: ReadonlyMap<string, string>;
}

type PlainPayload = Extract<Payload, { kind: 'sha256' | 'unsigned' }>;
type ChunkedPayload = Extract<Payload, { kind: 'streaming-signed' | 'streaming-unsigned-trailer' }>;

/** The body of a request whose signature gave `payload`, framed by its Content-Length and x-amz-decoded-content-length. */
export function requestBody(source: BodySource, payload: Payload, headers: IncomingHttpHeaders): RequestBody {
  const contentLength = lengthHeader(headers, 'content-length');
  if (payload.kind === 'sha256' || payload.kind === 'unsigned') {
    return { chunks: verifiedBody(source, payload, contentLength), trailers: new Map() };
  }
  return awsChunkedBody(source, payload, {
    contentLength,
    decodedContentLength: lengthHeader(headers, 'x-amz-decoded-content-length'),
  });
}

/**
 * A plain body: checks it has exactly `contentLength` bytes and, for a signed payload, its
 * SHA-256. The last chunk is held back until both checks pass, so a reader never sees a
 * complete body that is wrong.
 */
export async function* verifiedBody(
  source: BodySource,
  payload: PlainPayload,
  contentLength: number | undefined,
): AsyncGenerator<Buffer, void, undefined> {
  const expectedHex = payload.kind === 'sha256' ? payload.hex : undefined;
  const hash = expectedHex === undefined ? undefined : createHash('sha256');
  let received = 0;
  let held: Buffer | undefined;
  for await (const chunk of bytesOf(source)) {
    received += chunk.length;
    if (contentLength !== undefined && received > contentLength) throw tooLong();
    hash?.update(chunk);
    if (held !== undefined) yield held;
    held = chunk;
  }
  if (contentLength !== undefined && received < contentLength) throw new ApiError('IncompleteBody');
  if (hash !== undefined && hash.digest('hex') !== expectedHex) {
    throw new ApiError('XAmzContentSHA256Mismatch');
  }
  if (held !== undefined) yield held;
}

/**
 * An `aws-chunked` body (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] or
 * STREAMING-UNSIGNED-PAYLOAD-TRAILER), decoded as it streams, with each chunk signature
 * checked before the chunk's last bytes are released.
 */
export function awsChunkedBody(
  source: BodySource,
  payload: ChunkedPayload,
  lengths: { contentLength?: number | undefined; decodedContentLength?: number | undefined } = {},
): RequestBody {
  const decoder = new ChunkedDecoder(payload, lengths.decodedContentLength);
  async function* chunks(): AsyncGenerator<Buffer, void, undefined> {
    const out: Buffer[] = [];
    let received = 0;
    let held: Buffer | undefined;
    for await (const buf of bytesOf(source)) {
      received += buf.length;
      if (lengths.contentLength !== undefined && received > lengths.contentLength) throw tooLong();
      decoder.push(buf, out);
      for (const piece of out) {
        if (held !== undefined) yield held;
        held = piece;
      }
      out.length = 0;
    }
    if (lengths.contentLength !== undefined && received < lengths.contentLength) throw new ApiError('IncompleteBody');
    decoder.end();
    if (held !== undefined) yield held;
  }
  return { chunks: chunks(), trailers: decoder.trailers };
}

const MAX_LINE = 4096;
const MAX_TRAILERS = 16;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const CR = 0x0d;
const LF = 0x0a;

type State = 'header' | 'data' | 'data-cr' | 'data-lf' | 'trailer' | 'done';

/**
 * Streaming state machine for aws-chunked framing:
 *   <hex size>[;chunk-signature=<sig>]\r\n <data> \r\n ... 0[;chunk-signature=<sig>]\r\n
 *   [<trailer name>:<value>\r\n ... [x-amz-trailer-signature:<sig>\r\n]] \r\n
 * Input may be split anywhere; data passes through as slices of the input buffers.
 */
class ChunkedDecoder {
  readonly trailers = new Map<string, string>();
  private readonly signed: Extract<Payload, { kind: 'streaming-signed' }> | undefined;
  private readonly hasTrailer: boolean;
  private state: State = 'header';
  private line: Buffer[] = [];
  private lineLength = 0;
  private remaining = 0;
  private decoded = 0;
  private previousSignature: string;
  private chunkSignature = '';
  private chunkHash: Hash | undefined;
  private trailerCanonical = '';
  private trailerSigned = false;

  constructor(
    payload: ChunkedPayload,
    private readonly decodedLength: number | undefined,
  ) {
    this.signed = payload.kind === 'streaming-signed' ? payload : undefined;
    this.hasTrailer = payload.kind === 'streaming-unsigned-trailer' || payload.trailer;
    this.previousSignature = this.signed?.seedSignature ?? '';
  }

  /** Decodes `buf`, appending the payload slices it contains to `out`. */
  push(buf: Buffer, out: Buffer[]): void {
    let pos = 0;
    while (pos < buf.length) {
      switch (this.state) {
        case 'data': {
          const n = Math.min(this.remaining, buf.length - pos);
          const slice = buf.subarray(pos, pos + n);
          this.chunkHash?.update(slice);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            this.verifyChunk();
            this.state = 'data-cr';
          }
          out.push(slice);
          break;
        }
        case 'data-cr':
        case 'data-lf':
          if (buf[pos] !== (this.state === 'data-cr' ? CR : LF)) throw malformed('chunk data must end with CRLF');
          this.state = this.state === 'data-cr' ? 'data-lf' : 'header';
          pos++;
          break;
        case 'header':
        case 'trailer': {
          const lf = buf.indexOf(LF, pos);
          const end = lf < 0 ? buf.length : lf + 1;
          this.lineLength += end - pos;
          if (this.lineLength > MAX_LINE) throw malformed('chunk header line too long');
          this.line.push(buf.subarray(pos, end));
          pos = end;
          if (lf < 0) break;
          const line = this.line.length === 1 ? this.line[0]! : Buffer.concat(this.line);
          if (line[line.length - 2] !== CR) {
            // Some clients end a trailer value with a bare \n before the CRLF: keep reading the line.
            if (this.state === 'trailer') {
              this.line = [line];
              break;
            }
            throw malformed('lines must end with CRLF');
          }
          this.line = [];
          this.lineLength = 0;
          const text = line.toString('latin1', 0, line.length - 2);
          if (this.state === 'header') this.onHeader(text);
          else this.onTrailer(text);
          break;
        }
        case 'done':
          throw malformed('data after the final chunk');
      }
    }
  }

  /** Checks that the body ended where the framing says it may. */
  end(): void {
    const atLineStart = this.lineLength === 0;
    // The blank line closing the trailer section is optional in practice (clients differ).
    const canStop = this.state === 'trailer' && atLineStart && !(this.signed && this.hasTrailer && !this.trailerSigned);
    if (this.state !== 'done' && !canStop) throw new ApiError('IncompleteBody', 'The aws-chunked body ended before its final chunk.');
    if (this.decodedLength !== undefined && this.decoded !== this.decodedLength) {
      throw new ApiError('IncompleteBody', 'The aws-chunked body is shorter than x-amz-decoded-content-length.');
    }
  }

  private onHeader(text: string): void {
    const semi = text.indexOf(';');
    const sizeText = semi < 0 ? text : text.slice(0, semi);
    if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText)) throw malformed('invalid chunk size');
    const size = parseInt(sizeText, 16);
    if (this.signed !== undefined) {
      const m = /^chunk-signature=([0-9a-fA-F]{64})$/.exec(semi < 0 ? '' : text.slice(semi + 1));
      if (m === null) throw malformed('missing chunk-signature');
      this.chunkSignature = m[1]!;
      this.chunkHash = createHash('sha256');
    }
    this.decoded += size;
    if (this.decodedLength !== undefined && this.decoded > this.decodedLength) {
      throw new ApiError('InvalidRequest', 'The aws-chunked body is longer than x-amz-decoded-content-length.');
    }
    if (size === 0) {
      this.verifyChunk();
      this.state = 'trailer';
    } else {
      this.remaining = size;
      this.state = 'data';
    }
  }

  private onTrailer(text: string): void {
    if (text === '') {
      if (this.signed && this.hasTrailer && !this.trailerSigned) throw malformed('missing x-amz-trailer-signature');
      this.state = 'done';
      return;
    }
    if (!this.hasTrailer) throw malformed('unexpected trailer');
    if (this.trailerSigned) throw malformed('x-amz-trailer-signature must end the trailer');
    const colon = text.indexOf(':');
    const name = text.slice(0, colon).trim().toLowerCase();
    const value = text.slice(colon + 1).replace(/\n$/, '').trim();
    if (colon <= 0 || !/^[a-z0-9-]+$/.test(name) || /[\r\n]/.test(value)) throw malformed('invalid trailer line');
    if (name === 'x-amz-trailer-signature') {
      if (this.signed === undefined) throw malformed('unexpected x-amz-trailer-signature');
      const canonicalHash = createHash('sha256').update(this.trailerCanonical, 'latin1').digest('hex');
      this.checkSignature('AWS4-HMAC-SHA256-TRAILER', `${this.previousSignature}\n${canonicalHash}`, value);
      this.trailerSigned = true;
      return;
    }
    if (this.trailers.size >= MAX_TRAILERS) throw malformed('too many trailers');
    this.trailers.set(name, value);
    this.trailerCanonical += `${name}:${value}\n`;
  }

  private verifyChunk(): void {
    if (this.signed === undefined) return;
    const dataHash = this.chunkHash!.digest('hex');
    this.previousSignature = this.checkSignature(
      'AWS4-HMAC-SHA256-PAYLOAD',
      `${this.previousSignature}\n${EMPTY_SHA256}\n${dataHash}`,
      this.chunkSignature,
    );
  }

  /** Checks `provided` signs `algorithm`/date/scope/`rest`; returns the signature in lower-case hex. */
  private checkSignature(algorithm: string, rest: string, provided: string): string {
    const { signingKey, date, scope } = this.signed!;
    const expected = createHmac('sha256', signingKey).update(`${algorithm}\n${date}\n${scope}\n${rest}`).digest();
    if (!/^[0-9a-fA-F]{64}$/.test(provided) || !timingSafeEqual(expected, Buffer.from(provided, 'hex'))) {
      throw new ApiError('SignatureDoesNotMatch', 'The chunk signature we calculated does not match the signature you provided.');
    }
    return expected.toString('hex');
  }
}

function malformed(why: string): ApiError {
  return new ApiError('InvalidRequest', `Malformed aws-chunked body: ${why}.`);
}

function tooLong(): ApiError {
  return new ApiError('InvalidRequest', 'The request body is longer than its Content-Length.');
}

/**
 * The source's bytes as Buffers. A client that goes away mid-body becomes IncompleteBody.
 * An IncomingMessage is read without destroying it when the reader stops early, so an
 * error response can still be written on its socket.
 */
async function* bytesOf(source: BodySource): AsyncGenerator<Buffer, void, undefined> {
  const iterable: AsyncIterable<Uint8Array | string> =
    source instanceof Readable ? { [Symbol.asyncIterator]: () => source.iterator({ destroyOnReturn: false }) } : source;
  try {
    for await (const chunk of iterable) {
      if (chunk.length === 0) continue;
      if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8');
      else yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  } catch (err) {
    if (isAbort(err)) throw new ApiError('IncompleteBody', undefined, { cause: err });
    throw err;
  }
}

function isAbort(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err instanceof Error && err.message === 'aborted');
}

function lengthHeader(headers: IncomingHttpHeaders, name: string): number | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value.trim())) throw new ApiError('InvalidArgument', `Invalid ${name} header.`);
  return Number(value);
}
