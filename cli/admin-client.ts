import { loadConfig } from '../core/util/config.js';

/** Where the admin API of a running server is, and its token. */
export interface AdminTarget {
  url: string;
  token: string;
}

export interface AdminOptions {
  config?: string;
  adminUrl?: string;
  adminToken?: string;
}

/** Explicit flags, then AEROGRAMME_ADMIN_URL / _TOKEN, then the configuration file (or the defaults). */
export function resolveAdminTarget(options: AdminOptions): AdminTarget {
  const url = options.adminUrl ?? process.env['AEROGRAMME_ADMIN_URL'];
  const token = options.adminToken ?? process.env['AEROGRAMME_ADMIN_TOKEN'];
  if (url !== undefined && token !== undefined) return { url: url.replace(/\/$/, ''), token };
  const { config } = loadConfig(options.config);
  const host = config.admin.bindAddr.replace(/^0\.0\.0\.0:|^\[::\]:/, '127.0.0.1:');
  return { url: url ?? `http://${host}`, token: token ?? config.admin.adminToken };
}

export class AdminClientError extends Error {}

export async function adminCall<T>(target: AdminTarget, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${target.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${target.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new AdminClientError(
      `cannot reach the admin API at ${target.url} (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}); is \`aerogramme server\` running, and do -c / --admin-url point at it?`,
    );
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not JSON: keep the raw text
    }
    throw new AdminClientError(`${message.trim()} (HTTP ${res.status})`);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}
