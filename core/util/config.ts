import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { ConfigError } from './errors.js';

export type ConsistencyMode = 'consistent' | 'degraded' | 'dangerous';

/** One data directory: its share of new blocks follows its capacity; a read-only one only gives blocks back. */
export interface DataDirConfig {
  path: string;
  /** Bytes; null for the single directory of `data_dir = "path"` and for read-only ones. */
  capacity: number | null;
  readOnly: boolean;
}

export interface Config {
  /** Metadata database (LMDB) and node secrets. */
  metadataDir: string;
  /** Content-addressed data blocks: one directory, or several disks. */
  dataDir: DataDirConfig[];
  /** fsync the metadata database on every commit (an acknowledged write survives power loss). */
  metadataFsync: boolean;
  /** fsync each data block before its object is acknowledged. */
  dataFsync: boolean;
  /** Object data is cut into blocks of this many bytes. */
  blockSize: number;
  /** Objects smaller than this are stored inline in the metadata. */
  inlineThreshold: number;
  /** Unreferenced blocks are deleted this long after their last reference went away. */
  blockGcDelayMs: number;
  lmdbMapSize: number;
  replicationFactor: number;
  consistencyMode: ConsistencyMode;
  rpcBindAddr: string;
  rpcSecret: string;
  s3: { bindAddr: string; region: string; rootDomain: string | undefined };
  /** The static website endpoint. */
  web: { bindAddr: string; rootDomain: string | undefined };
  k2v: { bindAddr: string };
  admin: { bindAddr: string; adminToken: string; metricsToken: string | undefined };
  log: { level: string };
  /** The mail server: where its users are defined. */
  mail: { usersFile: string };
  /** IMAP listeners (undefined = off) and TLS. */
  imap: {
    bindAddr: string | undefined;
    tlsBindAddr: string | undefined;
    tls: { certFile: string; keyFile: string } | undefined;
    cleartextAuth: 'always' | 'loopback' | 'never';
  };
  lmtp: { bindAddr: string | undefined; maxMessageSize: number; hostname: string | undefined };
}

/** Where the configuration came from, for messages and for the CLI to find the admin API. */
export interface LoadedConfig {
  config: Config;
  source: string;
}

const DEFAULT_DATA_ROOT = 'data';

/** Parses "1M", "256MiB", "10G", or a plain number of bytes. */
export function parseSize(value: unknown, key: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'bigint' && value >= 0n) return Number(value);
  if (typeof value !== 'string') throw new ConfigError(`${key} must be a size such as 1048576, "1M" or "1MiB"`);
  const m = /^\s*(\d+)\s*([kKmMgGtT]?)(i?[bB])?\s*$/.exec(value);
  if (!m) throw new ConfigError(`${key}: cannot read size "${value}"; write for example "1M" or "1MiB"`);
  const units: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  return Number(m[1]) * units[m[2]!.toLowerCase()]!;
}

type Table = Record<string, unknown>;

function section(raw: Table, name: string): Table {
  const v = raw[name];
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(`[${name}] must be a table`);
  return v as Table;
}

function str(t: Table, key: string, fallback: string, where: string): string {
  const v = t[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'string') throw new ConfigError(`${where}${key} must be a string`);
  return v;
}

function optStr(t: Table, key: string, where: string): string | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ConfigError(`${where}${key} must be a string`);
  return v;
}

