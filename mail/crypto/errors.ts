import { AeroError } from '../../core/util/errors.js';

/**
 * A ciphertext did not open: wrong key, tampered or truncated bytes, or a blob read
 * from another place or kind than the one it was sealed for. Deliberately says
 * nothing more precise: the reasons are indistinguishable to an honest reader.
 */
export class DecryptionError extends AeroError {
  constructor(message = 'decryption failed: wrong key, or the data was altered or moved') {
    super('Decryption', message);
  }
}

/** Stored key material or parameters are malformed or below the accepted floor. */
export class CryptoFormatError extends AeroError {
  constructor(message: string) {
    super('CryptoFormat', message);
  }
}
