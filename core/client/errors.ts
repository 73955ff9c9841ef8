import { AeroError } from '../util/errors.js';

/**
 * A storage request the server refused or failed, over HTTP: `code` is the API's error
 * code (CausalityToken, NoSuchBucket, ...), the same one the embedded stores raise.
 */
export class StoreError extends AeroError {
  constructor(
    code: string,
    message: string,
    readonly status: number,
  ) {
    super(code, message);
  }
}
