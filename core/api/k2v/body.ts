/** Reading a K2V request body whole, with a size cap checked before and while reading. */
import type { IncomingMessage } from 'node:http';
import { ApiError } from '../common/errors.js';
import { requestBody } from '../common/body.js';
import type { Payload } from '../common/signature.js';

/** The verified body (SHA-256 or aws-chunked signatures checked), at most `maxBytes`, else EntityTooLarge. */
export async function readBody(req: IncomingMessage, payload: Payload, maxBytes: number): Promise<Buffer> {
  const tooLarge = (): ApiError => new ApiError('EntityTooLarge', `The request body is larger than ${maxBytes} bytes.`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of requestBody(req, payload, req.headers).chunks) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads and drops what is left of a refused request's body, up to `maxBytes`, so the
 * client (which usually sends it all before reading) gets the error response rather
 * than a reset. False when more remains: the connection must then be closed.
 */
export function discardBody(req: IncomingMessage, maxBytes: number): Promise<boolean> {
  if (req.complete) return Promise.resolve(true);
  return new Promise((resolve) => {
    let left = maxBytes;
    const done = (drained: boolean): void => {
      req.off('data', onData);
      for (const event of ['end', 'error', 'close']) req.off(event, onEnd);
      if (!drained) req.pause();
      resolve(drained);
    };
    const onData = (chunk: Buffer): void => {
      left -= chunk.length;
      if (left < 0) done(false);
    };
    const onEnd = (): void => done(req.complete);
    req.on('data', onData);
    for (const event of ['end', 'error', 'close']) req.once(event, onEnd);
    req.resume();
  });
}
