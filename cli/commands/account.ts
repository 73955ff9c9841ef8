import { createInterface, type Interface } from 'node:readline';
import type { Command } from 'commander';
import {
  addAlias,
  addAppPassword,
  changePassword,
  checkNewAccount,
  checkNewPassword,
  createAccount,
  deleteAccount,
  recoverAccount,
  regenerateRecoveryKey,
  removeAlias,
  removeAppPassword,
  requireUser,
} from '../../mail/user/accounts.js';
import { AccountError } from '../../mail/user/errors.js';
import { editUsersFile, readUsersFile } from '../../mail/user/users-file.js';
import { table } from '../format.js';

const DEFAULT_USERS_FILE = './data/users.toml';

/** How the account commands talk to a person: secrets in, results out. */
export interface AccountIo {
  /**
   * One secret: asked without echo on a terminal (twice when `confirm`), otherwise the
   * next line of standard input. Never from the command line, where other local users
   * and shell history would see it.
   */
  readSecret(prompt: string, opts?: { confirm?: boolean }): Promise<string>;
  out(text: string): void;
  /** Releases standard input once the command is done. */
  close(): void;
}

/** Typed-ahead characters after the last line read (e.g. a password and its confirmation pasted at once). */
let typedAhead = '';

/** Reads a line from the terminal without echoing it. */
function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  // No echo before the prompt shows: whatever is typed after seeing it stays hidden.
  stdin.setRawMode(true);
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    // True once a line (or an interruption) ends the input.
    const consume = (chunk: string): boolean => {
      const chars = [...chunk];
      for (let i = 0; i < chars.length; i++) {
        const ch = chars[i]!;
        if (ch === '\r' || ch === '\n') {
          typedAhead = chars.slice(ch === '\r' && chars[i + 1] === '\n' ? i + 2 : i + 1).join('');
          finish();
          return true;
        }
        if (ch === '\u0003') {
          finish(new Error('interrupted'));
          return true;
        }
        if (ch === '\u0004' && value === '') {
          finish(new Error('no input'));
          return true;
        }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
      return false;
    };
    const onData = (chunk: string) => void consume(chunk);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    const ahead = typedAhead;
    typedAhead = '';
    if (!consume(ahead)) stdin.resume();
  });
}

function terminalIo(): AccountIo {
  let rl: Interface | undefined;
  let lines: AsyncIterator<string> | undefined;
  return {
    async readSecret(prompt, opts) {
      if (process.stdin.isTTY) {
        const first = await readHidden(prompt);
        if (opts?.confirm === true && (await readHidden('Repeat to confirm: ')) !== first) {
          throw new Error('the two entries differ; nothing was changed');
        }
        return first;
      }
      rl ??= createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
      lines ??= rl[Symbol.asyncIterator]();
      const next = await lines.next();
      if (next.done === true) {
        throw new Error(`${prompt.replace(/[:\s]+$/, '')} was expected on standard input (one line per secret), or run the command in a terminal`);
      }
      return next.value;
    },
    out: (text) => void process.stdout.write(`${text}\n`),
    close: () => rl?.close(),
  };
}

interface UsersOption {
  users: string;
}

function withUsersFile(command: Command): Command {
  return command.option('--users <file>', 'the users file', DEFAULT_USERS_FILE);
}

const SECRETS_HELP = `
Secrets (passwords, recovery keys) are never taken from the command line: they are
asked without echo on a terminal, or read from standard input, one line each, e.g.
  printf '%s\\n' "$OLD" "$NEW" | aerogramme account passwd alice`;

function recoveryNotice(user: string, key: string): string[] {
  return [
    `Recovery key: ${key}`,
    'Keep it somewhere safe and offline (printed, or in a password manager). It is shown only',
    'this once, and it is the only way back to this mail if the password is lost:',
    `\`aerogramme account recover ${user}\` sets a new password with it.`,
  ];
}

