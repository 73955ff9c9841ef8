/**
 * `aerogramme account` as an operator runs it: the built binary (node bin/aerogramme.js,
 * after `npx tsc -p .`), secrets on standard input or typed at a terminal (through
 * util-linux `script`, which gives the command a real pty), the users file on disk,
 * and the static login provider reading what the commands wrote.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticLoginProvider } from '../../mail/user/static-provider.js';
import { readUsersFile } from '../../mail/user/users-file.js';
import { repoRoot } from '../helpers/server.js';
import { describeRun, requireTool, run, tempDir, type RunResult } from '../helpers/tools.js';

const root = repoRoot();
const BIN = join(root, 'bin', 'aerogramme.js');
const hasScript = requireTool('script', 'bsdutils');

let tmp: { path: string; remove(): void };
let users: string;

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new Error('dist/cli/main.js does not exist: build first (npx tsc -p .)');
  tmp = tempDir('aero-account-cli-');
  users = join(tmp.path, 'data', 'users.toml');
});
afterAll(() => tmp?.remove());

async function account(args: string[], stdinLines: string[] = []): Promise<RunResult> {
  const input = stdinLines.map((l) => `${l}\n`).join('');
  return run(process.execPath, [BIN, 'account', ...args], { input, cwd: tmp.path, timeoutMs: 60_000 });
}

async function ok(args: string[], stdinLines: string[] = []): Promise<RunResult> {
  const r = await account(args, stdinLines);
  if (r.code !== 0) throw new Error(describeRun('aerogramme account', args, r));
  return r;
}

async function fails(args: string[], stdinLines: string[], message: RegExp): Promise<void> {
  const r = await account(args, stdinLines);
  expect(r.code, describeRun('aerogramme account', args, r)).toBe(1);
  expect(r.stderr).toMatch(message);
}

describe('aerogramme account (real CLI)', () => {
  let recovery = '';

  it('prints help for every command', async () => {
    const commands = [[], ['create'], ['passwd'], ['recover'], ['recovery'], ['delete'], ['list'], ['alias'], ['alias', 'add'], ['alias', 'remove'], ['app-password'], ['app-password', 'add'], ['app-password', 'list'], ['app-password', 'remove']];
    for (const c of commands) {
      const r = await ok([...c, '--help']);
      expect(r.stdout).toMatch(/^Usage: aerogramme account/);
    }
    expect((await ok(['--help'])).stdout).toContain('never taken from the command line');
  });

  it('creates an account with the password from stdin, in a 0600 file, printing the recovery key once', async () => {
    const r = await ok(['create', 'alice', '--address', 'alice@example.org', '--users', users], ['alice password one']);
    recovery = /^Recovery key: (\S+)$/m.exec(r.stdout)![1]!;
    expect(r.stdout).toContain('Created account alice');
    expect(r.stdout).not.toContain('alice password one');
    expect(statSync(users).mode & 0o777).toBe(0o600);
    const provider = new StaticLoginProvider({ path: users });
    expect((await provider.login('alice@example.org', 'alice password one')).username).toBe('alice');
    provider.close();
  });

  it('uses ./data/users.toml by default', async () => {
    await ok(['create', 'dflt'], ['default password']);
    expect((await readUsersFile(join(tmp.path, 'data', 'users.toml'))).has('dflt')).toBe(true);
    await ok(['delete', 'dflt', '--yes']);
  });

  it('passwd: the old password stops working, the new one opens the same keys, the recovery key still works', async () => {
    const provider = new StaticLoginProvider({ path: users });
    const master = Buffer.from((await provider.login('alice', 'alice password one')).keys.master);
    await fails(['passwd', 'alice', '--users', users], ['wrong password', 'alice password two'], /wrong password for "alice"/);
    await ok(['passwd', 'alice', '--users', users], ['alice password one', 'alice password two']);
    await expect(provider.login('alice', 'alice password one')).rejects.toThrow('authentication failed');
    expect((await provider.login('alice', 'alice password two')).keys.master.equals(master)).toBe(true);
    await ok(['recover', 'alice', '--users', users], [recovery, 'alice password three']);
    await expect(provider.login('alice', 'alice password two')).rejects.toThrow('authentication failed');
    expect((await provider.login('alice', 'alice password three')).keys.master.equals(master)).toBe(true);
    provider.close();
  });

  it('manages app passwords and aliases', async () => {
    const provider = new StaticLoginProvider({ path: users });
    const add = await ok(['app-password', 'add', 'alice', 'phone', '--users', users], ['alice password three']);
    const secret = /App password "phone" for alice: (\S+)/.exec(add.stdout)![1]!;
    expect((await provider.login('alice', secret)).username).toBe('alice');
    expect((await ok(['app-password', 'list', 'alice', '--users', users])).stdout).toMatch(/^phone\s/m);
    await ok(['app-password', 'remove', 'alice', 'phone', '--users', users]);
    await expect(provider.login('alice', secret)).rejects.toThrow('authentication failed');

    await ok(['alias', 'add', 'alice', 'Postmaster@Example.org', '--users', users]);
    expect(await provider.lookupAddress('postmaster+abuse@example.org')).toMatchObject({ username: 'alice', detail: 'abuse' });
    expect((await ok(['list', '--users', users])).stdout).toMatch(/^alice\s+[0-9a-f]{32}\s+alice@example.org\s+postmaster@example.org/m);
    await ok(['alias', 'remove', 'alice', 'postmaster@example.org', '--users', users]);
    expect(await provider.lookupAddress('postmaster@example.org')).toBeUndefined();
    provider.close();
  });

  it('fails clearly, with the fix', async () => {
    await fails(['passwd', 'alice', '--users', users], [], /Current password for alice was expected on standard input \(one line per secret\), or run the command in a terminal/);
    await fails(['passwd', 'bob', '--users', users], [], /no account named "bob"/);
    await fails(['create', 'bob', '-a', 'alice@example.org', '--users', users], [], /alice@example.org already belongs to "alice"/);
    await fails(['create', 'bob', '--users', users], ['short'], /at least 8 characters/);
    await fails(['list', '--users', join(tmp.path, 'nowhere', 'users.toml'), '--bogus'], [], /unknown option '--bogus'/);
    await fails(['delete', 'alice', '--users', users], [], /add --yes to delete account "alice"/);
    await ok(['delete', 'alice', '--yes', '--users', users]);
    expect((await readUsersFile(users)).size).toBe(0);
  });

  describe.skipIf(!hasScript)('at a terminal', () => {
    /** Runs the command on a pty, answering each prompt when it appears; returns everything the terminal showed. */
    function onTerminal(args: string[], answers: [string, string][]): Promise<{ code: number | null; screen: string }> {
      const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
      const command = [process.execPath, BIN, 'account', ...args].map(quote).join(' ');
      const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd: tmp.path, stdio: ['pipe', 'pipe', 'pipe'] });
      let screen = '';
      let answered = 0;
      let cursor = 0;
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.stdout.on('data', (b: Buffer) => {
        screen += b.toString('utf8');
        // Answer only once the prompt is shown: by then the terminal is in no-echo mode.
        for (; answered < answers.length; answered++) {
          const [prompt, answer] = answers[answered]!;
          const at = screen.indexOf(prompt, cursor);
          if (at < 0) break;
          cursor = at + prompt.length;
          child.stdin.write(`${answer}\r`);
        }
      });
      return new Promise((resolve) =>
        child.on('close', (code) => {
          clearTimeout(timer);
          child.stdin.destroy();
          resolve({ code, screen });
        }),
      );
    }

    it('asks for the password twice without echoing it', async () => {
      const r = await onTerminal(['create', 'carol', '--users', users], [
        ['Password for carol: ', 'carol typed password'],
        ['Repeat to confirm: ', 'carol typed password'],
      ]);
      expect(r.code, r.screen).toBe(0);
      expect(r.screen).toContain('Recovery key: ');
      expect(r.screen).not.toContain('carol typed password');
      const provider = new StaticLoginProvider({ path: users });
      expect((await provider.login('carol', 'carol typed password')).username).toBe('carol');
      provider.close();
    });

    it('refuses when the confirmation differs, changing nothing', async () => {
      const r = await onTerminal(['passwd', 'carol', '--users', users], [
        ['Current password for carol: ', 'carol typed password'],
        ['New password for carol: ', 'new password 1'],
        ['Repeat to confirm: ', 'new password 2'],
      ]);
      expect(r.code).toBe(1);
      expect(r.screen).toContain('the two entries differ; nothing was changed');
      const provider = new StaticLoginProvider({ path: users });
      expect((await provider.login('carol', 'carol typed password')).username).toBe('carol');
      provider.close();
    });
  });
});
