import { Worker } from 'node:worker_threads';

interface Reply {
  msg: number;
  hash?: ArrayBuffer;
  data?: ArrayBuffer;
  md5?: ArrayBuffer;
  error?: string;
}

/**
 * The worker's code (CommonJS, evaluated: it runs the same from sources and from the
 * build). Per stream it keeps an MD5 over the blocks in the order they arrive, and
 * answers each block with its SHA-256, sending the block's memory back.
 */
function hashWorkerMain(): void {
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  const streams = new Map<number, import('node:crypto').Hash>();
  parentPort!.on('message', (m: { op: 'block' | 'end' | 'drop'; stream: number; msg: number; data?: ArrayBuffer }) => {
    try {
      if (m.op === 'drop') {
        streams.delete(m.stream);
        return;
      }
      let md5 = streams.get(m.stream);
      if (!md5) streams.set(m.stream, (md5 = createHash('md5')));
      if (m.op === 'end') {
        streams.delete(m.stream);
        const digest = md5.digest();
        parentPort!.postMessage({ msg: m.msg, md5: digest.buffer.slice(digest.byteOffset, digest.byteOffset + digest.length) });
        return;
      }
      const view = new Uint8Array(m.data!);
      md5.update(view);
      const hash = createHash('sha256').update(view).digest();
      parentPort!.postMessage({ msg: m.msg, hash: hash.buffer.slice(hash.byteOffset, hash.byteOffset + hash.length), data: m.data }, [m.data!]);
    } catch (err) {
      parentPort!.postMessage({ msg: m.msg, error: String(err) });
    }
  });
}

/** Memory that can be moved to the worker: `data` itself if it owns its whole ArrayBuffer, else a copy. */
function movable(data: Buffer): ArrayBuffer {
  const ab = data.buffer;
  if (ab instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === ab.byteLength) return ab;
  const copy = new ArrayBuffer(data.length);
  new Uint8Array(copy).set(data);
  return copy;
}

/**
 * Hashes the blocks of large uploads on a worker thread: the MD5 of the whole body (the
 * ETag) and the SHA-256 of each block are the main CPU cost of a PUT, and the event loop
 * has the HTTP traffic to do meanwhile. Block memory is moved, not copied, both ways.
 */
export class BlockHasher {
  private worker: Worker | undefined;
  private nextMsg = 1;
  private nextStream = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();

  private call(message: { op: 'block' | 'end'; stream: number; data?: ArrayBuffer }): Promise<Reply> {
    const worker = this.running();
    const msg = this.nextMsg++;
    return new Promise((resolve, reject) => {
      this.pending.set(msg, { resolve, reject });
      worker.postMessage({ ...message, msg }, message.data ? [message.data] : []);
    });
  }

  private running(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(`(${hashWorkerMain.toString()})()`, { eval: true });
    // Never what keeps the process alive; idle between uploads.
    worker.unref();
    worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.msg);
      this.pending.delete(r.msg);
      if (r.error !== undefined) p?.reject(new Error(`hash worker: ${r.error}`));
      else p?.resolve(r);
    });
    const fail = (err: Error) => {
      this.worker = undefined;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`hash worker exited (${code})`)));
    this.worker = worker;
    return worker;
  }

  /** A new MD5 stream: blocks are hashed in the order `block` is called. */
  stream(): HashStream {
    const stream = this.nextStream++;
    return {
      block: async (data) => {
        const r = await this.call({ op: 'block', stream, data: movable(data) });
        return { hash: Buffer.from(r.hash!), data: Buffer.from(r.data!) };
      },
      md5: async () => Buffer.from((await this.call({ op: 'end', stream })).md5!),
      discard: () => this.worker?.postMessage({ op: 'drop', stream, msg: 0 }),
    };
  }
}

export interface HashStream {
  /** The block's SHA-256, and the block (its memory came back from the worker; `data` is detached). */
  block(data: Buffer): Promise<{ hash: Buffer; data: Buffer }>;
  /** The MD5 of every block so far; ends the stream. */
  md5(): Promise<Buffer>;
  /** Ends the stream without a result (failed upload). */
  discard(): void;
}
