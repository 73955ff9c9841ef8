/** Input checks of the K2V service: a refused input raises K2vError before anything is written. */
import { K2vError } from './errors.js';
import { K2V_LIMITS } from './limits.js';
import type { K2vValue } from './types.js';

export function checkKey(what: 'partition key' | 'sort key', key: string): void {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > K2V_LIMITS.maxKeyBytes) {
    throw new K2vError('InvalidRequest', `${what} is ${bytes} bytes long; the limit is ${K2V_LIMITS.maxKeyBytes}`);
  }
  // A lone surrogate has no UTF-8 form: it would silently become U+FFFD and alias another key.
  if (Buffer.from(key, 'utf8').toString('utf8') !== key) throw new K2vError('InvalidRequest', `${what} is not valid Unicode`);
}

export function checkValue(value: K2vValue): void {
  if (value !== null && value.length > K2V_LIMITS.maxValueBytes) {
    throw new K2vError('EntityTooLarge', `value is ${value.length} bytes long; the limit is ${K2V_LIMITS.maxValueBytes}`);
  }
}

/** The poll timeout to use: the default when absent; 1 ms to the maximum otherwise. */
export function pollTimeout(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return K2V_LIMITS.defaultPollTimeoutMs;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > K2V_LIMITS.maxPollTimeoutMs) {
    throw new K2vError('InvalidRequest', `poll timeout must be between 1 ms and ${K2V_LIMITS.maxPollTimeoutMs / 1000} s`);
  }
  return timeoutMs;
}
