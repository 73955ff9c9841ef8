import { AeroError } from '../../core/util/errors.js';

export type LogErrorCode = 'LogCorrupt' | 'LogConflict' | 'LogClosed';

/**
 * The log cannot be read as stored: an op or checkpoint that does not open or decode
 * (LogCorrupt), a storage race that did not settle after retries (LogConflict), or a
 * use after close (LogClosed).
 */
export class LogError extends AeroError {
  constructor(code: LogErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
