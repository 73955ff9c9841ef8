/**
 * A message piped by an MTA may begin with an mbox envelope line, "From sender date"
 * (Postfix's local(8) writes one for a mailbox_command). It is not a header: taken off
 * before delivery, and its sender used when none is given (MAILER-DAEMON = <>).
 */
import { Readable } from 'node:stream';

const LF = 0x0a;
/** Longer than any envelope line: past this without a line break there is none. */
const MAX_LINE = 4096;

export interface WithoutFromLine {
  /** The envelope line's sender ("" for MAILER-DAEMON); undefined when there was no such line. */
  sender: string | undefined;
  message: Readable;
}

export async function takeFromLine(input: Readable): Promise<WithoutFromLine> {
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  let ended = false;
  while (!ended && head.indexOf(LF) === -1 && head.length < MAX_LINE) {
    const next = await chunks.next();
    if (next.done === true) ended = true;
    else head = Buffer.concat([head, next.value]);
  }
  let sender: string | undefined;
  if (head.toString('latin1', 0, 5) === 'From ') {
    const nl = head.indexOf(LF);
    const line = head.toString('utf8', 5, nl === -1 ? head.length : nl).trim();
    const address = line.split(/\s+/)[0] ?? '';
    sender = address === 'MAILER-DAEMON' ? '' : address;
    head = nl === -1 ? Buffer.alloc(0) : head.subarray(nl + 1);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (ended) return;
    for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) yield next.value;
  }
  return { sender, message: Readable.from(rest(), { objectMode: false }) };
}
