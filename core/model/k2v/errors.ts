import { AeroError } from '../../util/errors.js';

/** Why a K2V request is refused; the HTTP front-end answers each with a 4xx of the same code. */
export type K2vErrorCode = 'CausalityToken' | 'InvalidRequest' | 'EntityTooLarge';

/** A K2V operation refused because of its input; nothing was changed. */
export class K2vError extends AeroError {
  declare readonly code: K2vErrorCode;

  constructor(code: K2vErrorCode, message: string) {
    super(code, message);
  }
}
