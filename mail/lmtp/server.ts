/**
 * The LMTP listener (RFC 2033) on smtp-server in LMTP mode, for a local MTA handing
 * over mail: no TLS, no AUTH. LHLO advertises PIPELINING, 8BITMIME, SMTPUTF8,
 * ENHANCEDSTATUSCODES and SIZE; not CHUNKING (smtp-server has no BDAT) and not DSN
 * (we write no delivery status notifications: the MTA does, from our replies).
 */
import type { AddressInfo } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { SMTPServer } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { parseBindAddr } from '../../core/util/config.js';
import { silentLogger } from '../../core/util/log.js';
import { ShuttingDownError, TemporaryFailureError } from './errors.js';
import { DEFAULT_LMTP_LIMITS, DEFAULT_MAX_MESSAGE_BYTES, type LmtpLimits, type LmtpServerOptions } from './options.js';
import { Semaphore } from './semaphore.js';
import { Transactions } from './transaction.js';

export interface LmtpServer {
  address: AddressInfo;
  /** Live connections. */
  connections(): number;
  /** Stops listening, lets transactions under way finish (up to the grace period), then closes every connection. */
  close(): Promise<void>;
}

/**
 * smtp-server holds every greeting back 100 ms to catch clients that talk too soon, a
 * spam heuristic for the open Internet. Our client is a local MTA that may open a
 * connection per message, and would wait that long each time: greet at once.
 */
class PromptGreetingServer extends SMTPServer {
  override connect(socket: Parameters<SMTPServer['connect']>[0], socketOptions?: Parameters<SMTPServer['connect']>[1]): void {
    const connection = new SMTPConnection(this, socket, socketOptions);
    this.connections.add(connection);
    connection.on('error', (err: Error) => this._onError(err));
    connection.on('connect', (info: Parameters<SMTPServer['_onClientConnect']>[0]) => this._onClientConnect(info));
    connection._setListeners(() => {
      const max = this.options.maxClients;
      if (max !== undefined && this.connections.size > max) {
        connection.send(421, `${connection.name} too many connections, try again in a moment`, false);
        connection.close();
        return;
      }
      connection.connectionReady();
    });
  }
}

export async function startLmtpServer(opts: LmtpServerOptions): Promise<LmtpServer> {
  const limits: LmtpLimits = { ...DEFAULT_LMTP_LIMITS, ...opts.limits };
  const log = opts.logger ?? silentLogger();
  const hostname = opts.hostname ?? osHostname();
  const maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const transactions = new Transactions({
    users: opts.users,
    storageFor: opts.storageFor,
    hostname,
    maxMessageBytes,
    limits,
    deliveries: new Semaphore(limits.maxConcurrentDeliveries),
    deliveryBytes: new Semaphore(limits.maxDeliveryBytes),
    log,
  });
  const underWay = new Set<Promise<void>>();
  let closing = false;

  const smtp = new PromptGreetingServer({
    lmtp: true,
    name: hostname,
    banner: 'Aerogramme ready',
    size: maxMessageBytes,
    rejectOversized: true,
    hideENHANCEDSTATUSCODES: false,
    hideDSN: true,
    hideSTARTTLS: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    disableReverseLookup: true,
    maxClients: limits.maxConnections,
    maxRecipients: limits.maxRecipients,
    socketTimeout: limits.idleTimeoutMs,
    logger: false,
    onMailFrom(_address, _session, callback) {
      callback(closing ? new ShuttingDownError(hostname) : undefined);
    },
    onRcptTo(address, session, callback) {
      transactions.addRecipient(address, session).then(
        () => callback(),
        (err: Error) => callback(err),
      );
    },
    onData(stream, session, callback) {
      const work = transactions.receive(stream, session).then(
        (replies) => callback(null, replies ?? undefined),
        (err: unknown) => {
          // The client went away during DATA, or the message could not be read: nothing was stored.
          log.warn({ err, session: session.id }, 'receiving a message failed');
          callback(new TemporaryFailureError('the message could not be received, try again later', { cause: err }));
        },
      );
      underWay.add(work);
      void work.finally(() => underWay.delete(work));
    },
  });
  // Socket errors of one connection (a reset, a write after the peer left) concern that connection only.
  smtp.on('error', (err: Error) => log.debug({ err }, 'lmtp connection error'));

  const { host, port } = parseBindAddr(opts.bindAddr);
  await new Promise<void>((resolve, reject) => {
    smtp.server.once('error', reject);
    smtp.server.listen(port, host, () => {
      smtp.server.off('error', reject);
      resolve();
    });
  });
  const address = smtp.server.address() as AddressInfo;
  log.info({ address, maxMessageBytes }, 'lmtp listening');

  return {
    address,
    connections: () => smtp.connections.size,
    async close(): Promise<void> {
      closing = true;
      const stopped = new Promise<void>((resolve) => smtp.server.close(() => resolve()));
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, limits.shutdownGraceMs)));
      await Promise.race([Promise.allSettled([...underWay]), grace]);
      clearTimeout(timer);
      for (const connection of smtp.connections) {
        const socket = connection._socket;
        connection.send(421, `${hostname} shutting down`);
        connection.close();
        if (socket.writableFinished) socket.destroy();
        else socket.once('finish', () => socket.destroy());
      }
      await stopped;
    },
  };
}
