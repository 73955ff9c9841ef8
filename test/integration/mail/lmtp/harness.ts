/**
 * An LMTP server on 127.0.0.1 (port 0) over an in-process storage node, with real
 * accounts in a static users file, and a way to read a user's INBOX back through the
 * mail store (login, move the incoming queue, read every body). No vitest here: the
 * benchmark uses it from plain Node.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INCOMING_PK, INCOMING_WATCH_SK } from '../../../../mail/mailbox/layout.js';
import { MailStore, type UserStorage } from '../../../../mail/store/index.js';
import type { Recipient } from '../../../../mail/user/provider.js';
import { startLmtpServer, type LmtpServer, type LmtpServerOptions } from '../../../../mail/lmtp/index.js';
import { traceHeaders, type TraceInfo } from '../../../../mail/lmtp/trace.js';
import { addAlias, createAccount } from '../../../../mail/user/accounts.js';
import { StaticLoginProvider } from '../../../../mail/user/static-provider.js';
import { editUsersFile } from '../../../../mail/user/users-file.js';
import { startMailNode, type MailNode, type PortKind } from '../harness.js';

export interface AccountSpec {
  name: string;
  addresses: string[];
  aliases?: string[];
}

/** Alice (alice@example.org, alias postmaster@example.org), Bob (bob@example.org), Carol (carol@example.net). */
export const DEFAULT_ACCOUNTS: AccountSpec[] = [
  { name: 'alice', addresses: ['alice@example.org'], aliases: ['postmaster@example.org'] },
  { name: 'bob', addresses: ['bob@example.org'] },
  { name: 'carol', addresses: ['carol@example.net'] },
];

/**
 * What `stored` must be: the trace our server writes (its session id and date taken
 * from `stored` itself) followed by exactly `message`.
 */
export function expectedDelivery(stored: Buffer, trace: Omit<TraceInfo, 'id' | 'date' | 'utf8' | 'clientIp' | 'hostname'> & Partial<TraceInfo>, message: Buffer): Buffer {
  const text = stored.toString('latin1');
  const id = /\r\n\tid (\S+)\r\n/.exec(text)?.[1] ?? '(no id)';
  const date = /\r\n\tfor <[^\r]*>; ([^\r]+)\r\n/.exec(text)?.[1];
  return Buffer.concat([
    traceHeaders({ clientIp: '127.0.0.1', hostname: HOSTNAME, utf8: false, id, date: new Date(date === undefined ? 0 : Date.parse(date)), ...trace }),
    message,
  ]);
}

/** The testbed server's name (greeting, Received lines). */
export const HOSTNAME = 'lmtp.test';

export const passwordOf = (name: string): string => `${name} password for tests`;

export interface StoredMessage {
  /** BODY[]: exactly the bytes stored. */
  raw: Buffer;
  /** INTERNALDATE, ms. */
  date: number;
}

export interface LmtpTestbed {
  node: MailNode;
  server: LmtpServer;
  port: number;
  users: StaticLoginProvider;
  /** The static users file the accounts are in. */
  usersPath: string;
  /** Deliveries waiting in the user's incoming queue (read without logging in). */
  queued(name: string): Promise<number>;
  /** The user's INBOX (the incoming queue moved in first), in UID order. */
  inbox(name: string): Promise<StoredMessage[]>;
  close(): Promise<void>;
}

export interface TestbedOptions {
  port?: PortKind;
  fsync?: boolean;
  accounts?: AccountSpec[];
  /** Options of the LMTP server over the defaults (bindAddr, users, storageFor are the testbed's unless given). */
  lmtp?: Partial<LmtpServerOptions>;
  /** Wraps the storage the server delivers into (to fail or hold some writes). */
  wrapStorage?: (storage: UserStorage, recipient: Recipient) => UserStorage;
}

export async function startLmtpTestbed(opts: TestbedOptions = {}): Promise<LmtpTestbed> {
  const dir = mkdtempSync(join(tmpdir(), 'aero-lmtp-users-'));
  const usersPath = join(dir, 'users.toml');
  for (const [i, a] of (opts.accounts ?? DEFAULT_ACCOUNTS).entries()) {
    await editUsersFile(
      usersPath,
      async (db) => {
        await createAccount(db, a.name, { addresses: a.addresses, password: passwordOf(a.name) });
        for (const alias of a.aliases ?? []) addAlias(db, a.name, alias);
      },
      { create: i === 0 },
    );
  }
  const users = new StaticLoginProvider({ path: usersPath });
  const node = await startMailNode({ port: opts.port ?? 'embedded', fsync: opts.fsync ?? false });
  const server = await startLmtpServer({
    bindAddr: '127.0.0.1:0',
    users,
    storageFor: async (r) => {
      const storage = await node.storage(r.storage.bucket);
      return opts.wrapStorage ? opts.wrapStorage(storage, r) : storage;
    },
    hostname: HOSTNAME,
    ...opts.lmtp,
  });
  return {
    node,
    server,
    port: server.address.port,
    users,
    usersPath,
    async queued(name) {
      const credentials = await users.login(name, passwordOf(name));
      const { k2v } = await node.storage(credentials.storage.bucket);
      let count = 0;
      let start: string | undefined;
      do {
        const [page] = await k2v.readBatch([{ pk: INCOMING_PK, ...(start !== undefined ? { start } : {}), end: INCOMING_WATCH_SK, limit: 1000 }]);
        count += page!.items.length;
        start = page!.more && page!.nextStart !== null ? page!.nextStart : undefined;
      } while (start !== undefined);
      return count;
    },
    async inbox(name) {
      const credentials = await users.login(name, passwordOf(name));
      const store = await MailStore.open(credentials, await node.storage(credentials.storage.bucket), { watchIncoming: false });
      try {
        const inbox = await store.mailbox('INBOX');
        const out: StoredMessage[] = [];
        for (const m of inbox.view().index.messages.toArray()) out.push({ raw: await inbox.body(m.id), date: m.date });
        return out;
      } finally {
        await store.close();
      }
    },
    async close() {
      await server.close();
      users.close();
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
