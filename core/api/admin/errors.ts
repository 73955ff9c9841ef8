import { AeroError } from '../../util/errors.js';

/** An admin API error: its HTTP status and a stable code, answered as JSON. */
export class AdminError extends AeroError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, message);
  }
}