export function registerAccount(program: Command, io: AccountIo = terminalIo()): void {
  const account = program
    .command('account')
    .description('manage mail users in the static users file (works on the file directly, no server needed)')
    .addHelpText('after', SECRETS_HELP);

  // Every action releases standard input when done, whatever happened.
  const run =
    <A extends unknown[]>(fn: (...args: A) => Promise<void>) =>
    async (...args: A): Promise<void> => {
      try {
        await fn(...args);
      } finally {
        io.close();
      }
    };

  withUsersFile(
    account
      .command('create')
      .description('create a user with fresh keys; prints the recovery key once')
      .argument('<user>', 'login name: a-z, 0-9, ".", "_", "-"')
      .option('-a, --address <address>', 'an e-mail address of the user (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[]),
  ).action(
    run(async (user: string, opts: UsersOption & { address: string[] }) => {
      // Check what can be checked before asking for a password.
      checkNewAccount(await readUsersFile(opts.users, true), user, opts.address);
      const password = await io.readSecret(`Password for ${user}: `, { confirm: true });
      checkNewPassword(password);
      const { user: created, recoveryKey } = await editUsersFile(opts.users, (d) => createAccount(d, user, { addresses: opts.address, password }), {
        create: true,
      });
      io.out(`Created account ${created.name} (id ${created.id}) in ${opts.users}`);
      const none = `(none: add some with \`aerogramme account alias add ${created.name} ADDRESS\`)`;
      io.out(`Addresses: ${created.addresses.join(', ') || none}`);
      io.out(`Mail bucket: ${created.storage.bucket}`);
      io.out('');
      for (const line of recoveryNotice(created.name, recoveryKey)) io.out(line);
    }),
  );

  withUsersFile(
    account
      .command('passwd')
      .description('change the password (the keys are re-wrapped; mail is not re-encrypted)')
      .argument('<user>', 'login name'),
  ).action(
    run(async (user: string, opts: UsersOption) => {
      requireUser(await readUsersFile(opts.users), user);
      const current = await io.readSecret(`Current password for ${user}: `);
      const next = await io.readSecret(`New password for ${user}: `, { confirm: true });
      await editUsersFile(opts.users, (d) => changePassword(d, user, current, next));
      io.out(`Password of ${user} changed. App passwords and the recovery key still work.`);
    }),
  );

  withUsersFile(
    account
      .command('recover')
      .description('set a new password with the recovery key (when the password is lost)')
      .argument('<user>', 'login name'),
  ).action(
    run(async (user: string, opts: UsersOption) => {
      requireUser(await readUsersFile(opts.users), user);
      const key = await io.readSecret(`Recovery key for ${user}: `);
      const next = await io.readSecret(`New password for ${user}: `, { confirm: true });
      await editUsersFile(opts.users, (d) => recoverAccount(d, user, key, next));
      io.out(`Password of ${user} reset with the recovery key. The recovery key stays valid; replace it with \`aerogramme account recovery ${user}\`.`);
    }),
  );

  withUsersFile(
    account
      .command('recovery')
      .description('replace the recovery key (the old one stops working); prints the new one once')
      .argument('<user>', 'login name'),
  ).action(
    run(async (user: string, opts: UsersOption) => {
      requireUser(await readUsersFile(opts.users), user);
      const password = await io.readSecret(`Password for ${user}: `);
      const key = await editUsersFile(opts.users, (d) => regenerateRecoveryKey(d, user, password));
      io.out(`New recovery key for ${user}; the previous one no longer works.`);
      for (const line of recoveryNotice(user, key)) io.out(line);
    }),
  );

  withUsersFile(
    account
      .command('delete')
      .description("delete a user from the users file (the user's mail bucket is left in storage)")
      .argument('<user>', 'login name')
      .option('--yes', 'confirm the deletion'),
  ).action(
    run(async (user: string, opts: UsersOption & { yes?: boolean }) => {
      const found = requireUser(await readUsersFile(opts.users), user);
      if (opts.yes !== true) {
        throw new AccountError('NotConfirmed', `add --yes to delete account "${user}": without its keys, the mail in bucket ${found.storage.bucket} can never be read again`);
      }
      const deleted = await editUsersFile(opts.users, async (d) => deleteAccount(d, user));
      io.out(`Deleted account ${user}. Its encrypted mail is still in bucket ${deleted.storage.bucket}: delete that bucket to free the space.`);
    }),
  );

  withUsersFile(account.command('list').description('list users, their addresses and app passwords')).action(
    run(async (opts: UsersOption) => {
      const db = await readUsersFile(opts.users, true);
      if (db.size === 0) {
        io.out(`No users in ${opts.users}; create one with \`aerogramme account create USER --address ADDRESS\`.`);
        return;
      }
      io.out(
        table(
          ['USER', 'ID', 'ADDRESSES', 'ALIASES', 'APP PASSWORDS'],
          [...db.values()].map((u) => [u.name, u.id, u.addresses.join(', '), u.aliases.join(', '), u.appPasswords.map((a) => a.label).join(', ')]),
        ),
      );
    }),
  );

  const alias = account.command('alias').description("add or remove extra addresses delivering to a user");
  withUsersFile(alias.command('add').description('add an alias address').argument('<user>', 'login name').argument('<address>', 'e-mail address')).action(
    run(async (user: string, address: string, opts: UsersOption) => {
      const added = await editUsersFile(opts.users, async (d) => addAlias(d, user, address));
      io.out(`${added} now delivers to ${user}.`);
    }),
  );
  withUsersFile(alias.command('remove').description('remove an alias address').argument('<user>', 'login name').argument('<address>', 'e-mail address')).action(
    run(async (user: string, address: string, opts: UsersOption) => {
      const removed = await editUsersFile(opts.users, async (d) => removeAlias(d, user, address));
      io.out(`${removed} no longer delivers to ${user}.`);
    }),
  );

  const app = account
    .command('app-password')
    .description('generated passwords for mail clients: each unlocks the same mail and can be revoked alone');
  withUsersFile(
    app
      .command('add')
      .description('generate an app password (asks for the account password); prints it once')
      .argument('<user>', 'login name')
      .argument('<label>', 'what it is for, e.g. "phone"'),
  ).action(
    run(async (user: string, label: string, opts: UsersOption) => {
      requireUser(await readUsersFile(opts.users), user);
      const password = await io.readSecret(`Password for ${user}: `);
      const secret = await editUsersFile(opts.users, (d) => addAppPassword(d, user, password, label));
      io.out(`App password "${label}" for ${user}: ${secret}`);
      io.out('Enter it in the mail client as the password. It is shown only this once.');
    }),
  );
  withUsersFile(app.command('list').description("list a user's app passwords").argument('<user>', 'login name')).action(
    run(async (user: string, opts: UsersOption) => {
      const u = requireUser(await readUsersFile(opts.users), user);
      if (u.appPasswords.length === 0) {
        io.out(`${user} has no app passwords.`);
        return;
      }
      io.out(table(['LABEL', 'CREATED'], u.appPasswords.map((a) => [a.label, a.created.toISOString()])));
    }),
  );
  withUsersFile(app.command('remove').description('revoke an app password').argument('<user>', 'login name').argument('<label>', 'its label')).action(
    run(async (user: string, label: string, opts: UsersOption) => {
      await editUsersFile(opts.users, async (d) => removeAppPassword(d, user, label));
      io.out(`App password "${label}" of ${user} revoked.`);
    }),
  );
}
