/**
 * What happens inside an LMTP transaction: RCPT TO resolves the recipient to a user
 * (or refuses it at once), DATA is received once and then stored once per accepted
 * recipient, with that recipient's trace on top, into their incoming queue. Each
 * recipient gets its own reply, in RCPT order: 250 once the message is durably
 * stored, 451 4.3.0 if storing it failed (for that recipient alone).
 */
import type { Readable } from 'node:stream';
import { domainToASCII } from 'node:url';
import type { SMTPServerAddress, SMTPServerDataResult, SMTPServerSession } from 'smtp-server';
import type { Logger } from '../../core/util/log.js';
import { deliver, type UserStorage } from '../store/index.js';
import { mapLimit } from '../store/limit.js';
import type { LoginProvider, Recipient } from '../user/provider.js';
import { DuplicateRecipientError, TemporaryFailureError, UnknownRecipientError } from './errors.js';
import { receiveMessage } from './message.js';
import type { LmtpLimits } from './options.js';
import type { Semaphore } from './semaphore.js';
import { traceHeaders } from './trace.js';

export interface TransactionContext {
  users: Pick<LoginProvider, 'lookupAddress'>;
  storageFor(recipient: Recipient): UserStorage | Promise<UserStorage>;
  hostname: string;
  maxMessageBytes: number;
  limits: LmtpLimits;
  /** Shared by every connection: bound the deliveries being stored at once, in number and in bytes. */
  deliveries: Semaphore;
  deliveryBytes: Semaphore;
  log: Logger;
}

/** An address with its domain in ASCII (smtp-server turns punycode into Unicode; users are registered in ASCII). */
function asciiAddress(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0) return undefined;
  const domain = address.slice(at + 1);
  if (/^[\x21-\x7e]+$/.test(domain)) return address;
  const ascii = domainToASCII(domain);
  return ascii === '' ? undefined : `${address.slice(0, at)}@${ascii}`;
}

export class Transactions {
  /** The user behind each accepted RCPT TO (keyed by smtp-server's address object). */
  private readonly accepted = new WeakMap<SMTPServerAddress, Recipient>();

  constructor(private readonly ctx: TransactionContext) {}

  /** RCPT TO: resolves when the recipient is accepted; throws the LmtpError to answer otherwise. */
  async addRecipient(address: SMTPServerAddress, session: SMTPServerSession): Promise<void> {
    const ascii = asciiAddress(address.address);
    if (ascii !== undefined && session.envelope.rcptTo.some((r) => asciiAddress(r.address)?.toLowerCase() === ascii.toLowerCase())) {
      throw new DuplicateRecipientError(address.address);
    }
    let recipient: Recipient | undefined;
    try {
      recipient = ascii === undefined ? undefined : await this.ctx.users.lookupAddress(ascii);
    } catch (err) {
      this.ctx.log.error({ err, session: session.id }, 'looking up a recipient failed');
      throw new TemporaryFailureError(`<${address.address}> cannot be looked up right now, try again later`, { cause: err });
    }
    if (recipient === undefined) throw new UnknownRecipientError(address.address);
    this.accepted.set(address, recipient);
  }

  /** DATA: the reply for each accepted recipient, in order; null when the message was too large (smtp-server answers 552). */
  async receive(stream: Readable, session: SMTPServerSession): Promise<SMTPServerDataResult[] | null> {
    const received = await receiveMessage(stream, this.ctx.maxMessageBytes);
    if (received.kind === 'oversized') {
      this.ctx.log.info({ session: session.id, size: received.size, limit: this.ctx.maxMessageBytes }, 'refused a message over the size limit');
      return null;
    }
    const date = new Date();
    const utf8 = session.envelope.smtpUtf8 === true;
    // Without SMTPUTF8 the trace keeps domains as they came on the wire: in ASCII.
    const inTrace = (address: string): string => (utf8 ? address : (asciiAddress(address) ?? address));
    const mailFrom = session.envelope.mailFrom;
    const rcptTo = session.envelope.rcptTo;
    return mapLimit(rcptTo, this.ctx.limits.recipientParallelism, async (address): Promise<SMTPServerDataResult> => {
      const recipient = this.accepted.get(address)!;
      const trace = traceHeaders({
        sender: mailFrom === false ? '' : inTrace(mailFrom.address),
        recipient: inTrace(address.address),
        helo: session.hostNameAppearsAs,
        clientIp: session.remoteAddress,
        hostname: this.ctx.hostname,
        id: session.id,
        utf8,
        date,
      });
      const size = trace.length + received.size;
      const started = performance.now();
      try {
        // Storing holds a few copies of the message (whole, sealed): they count against the byte budget.
        const store = async () => deliver(await this.ctx.storageFor(recipient), recipient, Buffer.concat([trace, ...received.chunks], size));
        const result = await this.ctx.deliveries.run(() => this.ctx.deliveryBytes.run(store, size));
        this.ctx.log.info({ session: session.id, user: recipient.username, delivery: result.id, size: result.size, ms: Math.round(performance.now() - started) }, 'delivered');
        return `<${address.address}> saved`;
      } catch (err) {
        this.ctx.log.error({ err, session: session.id, user: recipient.username }, 'storing a delivery failed');
        return new TemporaryFailureError(`<${address.address}> could not be stored, try again later`, { cause: err });
      }
    });
  }
}
