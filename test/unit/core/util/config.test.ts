import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONFIG_KEYS, configFromToml, loadConfig, parseBindAddr, parseSize } from '../../../../core/util/config.js';
import { ConfigError } from '../../../../core/util/errors.js';

const example = readFileSync(new URL('../../../../aerogramme.example.toml', import.meta.url), 'utf8');

/** The example with every commented-out `# key = value` line switched on. */
function exampleWithEverything(): string {
  return example.replace(/^# (\w+ = .*?)([ \t]+#.*)?$/gm, '$1');
}

describe('configuration', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aero-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the example file holds exactly the defaults', () => {
    expect(configFromToml(parse(example), dir)).toEqual(configFromToml({}, dir));
  });

  it('documents every key, and every documented key exists', () => {
    const documented = new Map<string, Set<string>>([['', new Set()]]);
    let section = '';
    for (const line of exampleWithEverything().split('\n')) {
      const header = /^\[(\w+)\]/.exec(line);
      if (header) {
        section = header[1]!;
        documented.set(section, new Set());
        documented.get('')!.add(section);
      }
      const key = /^(\w+) =/.exec(line);
      if (key) documented.get(section)!.add(key[1]!);
    }
    for (const [name, keys] of Object.entries(CONFIG_KEYS)) {
      expect([...(documented.get(name) ?? [])].sort(), `section [${name}]`).toEqual([...keys].sort());
    }
    // The switched-on example is itself a valid configuration, but for the secrets given both inline and as a file.
    const switchedOn = exampleWithEverything();
    const everything = switchedOn.replace(/^(\w+)_file = .*$/gm, (line, base: string) => (new RegExp(`^${base} = `, 'm').test(switchedOn) ? '' : line));
    expect(() => configFromToml(parse(everything), dir)).not.toThrow();
  });

  it('refuses unknown keys, naming them', () => {
    expect(() => configFromToml({ metadata_dri: 'x' }, dir)).toThrow(/unknown key "metadata_dri"/);
    expect(() => configFromToml({ s3_api: { region: 'x' } }, dir)).toThrow(/in \[s3_api\]/);
  });

  it('generates the rpc secret and admin token once and keeps them private', () => {
    const first = configFromToml({}, dir);
    const again = configFromToml({}, dir);
    expect(first.rpcSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(again.rpcSecret).toBe(first.rpcSecret);
    expect(again.admin.adminToken).toBe(first.admin.adminToken);
    expect(statSync(join(first.metadataDir, 'admin_token')).mode & 0o077).toBe(0);
  });

  it('refuses a secret file readable by others', () => {
    const file = join(dir, 'secret');
    writeFileSync(file, 'abc', { mode: 0o644 });
    expect(() => configFromToml({ rpc_secret_file: file }, dir)).toThrow(/chmod 600/);
  });

  it('reads files, sizes and addresses', () => {
    const file = join(dir, 'c.toml');
    writeFileSync(file, 'block_size = "4MiB"\n[s3_api]\napi_bind_addr = "127.0.0.1:0"\n');
    const { config } = loadConfig(file);
    expect(config.blockSize).toBe(4 * 1024 * 1024);
    expect(parseBindAddr(config.s3.bindAddr)).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseBindAddr('[::1]:3900')).toEqual({ host: '::1', port: 3900 });
    expect(parseSize('10G', 'x')).toBe(10 * 1024 ** 3);
    expect(() => parseSize('ten', 'block_size')).toThrow(ConfigError);
    expect(() => loadConfig(join(dir, 'missing.toml'))).toThrow(/does not exist/);
  });
});
