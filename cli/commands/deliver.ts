/**
 * `aerogramme deliver USER < message`: local delivery for MTAs that pipe a message to
 * a command (Postfix's mailbox_command, a pipe(8) transport), like dovecot-lda. The
 * running server owns the store, so the message is handed to its LMTP listener, which
 * seals it for the user; this command only maps the outcome to the sysexits codes the
 * MTA understands: 0 delivered, 67 unknown user, 75 try again later, 69 refused.
 * The listener and the users file come from the options, else from the server's
 * configuration (-c; loading it reads the server's secrets, so the MTA's delivery user
 * needs access to them), else from the server's defaults.
 */
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { loadConfig, parseBindAddr } from '../../core/util/config.js';
import { deliverOverLmtp, LmtpClientError, type LmtpReply } from '../../mail/lmtp/client.js';
import { takeFromLine } from '../../mail/lmtp/from-line.js';
import { readUsersFile } from '../../mail/user/users-file.js';

/** sysexits.h */
export const EX_OK = 0;
export const EX_USAGE = 64;
export const EX_NOUSER = 67;
export const EX_UNAVAILABLE = 69;
export const EX_TEMPFAIL = 75;

/** The server's defaults (core/util/config.ts) when no configuration file is given. */
const DEFAULT_LMTP = '127.0.0.1:1025';
const DEFAULT_USERS_FILE = './data/users.toml';

export interface DeliverIo {
  stdin: Readable;
  /** What the MTA puts in its log or bounce. */
  error(text: string): void;
  exit(code: number): void;
}

const processIo: DeliverIo = {
  stdin: process.stdin,
  error: (text) => void process.stderr.write(`aerogramme deliver: ${text}\n`),
  exit: (code) => {
    process.exitCode = code;
  },
};

interface DeliverOptions {
  config?: string;
  lmtp?: string;
  from?: string;
  users?: string;
}

/** Where the server listens for LMTP and keeps its users: the options, else the server's configuration, else its defaults. */
function target(opts: DeliverOptions): { lmtp: string | undefined; users: string } {
  if (opts.config === undefined) return { lmtp: opts.lmtp ?? DEFAULT_LMTP, users: opts.users ?? DEFAULT_USERS_FILE };
  const { config } = loadConfig(opts.config);
  return { lmtp: opts.lmtp ?? config.lmtp.bindAddr, users: opts.users ?? config.mail.usersFile };
}

/** A bare user name is one of the users file's accounts: its first address. */
async function addressOf(user: string, usersFile: string): Promise<string | undefined> {
  if (user.includes('@')) return user;
  const account = (await readUsersFile(usersFile)).get(user.toLowerCase());
  return account?.addresses[0] ?? account?.aliases[0];
}

function exitCodeOf(reply: LmtpReply): number {
  if (reply.code < 400) return EX_OK;
  if (reply.code < 500) return EX_TEMPFAIL;
  // 5.1.x: a bad destination mailbox address (RFC 3463).
  return reply.code === 550 || /^5\.1\.\d+/.test(reply.text) ? EX_NOUSER : EX_UNAVAILABLE;
}

export function registerDeliver(program: Command, io: DeliverIo = processIo): void {
  program
    .command('deliver')
    .description('deliver the message on standard input to a user, through the running server (for MTAs that pipe, like dovecot-lda)')
    .argument('<user>', 'an e-mail address, or a user name (delivered to its first address)')
    .option('-c, --config <file>', "the server's configuration file: its [lmtp] bind_addr and [mail] users_file")
    .option('--lmtp <host:port>', `the server's LMTP listener (default: from the configuration, else ${DEFAULT_LMTP})`)
    .option('-f, --from <address>', 'envelope sender, written as Return-Path (default: from a leading "From sender date" line, else the null sender <>)')
    .option('--users <file>', `the users file, to find the address of a user name (default: from the configuration, else ${DEFAULT_USERS_FILE})`)
    .addHelpText('after', '\nExit codes (sysexits): 0 delivered, 64 usage, 67 no such user, 69 refused, 75 temporary failure (the MTA retries).')
    .action(async (user: string, opts: DeliverOptions) => {
      let where: { lmtp: string | undefined; users: string };
      try {
        where = target(opts);
      } catch (err) {
        // A configuration we cannot read is the operator's to fix: keep the mail queued meanwhile.
        io.error((err as Error).message);
        return io.exit(EX_TEMPFAIL);
      }
      if (where.lmtp === undefined) {
        io.error('the server has no LMTP listener ([lmtp] bind_addr is empty)');
        return io.exit(EX_TEMPFAIL);
      }
      let lmtp: { host: string; port: number };
      try {
        lmtp = parseBindAddr(where.lmtp);
      } catch (err) {
        io.error((err as Error).message);
        return io.exit(EX_USAGE);
      }
      let recipient: string | undefined;
      try {
        recipient = await addressOf(user, where.users);
      } catch (err) {
        io.error((err as Error).message);
        return io.exit(EX_TEMPFAIL);
      }
      if (recipient === undefined) {
        io.error(`${user}: no such user (or the user has no address)`);
        return io.exit(EX_NOUSER);
      }
      try {
        const { sender, message } = await takeFromLine(io.stdin);
        const [outcome] = await deliverOverLmtp({ ...lmtp, sender: opts.from ?? sender ?? '', recipients: [recipient], message });
        const code = exitCodeOf(outcome!.reply);
        if (code !== EX_OK) io.error(`${recipient}: ${outcome!.reply.code} ${outcome!.reply.text}`);
        return io.exit(code);
      } catch (err) {
        if (!(err instanceof LmtpClientError)) throw err;
        io.error(err.message);
        return io.exit(err.reply !== undefined ? exitCodeOf(err.reply) : EX_TEMPFAIL);
      }
    });
}
