/**
 * `aerogramme deliver USER < message`: local delivery for MTAs that pipe a message to
 * a command (Postfix's mailbox_command, a pipe(8) transport), like dovecot-lda. The
 * running server owns the store, so the message is handed to its LMTP listener, which
 * seals it for the user; this command only maps the outcome to the sysexits codes the
 * MTA understands: 0 delivered, 67 unknown user, 75 try again later, 69 refused.
 */
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { parseBindAddr } from '../../core/util/config.js';
import { deliverOverLmtp, LmtpClientError, type LmtpReply } from '../../mail/lmtp/client.js';
import { readUsersFile } from '../../mail/user/users-file.js';

/** sysexits.h */
export const EX_OK = 0;
export const EX_USAGE = 64;
export const EX_NOUSER = 67;
export const EX_UNAVAILABLE = 69;
export const EX_TEMPFAIL = 75;

const DEFAULT_LMTP = '127.0.0.1:24';
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
  lmtp?: string;
  from: string;
  users: string;
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
    .option('--lmtp <host:port>', `the server's LMTP listener (env AEROGRAMME_LMTP_ADDR; default ${DEFAULT_LMTP})`)
    .option('-f, --from <address>', 'envelope sender, written as Return-Path (default: the null sender <>)', '')
    .option('--users <file>', 'the users file, to find the address of a user name', DEFAULT_USERS_FILE)
    .addHelpText('after', '\nExit codes (sysexits): 0 delivered, 64 usage, 67 no such user, 69 refused, 75 temporary failure (the MTA retries).')
    .action(async (user: string, opts: DeliverOptions) => {
      let lmtp: { host: string; port: number };
      try {
        lmtp = parseBindAddr(opts.lmtp ?? process.env['AEROGRAMME_LMTP_ADDR'] ?? DEFAULT_LMTP);
      } catch (err) {
        io.error((err as Error).message);
        return io.exit(EX_USAGE);
      }
      let recipient: string | undefined;
      try {
        recipient = await addressOf(user, opts.users);
      } catch (err) {
        // A users file we cannot read is the operator's to fix: keep the mail queued meanwhile.
        io.error((err as Error).message);
        return io.exit(EX_TEMPFAIL);
      }
      if (recipient === undefined) {
        io.error(`${user}: no such user (or the user has no address)`);
        return io.exit(EX_NOUSER);
      }
      try {
        const [outcome] = await deliverOverLmtp({ ...lmtp, sender: opts.from, recipients: [recipient], message: io.stdin });
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
