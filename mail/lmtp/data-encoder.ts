/**
 * A message as it goes after DATA (RFC 5321 §4.5.2): lines end in CRLF (a message
 * piped from a Unix MTA has bare LFs), a line that begins with "." gets one more in
 * front, and ".\r\n" ends it (after a CRLF, added when the message does not end with
 * a line break).
 */
import { Transform, type TransformCallback } from 'node:stream';

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const CRLF = Buffer.from('\r\n');
const DOT_BYTE = Buffer.from('.');
const LF_BYTE = Buffer.from('\n');

export class DataEncoder extends Transform {
  private atLineStart = true;
  private lastWasCr = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const out: Buffer[] = [];
    let from = 0;
    while (from < chunk.length) {
      if (this.atLineStart && chunk[from] === DOT) out.push(DOT_BYTE);
      const lf = chunk.indexOf(LF, from);
      if (lf === -1) {
        out.push(chunk.subarray(from));
        this.lastWasCr = chunk[chunk.length - 1] === CR;
        this.atLineStart = false;
        break;
      }
      // The byte before this LF is in this chunk, or was the last of the previous one.
      const crBefore = lf > from ? chunk[lf - 1] === CR : this.lastWasCr;
      out.push(chunk.subarray(from, lf), crBefore ? LF_BYTE : CRLF);
      this.atLineStart = true;
      this.lastWasCr = false;
      from = lf + 1;
    }
    done(null, Buffer.concat(out));
  }

  override _flush(done: TransformCallback): void {
    const tail = this.atLineStart ? '' : this.lastWasCr ? '\n' : '\r\n';
    done(null, Buffer.from(`${tail}.\r\n`));
  }
}
