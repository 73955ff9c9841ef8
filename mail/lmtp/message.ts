/**
 * Receiving a message's DATA: kept as the chunks that arrived (no copy into one
 * buffer), up to the size limit. Past the limit nothing more is kept: the rest is read
 * and dropped so the connection stays in step, and smtp-server answers 552 5.3.4.
 */
import type { Readable } from 'node:stream';

export type Received = { kind: 'message'; chunks: Buffer[]; size: number } | { kind: 'oversized'; size: number };

export async function receiveMessage(stream: Readable, maxBytes: number): Promise<Received> {
  let chunks: Buffer[] | undefined = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) chunks = undefined;
    chunks?.push(chunk);
  }
  return chunks === undefined ? { kind: 'oversized', size } : { kind: 'message', chunks, size };
}
