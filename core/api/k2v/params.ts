/** Query-string and JSON parameters shared by several K2V endpoints. */
import { K2V_LIMITS } from '../../model/k2v/index.js';
import { ApiError } from '../common/errors.js';

export function queryUint(query: ReadonlyMap<string, string>, name: string): number | undefined {
  const v = query.get(name);
  if (v === undefined) return undefined;
  if (!/^\d{1,15}$/.test(v)) throw new ApiError('InvalidRequest', `${name} must be a non-negative integer`);
  return Number(v);
}

export function queryBool(query: ReadonlyMap<string, string>, name: string): boolean | undefined {
  const v = query.get(name);
  if (v === undefined) return undefined;
  if (v !== 'true' && v !== 'false') throw new ApiError('InvalidRequest', `${name} must be true or false`);
  return v === 'true';
}

const MAX_TIMEOUT_S = K2V_LIMITS.maxPollTimeoutMs / 1000;

/**
 * A poll timeout in seconds (default 300) as milliseconds. Garage clamps it to 1..600;
 * we refuse what is out of range so a client learns its request was not what it meant.
 */
export function pollTimeoutMs(seconds: number | undefined): number {
  if (seconds === undefined) return K2V_LIMITS.defaultPollTimeoutMs;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TIMEOUT_S) {
    throw new ApiError('InvalidRequest', `timeout must be a whole number of seconds from 1 to ${MAX_TIMEOUT_S}`);
  }
  return seconds * 1000;
}
