import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { receiveMessage } from '../../../../mail/lmtp/message.js';

describe('receiveMessage', () => {
  it('keeps the chunks as they came', async () => {
    const chunks = [Buffer.from('abc'), Buffer.from('de')];
    const r = await receiveMessage(Readable.from(chunks), 5);
    expect(r).toEqual({ kind: 'message', chunks, size: 5 });
  });

  it('drops everything once over the limit, and reads to the end', async () => {
    const stream = Readable.from([Buffer.alloc(4), Buffer.alloc(4), Buffer.alloc(4)]);
    expect(await receiveMessage(stream, 5)).toEqual({ kind: 'oversized', size: 12 });
    expect(stream.readableEnded).toBe(true);
  });
});
