/** An in-process IMAP server on 127.0.0.1, port 0, over the in-memory backend. */
import { startImapServer, type ImapServer } from '../../../../../mail/imap/server.js';
import type { ImapLimits, ImapServerOptions } from '../../../../../mail/imap/options.js';
import { MemoryBackend } from './memory-backend.js';

export interface TestImap {
  server: ImapServer;
  backend: MemoryBackend;
  port: number;
  close(): Promise<void>;
}

export const USER = 'alice';
export const PASSWORD = 'alice password';

export async function startTestImap(opts: Partial<Omit<ImapServerOptions, 'limits'>> & { limits?: Partial<ImapLimits> } = {}): Promise<TestImap> {
  const backend = new MemoryBackend();
  backend.addUser(USER, PASSWORD);
  backend.addUser('bob', 'bob password');
  const server = await startImapServer({
    users: backend,
    backend,
    listen: { host: '127.0.0.1', port: 0 },
    ...opts,
    limits: { authFailureDelayMs: 10, authFailureMaxDelayMs: 50, ...opts.limits },
  });
  return { server, backend, port: server.address!.port, close: () => server.close() };
}

/** A small RFC 5322 message. */
export function message(n: number, extra = ''): Buffer {
  return Buffer.from(
    `From: Sender ${n} <sender${n}@example.org>\r\nTo: alice@example.org\r\nSubject: Message ${n}\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <m${n}@example.org>\r\n${extra}\r\nBody of message ${n}.\r\n`,
  );
}
