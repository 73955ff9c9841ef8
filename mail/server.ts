/**
 * Assembles the mail services of one process: the users (static provider), IMAP and
 * LMTP, all reaching storage through the port `storage` resolves (embedded or HTTP).
 */
import { parseBindAddr, type Config } from '../core/util/config.js';
import type { Logger } from '../core/util/log.js';
import { startImapServer, type ImapServer } from './imap/server.js';
import { StoreBackend } from './imap/store-adapter.js';
import { startLmtpServer, type LmtpServer } from './lmtp/index.js';
import type { StorageResolver } from './store/index.js';
import { StaticLoginProvider } from './user/static-provider.js';

export interface MailServerOptions {
  config: Pick<Config, 'mail' | 'imap' | 'lmtp'>;
  storage: StorageResolver;
  logger: Logger;
}

export interface RunningMailServer {
  /** Bound addresses by service ("imap", "imaps", "lmtp"), as host:port. */
  addresses: Record<string, string>;
  stop(): Promise<void>;
}

export async function startMailServer(options: MailServerOptions): Promise<RunningMailServer> {
  const { config, storage, logger } = options;
  const users = new StaticLoginProvider({ path: config.mail.usersFile, log: logger.child({ service: 'users' }) });
  const addresses: Record<string, string> = {};
  const running: Array<ImapServer | LmtpServer> = [];
  const stop = async () => {
    await Promise.all(running.map((s) => s.close()));
    await users.close();
  };
  try {
    const { imap, lmtp } = config;
    if (imap.bindAddr !== undefined || imap.tlsBindAddr !== undefined) {
      const server = await startImapServer({
        users,
        backend: new StoreBackend({ storage, log: logger.child({ service: 'imap-store' }) }),
        listen: imap.bindAddr !== undefined ? parseBindAddr(imap.bindAddr) : null,
        tlsListen: imap.tlsBindAddr !== undefined ? parseBindAddr(imap.tlsBindAddr) : null,
        tls: imap.tls ? { certPath: imap.tls.certFile, keyPath: imap.tls.keyFile } : null,
        cleartextAuth: imap.cleartextAuth,
        // One limit for a message, however it arrives (APPEND or LMTP).
        limits: { appendLimit: lmtp.maxMessageSize },
        log: logger.child({ service: 'imap' }),
      });
      running.push(server);
      if (server.address) addresses['imap'] = `${server.address.address}:${server.address.port}`;
      if (server.tlsAddress) addresses['imaps'] = `${server.tlsAddress.address}:${server.tlsAddress.port}`;
    }
    if (lmtp.bindAddr !== undefined) {
      const server = await startLmtpServer({
        bindAddr: lmtp.bindAddr,
        users,
        storageFor: (recipient) => storage(recipient.storage),
        maxMessageBytes: lmtp.maxMessageSize,
        ...(lmtp.hostname !== undefined ? { hostname: lmtp.hostname } : {}),
        logger: logger.child({ service: 'lmtp' }),
      });
      running.push(server);
      addresses['lmtp'] = `${server.address.address}:${server.address.port}`;
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { addresses, stop };
}
