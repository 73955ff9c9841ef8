/**
 * A user's key material: a 32-byte master key (seals every stored value of the user)
 * and an X25519 key pair (lets delivery seal mail to a user who is not logged in).
 * It lives in memory only while the user has live sessions; `wipe()` zeroes it.
 */
import { randomBytes } from 'node:crypto';
import { KEY_BYTES } from './aead.js';
import { CryptoFormatError } from './errors.js';
import { generateX25519, x25519PublicKey, X25519_KEY_BYTES, type X25519KeyPair } from './x25519.js';

/** Size of the serialised secret part: master ‖ X25519 secret. */
const USER_KEYS_BYTES = KEY_BYTES + X25519_KEY_BYTES;

export class UserKeys {
  #master: Buffer;
  #secretKey: Buffer;
  readonly publicKey: Buffer;
  #wiped = false;

  private constructor(master: Buffer, secretKey: Buffer, publicKey: Buffer) {
    this.#master = master;
    this.#secretKey = secretKey;
    this.publicKey = publicKey;
  }

  static generate(): UserKeys {
    const { publicKey, secretKey } = generateX25519();
    return new UserKeys(randomBytes(KEY_BYTES), secretKey, publicKey);
  }

  /** From master ‖ X25519 secret (the bytes `toBytes` gives); the input is copied, the caller wipes it. */
  static fromBytes(bytes: Uint8Array): UserKeys {
    if (bytes.length !== USER_KEYS_BYTES) throw new CryptoFormatError(`user keys have ${USER_KEYS_BYTES} bytes, got ${bytes.length}`);
    const secretKey = Buffer.from(bytes.subarray(KEY_BYTES));
    return new UserKeys(Buffer.from(bytes.subarray(0, KEY_BYTES)), secretKey, x25519PublicKey(secretKey));
  }

  private live(): void {
    if (this.#wiped) throw new Error('these user keys were wiped (the session ended)');
  }

  get master(): Buffer {
    this.live();
    return this.#master;
  }

  /** The X25519 key pair, to open sealed boxes. */
  get keyPair(): X25519KeyPair {
    this.live();
    return { publicKey: this.publicKey, secretKey: this.#secretKey };
  }

  get wiped(): boolean {
    return this.#wiped;
  }

  /** master ‖ X25519 secret, in a new buffer the caller wipes. */
  toBytes(): Buffer {
    this.live();
    return Buffer.concat([this.#master, this.#secretKey]);
  }

  /** An independent copy: each holder wipes its own. */
  clone(): UserKeys {
    this.live();
    return new UserKeys(Buffer.from(this.#master), Buffer.from(this.#secretKey), Buffer.from(this.publicKey));
  }

  wipe(): void {
    this.#master.fill(0);
    this.#secretKey.fill(0);
    this.#wiped = true;
  }
}