function bool(t: Table, key: string, fallback: boolean): boolean {
  const v = t[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ConfigError(`${key} must be true or false`);
  return v;
}

function int(t: Table, key: string, fallback: number): number {
  const v = t[key];
  if (v === undefined) return fallback;
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new ConfigError(`${key} must be a non-negative integer`);
  return n;
}

/** Reads a secret given inline or in a file; a file may not be readable by others. */
function secret(t: Table, key: string, baseDir: string, where: string): string | undefined {
  const inline = optStr(t, key, where);
  const file = optStr(t, `${key}_file`, where);
  if (inline !== undefined && file !== undefined) throw new ConfigError(`${where}${key} and ${key}_file are both set; keep one`);
  if (file === undefined) return inline;
  const path = isAbsolute(file) ? file : resolve(baseDir, file);
  if (!existsSync(path)) throw new ConfigError(`${where}${key}_file: ${path} does not exist`);
  if ((statSync(path).mode & 0o077) !== 0) throw new ConfigError(`${where}${key}_file: ${path} is readable by others; run chmod 600 ${path}`);
  return readFileSync(path, 'utf8').trim();
}

/**
 * A secret kept in the metadata directory, generated on first start so that a
 * configuration-less single node is secure without any set-up step.
 */
function keptSecret(metadataDir: string, name: string): string {
  const path = join(metadataDir, name);
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(metadataDir, { recursive: true, mode: 0o700 });
  const value = randomBytes(32).toString('hex');
  writeFileSync(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return value;
}

/** Every key the configuration file may hold, by section ('' = top level). */
export const CONFIG_KEYS: Record<string, readonly string[]> = {
  '': [
    'metadata_dir', 'data_dir', 'metadata_fsync', 'data_fsync', 'block_size', 'inline_threshold',
    'block_gc_delay_secs', 'lmdb_map_size', 'replication_factor', 'consistency_mode', 'rpc_bind_addr',
    'rpc_secret', 'rpc_secret_file', 's3_api', 's3_web', 'k2v_api', 'admin', 'log',
    'mail', 'imap', 'lmtp',
  ],
  s3_api: ['api_bind_addr', 's3_region', 'root_domain'],
  s3_web: ['bind_addr', 'root_domain'],
  k2v_api: ['api_bind_addr'],
  admin: ['api_bind_addr', 'admin_token', 'admin_token_file', 'metrics_token', 'metrics_token_file'],
  log: ['level'],
  mail: ['users_file'],
  imap: ['bind_addr', 'tls_bind_addr', 'tls_cert_file', 'tls_key_file', 'cleartext_auth'],
  lmtp: ['bind_addr', 'max_message_size', 'hostname'],
};

/** A misspelt key would silently fall back to a default: refuse it instead. */
function rejectUnknownKeys(raw: Table): void {
  for (const [sectionName, keys] of Object.entries(CONFIG_KEYS)) {
    const t = sectionName === '' ? raw : raw[sectionName];
    if (typeof t !== 'object' || t === null) continue;
    for (const key of Object.keys(t)) {
      if (!keys.includes(key)) {
        const where = sectionName === '' ? 'at the top level' : `in [${sectionName}]`;
        throw new ConfigError(`unknown key "${key}" ${where}; aerogramme.example.toml lists every key`);
      }
    }
  }
}

const DATA_DIR_KEYS = ['path', 'capacity', 'read_only'];

/**
 * `data_dir`: a path, or a list of `{path, capacity}` and `{path, read_only = true}`
 * tables (several disks) with at least one writable directory and no path twice.
 */
function dataDirs(raw: Table, baseDir: string): DataDirConfig[] {
  const v = raw['data_dir'] ?? join(DEFAULT_DATA_ROOT, 'blocks');
  if (typeof v === 'string') return [{ path: resolve(baseDir, v), capacity: null, readOnly: false }];
  if (!Array.isArray(v) || v.length === 0) throw new ConfigError('data_dir must be a path or a list of { path, capacity } / { path, read_only = true } tables');
  const dirs = v.map((entry: unknown, i): DataDirConfig => {
    const where = `data_dir[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ConfigError(`${where} must be a table such as { path = "/mnt/hdd1", capacity = "2T" }`);
    const t = entry as Table;
    const unknown = Object.keys(t).find((k) => !DATA_DIR_KEYS.includes(k));
    if (unknown !== undefined) throw new ConfigError(`unknown key "${unknown}" in ${where}; the keys are ${DATA_DIR_KEYS.join(', ')}`);
    const path = optStr(t, 'path', `${where}.`);
    if (path === undefined) throw new ConfigError(`${where}.path is required`);
    const readOnly = bool(t, 'read_only', false);
    if (readOnly === (t['capacity'] !== undefined)) throw new ConfigError(`${where} (${path}) needs a capacity, or read_only = true, but not both`);
    const capacity = readOnly ? null : parseSize(t['capacity'], `${where}.capacity`);
    if (capacity === 0) throw new ConfigError(`${where}.capacity must not be zero`);
    return { path: resolve(baseDir, path), capacity, readOnly };
  });
  if (dirs.every((d) => d.readOnly)) throw new ConfigError('data_dir lists no writable directory (one needs a capacity)');
  const twice = dirs.find((d, i) => dirs.findIndex((e) => e.path === d.path) !== i);
  if (twice !== undefined) throw new ConfigError(`data_dir lists ${twice.path} twice`);
  return dirs;
}

/** A root domain as written (".example.org" or "example.org"), without the leading dot. */
function rootDomain(t: Table, where: string): string | undefined {
  return optStr(t, 'root_domain', where)?.replace(/^\./, '').toLowerCase();
}

/** A listener address; an empty string turns the listener off. */
function listener(t: Table, key: string, fallback: string | undefined, where: string): string | undefined {
  const v = optStr(t, key, where) ?? fallback;
  return v === '' ? undefined : v;
}

function imapConfig(t: Table, baseDir: string): Config['imap'] {
  const where = '[imap] ';
  const cert = optStr(t, 'tls_cert_file', where);
  const key = optStr(t, 'tls_key_file', where);
  if ((cert === undefined) !== (key === undefined)) throw new ConfigError('[imap] tls_cert_file and tls_key_file go together: set both or neither');
  const tlsBindAddr = listener(t, 'tls_bind_addr', undefined, where);
  if (tlsBindAddr !== undefined && cert === undefined) throw new ConfigError('[imap] tls_bind_addr needs tls_cert_file and tls_key_file');
  const cleartextAuth = str(t, 'cleartext_auth', 'loopback', where);
  if (!['always', 'loopback', 'never'].includes(cleartextAuth)) throw new ConfigError('[imap] cleartext_auth must be "always", "loopback" or "never"');
  return {
    bindAddr: listener(t, 'bind_addr', '127.0.0.1:1143', where),
    tlsBindAddr,
    tls: cert !== undefined && key !== undefined ? { certFile: resolve(baseDir, cert), keyFile: resolve(baseDir, key) } : undefined,
    cleartextAuth: cleartextAuth as Config['imap']['cleartextAuth'],
  };
}

/** Builds a configuration from parsed TOML; relative paths are resolved against `baseDir`. */
export function configFromToml(raw: Table, baseDir: string): Config {
  rejectUnknownKeys(raw);
  const mail = section(raw, 'mail');
  const lmtp = section(raw, 'lmtp');
  const s3 = section(raw, 's3_api');
  const web = section(raw, 's3_web');
  const k2v = section(raw, 'k2v_api');
  const admin = section(raw, 'admin');
  const log = section(raw, 'log');
  const metadataDir = resolve(baseDir, str(raw, 'metadata_dir', join(DEFAULT_DATA_ROOT, 'meta'), ''));
  const consistencyMode = str(raw, 'consistency_mode', 'consistent', '');
  if (!['consistent', 'degraded', 'dangerous'].includes(consistencyMode)) {
    throw new ConfigError(`consistency_mode must be "consistent", "degraded" or "dangerous", not "${consistencyMode}"`);
  }
  const blockSize = parseSize(raw['block_size'] ?? 1024 * 1024, 'block_size');
  if (blockSize < 64 * 1024) throw new ConfigError('block_size must be at least 64KiB');
  const replicationFactor = int(raw, 'replication_factor', 1);
  if (replicationFactor < 1) throw new ConfigError('replication_factor must be at least 1');
  return {
    metadataDir,
    dataDir: dataDirs(raw, baseDir),
    metadataFsync: bool(raw, 'metadata_fsync', true),
    dataFsync: bool(raw, 'data_fsync', true),
    blockSize,
    inlineThreshold: parseSize(raw['inline_threshold'] ?? 3072, 'inline_threshold'),
    blockGcDelayMs: int(raw, 'block_gc_delay_secs', 600) * 1000,
    lmdbMapSize: parseSize(raw['lmdb_map_size'] ?? '64G', 'lmdb_map_size'),
    replicationFactor,
    consistencyMode: consistencyMode as ConsistencyMode,
    rpcBindAddr: str(raw, 'rpc_bind_addr', '127.0.0.1:3901', ''),
    rpcSecret: secret(raw, 'rpc_secret', baseDir, '') ?? keptSecret(metadataDir, 'rpc_secret'),
    s3: {
      bindAddr: str(s3, 'api_bind_addr', '127.0.0.1:3900', '[s3_api] '),
      region: str(s3, 's3_region', 'garage', '[s3_api] '),
      rootDomain: rootDomain(s3, '[s3_api] '),
    },
    web: {
      bindAddr: str(web, 'bind_addr', '127.0.0.1:3902', '[s3_web] '),
      rootDomain: rootDomain(web, '[s3_web] '),
    },
    k2v: { bindAddr: str(k2v, 'api_bind_addr', '127.0.0.1:3904', '[k2v_api] ') },
    admin: {
      bindAddr: str(admin, 'api_bind_addr', '127.0.0.1:3903', '[admin] '),
      adminToken: secret(admin, 'admin_token', baseDir, '[admin] ') ?? keptSecret(metadataDir, 'admin_token'),
      metricsToken: secret(admin, 'metrics_token', baseDir, '[admin] '),
    },
    log: { level: str(log, 'level', 'info', '[log] ') },
    mail: { usersFile: resolve(baseDir, str(mail, 'users_file', join(DEFAULT_DATA_ROOT, 'users.toml'), '[mail] ')) },
    imap: imapConfig(section(raw, 'imap'), baseDir),
    lmtp: {
      bindAddr: listener(lmtp, 'bind_addr', '127.0.0.1:1025', '[lmtp] '),
      maxMessageSize: parseSize(lmtp['max_message_size'] ?? '50M', '[lmtp] max_message_size'),
      hostname: optStr(lmtp, 'hostname', '[lmtp] '),
    },
  };
}

/**
 * Loads the configuration file, or the embedded single-node default (data under
 * ./data, every port on 127.0.0.1) when no file is given.
 */
export function loadConfig(path: string | undefined): LoadedConfig {
  if (path === undefined) {
    return { config: configFromToml({}, process.cwd()), source: 'built-in single-node defaults' };
  }
  const full = resolve(path);
  if (!existsSync(full)) throw new ConfigError(`configuration file ${full} does not exist (start without -c for the built-in defaults)`);
  let raw: Table;
  try {
    raw = parseToml(readFileSync(full, 'utf8')) as Table;
  } catch (err) {
    throw new ConfigError(`${full}: ${(err as Error).message}`);
  }
  return { config: configFromToml(raw, dirname(full)), source: full };
}

/** Splits "host:port" (or "[v6]:port") for net.listen. */
export function parseBindAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(addr);
  if (!m) throw new ConfigError(`bind address "${addr}" must look like 127.0.0.1:3900`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`bind address "${addr}": port out of range`);
  return { host: m[1] ?? m[2]!, port };
}
