import { existsSync, readdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addAppPassword, createAccount } from '../../../../mail/user/accounts.js';
import { UsersFileError } from '../../../../mail/user/errors.js';
import { editUsersFile, parseUsersFile, readUsersFile, stringifyUsersFile, type UsersDb } from '../../../../mail/user/users-file.js';
import { tempDir } from '../../../helpers/tools.js';

const tmp = tempDir('aero-users-');
afterAll(() => tmp.remove());

async function sample(): Promise<UsersDb> {
  const db: UsersDb = new Map();
  await createAccount(db, 'alice', { addresses: ['alice@example.org'], password: 'alice password' });
  await createAccount(db, 'bob.smith', { addresses: ['bob@example.org', 'b.smith@example.org'], password: 'bob password' });
  await addAppPassword(db, 'alice', 'alice password', 'phone');
  db.get('alice')!.aliases.push('postmaster@example.org');
  return db;
}

describe('users file', () => {
  it('round-trips through TOML', async () => {
    const db = await sample();
    const text = stringifyUsersFile(db);
    expect(text).toContain('[users.alice]');
    expect(text).toContain('[[users.alice.app_passwords]]');
    expect(text).toMatch(/password = "\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const again = parseUsersFile(text, 'users.toml');
    expect(again).toEqual(db);
    expect(stringifyUsersFile(again)).toBe(text);
  });

  it('names the file and the problem when it is invalid', async () => {
    const good = stringifyUsersFile(await sample());
    const cases: [string, RegExp][] = [
      ['version = 2\n', /version = 1/],
      ['nonsense = [', /not valid TOML/],
      [good.replace('bucket =', 'bukket ='), /user "alice": unknown key "bukket"/],
      [good.replace('"alice@example.org"', '"not an address"'), /"not an address" in "addresses" is not an e-mail address/],
      [good.replace('"bob@example.org"', '"alice@example.org"'), /alice@example.org belongs to both "alice" and "bob.smith"/],
      [good.replace(/crypto_root = "aero:cryptoroot:pass:/, 'crypto_root = "aero:cryptoroot:pasx:'), /user "alice": "crypto_root": not a crypto root/],
      [good.replace(/password = "\$argon2id\$v=19\$m=19456/, 'password = "$argon2id$v=19$m=1024'), /user "alice": "password".*memoryKiB/],
      [good.replace('[users.alice]', '[users.Alice]'), /user "Alice": names are/],
      [good.replace('label = "phone"', 'label = ""'), /needs a "label"/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseUsersFile(text, 'the-file.toml')).toThrow(UsersFileError);
      expect(() => parseUsersFile(text, 'the-file.toml')).toThrow(message);
      expect(() => parseUsersFile(text, 'the-file.toml')).toThrow(/^the-file.toml: /);
    }
  });

  it('reads an absent file as empty only when asked, with the fix in the error', async () => {
    const path = join(tmp.path, 'absent.toml');
    expect((await readUsersFile(path, true)).size).toBe(0);
    await expect(readUsersFile(path)).rejects.toThrow(/does not exist: create the first account with `aerogramme account create USER --users/);
  });

  it('is rewritten atomically with mode 0600 and leaves no temporary file', async () => {
    const path = join(tmp.path, 'sub', 'users.toml');
    await editUsersFile(path, (db) => createAccount(db, 'carol', { addresses: [], password: 'carol password' }), { create: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    writeFileSync(path, readFileSync(path), { mode: 0o644 });
    await editUsersFile(path, async (db) => void db.get('carol')!.aliases.push('c@example.org'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(tmp.path, 'sub')).sort()).toEqual(['users.toml']);
    expect((await readUsersFile(path)).get('carol')!.aliases).toEqual(['c@example.org']);
  });

  it('serialises concurrent edits with a lock file, losing none', async () => {
    const path = join(tmp.path, 'concurrent.toml');
    await editUsersFile(path, (db) => createAccount(db, 'dave', { addresses: [], password: 'dave password' }), { create: true });
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        editUsersFile(path, async (db) => {
          await new Promise((r) => setTimeout(r, 5));
          db.get('dave')!.aliases.push(`d${i}@example.org`);
        }),
      ),
    );
    expect((await readUsersFile(path)).get('dave')!.aliases).toHaveLength(8);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('leaves the file untouched when the edit fails, and says how to clear a stale lock', async () => {
    const path = join(tmp.path, 'failing.toml');
    await editUsersFile(path, (db) => createAccount(db, 'erin', { addresses: [], password: 'erin password' }), { create: true });
    const before = readFileSync(path, 'utf8');
    await expect(editUsersFile(path, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(readFileSync(path, 'utf8')).toBe(before);
    writeFileSync(`${path}.lock`, '12345\n');
    await expect(editUsersFile(path, async () => undefined, { lockWaitMs: 200 })).rejects.toThrow(/another `aerogramme account` command is running.*delete .*failing.toml.lock/);
  });
});
