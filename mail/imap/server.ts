/**
 * The IMAP listeners: a plain one (with STARTTLS when a certificate is configured)
 * and an implicit-TLS one (RFC 8314). Each connection gets a Session; connections
 * per client address are capped here, per user at login. close() says BYE to every
 * session (at once if it waits for its client, after its running command otherwise)
 * and cuts what is left after the grace period.
 */
import { readFile } from 'node:fs/promises';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type SecureContext } from 'node:tls';
import { silentLogger } from '../../core/util/log.js';
import { HANDLERS } from './commands/index.js';
import { DEFAULT_LIMITS, type ImapLimits, type ImapServerOptions, type ListenAddress } from './options.js';
import { AuthThrottle, ConnectionCounter } from './session/guards.js';
import { Session, type ServerContext } from './session/session.js';
import { SocketIo } from './session/transport.js';

export interface ImapServer {
  /** The plain listener's address (null when there is none). */
  address: AddressInfo | null;
  /** The implicit-TLS listener's address (null when there is none). */
  tlsAddress: AddressInfo | null;
  /** Live connections. */
  connections(): number;
  /** Stops listening, says BYE to every session, resolves when all are gone. */
  close(): Promise<void>;
}

interface Tls {
  cert: Buffer;
  key: Buffer;
  context: SecureContext;
}

async function loadTls(opts: ImapServerOptions): Promise<Tls | null> {
  if (opts.tls == null) return null;
  const [cert, key] = await Promise.all([readFile(opts.tls.certPath), readFile(opts.tls.keyPath)]);
  return { cert, key, context: createSecureContext({ cert, key, minVersion: 'TLSv1.2' }) };
}

function listen(server: Server, at: ListenAddress): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function startImapServer(opts: ImapServerOptions): Promise<ImapServer> {
  const limits: ImapLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const log = opts.log ?? silentLogger();
  const tls = await loadTls(opts);
  if (opts.tlsListen != null && tls === null) throw new Error('the IMAP TLS listener needs a certificate and key (tls)');
  const ctx: ServerContext = {
    backend: opts.backend,
    users: opts.users,
    limits,
    tls: tls?.context ?? null,
    cleartextAuth: opts.cleartextAuth ?? 'loopback',
    compress: opts.compress ?? true,
    throttle: new AuthThrottle(limits.authFailureDelayMs, limits.authFailureMaxDelayMs),
    perUser: new ConnectionCounter(limits.maxConnectionsPerUser),
    log,
  };
  const perIp = new ConnectionCounter(limits.maxConnectionsPerIp);
  const live = new Map<Session, { socket: Socket; done: Promise<void> }>();
  let closing = false;

  const accept = (socket: Socket, secure: boolean): void => {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    const ip = socket.remoteAddress ?? '';
    if (closing) {
      socket.end('* BYE Server shutting down\r\n');
      return;
    }
    if (!perIp.acquire(ip)) {
      socket.on('error', () => undefined);
      socket.end('* BYE Too many connections from your address\r\n');
      return;
    }
    const io = new SocketIo(socket, secure, limits.outputStallMs);
    const session = new Session(io, ctx, HANDLERS);
    io.connect(session);
    const done = session.run().finally(() => {
      live.delete(session);
      perIp.release(ip);
    });
    live.set(session, { socket, done });
  };

  const servers: Server[] = [];
  let address: AddressInfo | null = null;
  let tlsAddress: AddressInfo | null = null;
  try {
    const plainAt = opts.listen === undefined ? { host: '127.0.0.1', port: 143 } : opts.listen;
    if (plainAt !== null) {
      const plain = createNetServer((socket) => accept(socket, false));
      servers.push(plain);
      address = await listen(plain, plainAt);
    }
    if (opts.tlsListen != null) {
      const secure = createTlsServer({ cert: tls!.cert, key: tls!.key, minVersion: 'TLSv1.2' }, (socket) => accept(socket, true));
      // A failed handshake concerns that client only.
      secure.on('tlsClientError', () => undefined);
      servers.push(secure);
      tlsAddress = await listen(secure, opts.tlsListen);
    }
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }
  log.info({ address, tlsAddress }, 'imap listening');

  return {
    address,
    tlsAddress,
    connections: () => live.size,
    async close(): Promise<void> {
      closing = true;
      const stopped = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      for (const session of live.keys()) session.shutdown();
      const all = Promise.all([...live.values()].map((l) => l.done));
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), limits.shutdownGraceMs)));
      if ((await Promise.race([all, grace])) === 'late') for (const l of live.values()) l.socket.destroy();
      clearTimeout(timer);
      await all;
      await stopped;
    },
  };
}
