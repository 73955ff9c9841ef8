/**
 * The `aerogramme account` commands, in-process through commander with scripted
 * secrets (test/e2e/account-cli.test.ts drives the real binary).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerAccount, type AccountIo } from '../../../../cli/commands/account.js';
import { StaticLoginProvider } from '../../../../mail/user/static-provider.js';
import { readUsersFile } from '../../../../mail/user/users-file.js';
import { tempDir } from '../../../helpers/tools.js';

const tmp = tempDir('aero-account-cmd-');
afterAll(() => tmp.remove());
let n = 0;

interface Outcome {
  out: string;
  error: Error | undefined;
  prompts: string[];
}

function program(io: AccountIo, help: string[]): Command {
  const p = new Command().name('aerogramme').exitOverride();
  const quiet = (c: Command) => {
    c.exitOverride().configureOutput({ writeOut: (s) => void help.push(s), writeErr: (s) => void help.push(s) });
    c.commands.forEach(quiet);
  };
  registerAccount(p, io);
  quiet(p);
  return p;
}

async function account(args: string[], secrets: string[] = []): Promise<Outcome> {
  const lines: string[] = [];
  const prompts: string[] = [];
  const io: AccountIo = {
    readSecret: async (prompt) => {
      prompts.push(prompt);
      const s = secrets.shift();
      if (s === undefined) throw new Error(`no secret scripted for "${prompt}"`);
      return s;
    },
    out: (t) => void lines.push(t),
    close: () => undefined,
  };
  const help: string[] = [];
  let error: Error | undefined;
  try {
    await program(io, help).parseAsync(['node', 'aerogramme', 'account', ...args]);
  } catch (e) {
    error = e as Error;
  }
  return { out: [...lines, ...help].join('\n'), error, prompts };
}

describe('aerogramme account (in-process)', () => {
  it('creates, changes the password, recovers, and manages app passwords and aliases', async () => {
    const users = join(tmp.path, `u${n++}`, 'users.toml');
    const f = ['--users', users];
    const created = await account(['create', 'alice', '--address', 'Alice@Example.org', '-a', 'a.l@example.org', ...f], ['first password']);
    expect(created.error).toBeUndefined();
    expect(created.prompts).toEqual(['Password for alice: ']);
    const recovery = /Recovery key: (\S+)/.exec(created.out)![1]!;
    expect(created.out).toContain('Addresses: alice@example.org, a.l@example.org');
    expect(created.out).toMatch(/shown only\s+this once/);
    expect(statSync(users).mode & 0o777).toBe(0o600);

    const provider = new StaticLoginProvider({ path: users });
    const master = (await provider.login('alice', 'first password')).keys.master;

    const wrong = await account(['passwd', 'alice', ...f], ['not the password', 'second password']);
    expect(wrong.error?.message).toMatch(/wrong password for "alice".*account recover alice/);
    expect((await account(['passwd', 'alice', ...f], ['first password', 'second password'])).error).toBeUndefined();
    await expect(provider.login('alice', 'first password')).rejects.toThrow();
    expect((await provider.login('alice', 'second password')).keys.master.equals(master)).toBe(true);

    const recovered = await account(['recover', 'alice', ...f], [recovery, 'third password']);
    expect(recovered.error).toBeUndefined();
    expect((await provider.login('alice', 'third password')).keys.master.equals(master)).toBe(true);

    const app = await account(['app-password', 'add', 'alice', 'phone', ...f], ['third password']);
    const secret = /App password "phone" for alice: (\S+)/.exec(app.out)![1]!;
    expect((await provider.login('alice', secret)).keys.master.equals(master)).toBe(true);
    expect((await account(['app-password', 'list', 'alice', ...f])).out).toMatch(/LABEL\s+CREATED\nphone\s+\d{4}-/);
    expect((await account(['app-password', 'remove', 'alice', 'phone', ...f])).out).toContain('revoked');
    await expect(provider.login('alice', secret)).rejects.toThrow();

    expect((await account(['alias', 'add', 'alice', 'Postmaster@example.org', ...f])).out).toBe('postmaster@example.org now delivers to alice.');
    expect((await provider.lookupAddress('postmaster+x@example.org'))?.username).toBe('alice');
    const list = await account(['list', ...f]);
    expect(list.out).toMatch(/USER\s+ID\s+ADDRESSES\s+ALIASES\s+APP PASSWORDS\nalice\s+[0-9a-f]{32}\s+alice@example.org, a.l@example.org\s+postmaster@example.org/);
    expect((await account(['alias', 'remove', 'alice', 'postmaster@example.org', ...f])).error).toBeUndefined();

    const fresh = await account(['recovery', 'alice', ...f], ['third password']);
    const newRecovery = /Recovery key: (\S+)/.exec(fresh.out)![1]!;
    expect(newRecovery).not.toBe(recovery);
    expect((await account(['recover', 'alice', ...f], [recovery, 'fourth password'])).error?.message).toMatch(/not the recovery key/);
    provider.close();
  });

  it('refuses with messages that say what to do', async () => {
    const users = join(tmp.path, `u${n++}`, 'users.toml');
    const f = ['--users', users];
    expect((await account(['passwd', 'alice', ...f])).error?.message).toMatch(/does not exist: create the first account with `aerogramme account create USER --users/);
    expect((await account(['create', 'alice', ...f], ['short'])).error?.message).toMatch(/at least 8 characters/);
    expect((await account(['create', 'Alice', ...f], ['long enough'])).error?.message).toMatch(/not a valid user name/);
    expect((await account(['create', 'alice', '-a', 'nope', ...f], ['long enough'])).error?.message).toMatch(/"nope" is not an e-mail address/);
    await account(['create', 'alice', '-a', 'alice@example.org', ...f], ['long enough']);
    // Refused before any password is asked.
    const dup = await account(['create', 'alice', ...f]);
    expect(dup.error?.message).toMatch(/"alice" already exists/);
    expect(dup.prompts).toEqual([]);
    expect((await account(['create', 'bob', '-a', 'ALICE@example.org', ...f])).error?.message).toMatch(/alice@example.org already belongs to "alice"/);
    expect((await account(['passwd', 'bob', ...f])).error?.message).toMatch(/no account named "bob" \(see `aerogramme account list`\)/);
    const noYes = await account(['delete', 'alice', ...f]);
    expect(noYes.error?.message).toMatch(/add --yes to delete account "alice"/);
    expect((await readUsersFile(users)).has('alice')).toBe(true);
    const deleted = await account(['delete', 'alice', '--yes', ...f]);
    expect(deleted.out).toMatch(/Deleted account alice. Its encrypted mail is still in bucket mail-[0-9a-f]{32}/);
    expect((await readUsersFile(users)).size).toBe(0);
    expect((await account(['list', ...f])).out).toMatch(/No users in/);
  });

  it('has --help on every command, and no option that takes a secret', async () => {
    const help: string[] = [];
    const root = program({ readSecret: async () => '', out: () => undefined, close: () => undefined }, help);
    const all: Command[] = [];
    const walk = (c: Command) => {
      all.push(c);
      c.commands.forEach(walk);
    };
    walk(root.commands.find((c) => c.name() === 'account')!);
    expect(all.map((c) => c.name()).sort()).toEqual(
      ['account', 'add', 'add', 'alias', 'app-password', 'create', 'delete', 'list', 'list', 'passwd', 'recover', 'recovery', 'remove', 'remove'].sort(),
    );
    for (const c of all) {
      const path: string[] = [];
      for (let p: Command | null = c; p !== null && p !== root; p = p.parent) path.unshift(p.name());
      const r = await account([...path.slice(1), '--help']);
      expect(r.error).toBeInstanceOf(CommanderError);
      expect((r.error as CommanderError).code).toBe('commander.helpDisplayed');
      expect(r.out.replace(/\s+/g, ' ')).toContain(c.description());
      for (const o of c.options) expect(o.long).not.toMatch(/pass|secret|key/);
    }
  });
});
