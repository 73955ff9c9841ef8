/** What the protocols (IMAP, LMTP, SASL) ask of a user database. */
import type { UserKeys } from '../crypto/keys.js';

/** Where the user's mail is stored. */
export interface StorageSettings {
  /** The user's own bucket (one bucket per user isolates users at the storage level). */
  bucket: string;
}

/** A logged-in user. The holder owns `keys` and wipes them (keys.wipe()) when the session ends. */
export interface Credentials {
  userId: string;
  username: string;
  keys: UserKeys;
  /** Own addresses first, then aliases; canonical (lower-case). */
  addresses: string[];
  storage: StorageSettings;
}

/** A delivery target found without any password: enough to seal mail to the user. */
export interface Recipient {
  userId: string;
  username: string;
  publicKey: Buffer;
  storage: StorageSettings;
  /** The user's address that matched (canonical, without the detail). */
  address: string;
  /** `detail` of `user+detail@domain` when the address matched through it. */
  detail: string | undefined;
}

export interface LoginProvider {
  /** The user's credentials; AuthenticationError for an unknown user or a wrong password. */
  login(username: string, password: string): Promise<Credentials>;
  /** The user an address delivers to (case-insensitive; `user+detail@domain` reaches `user@domain`). */
  lookupAddress(address: string): Promise<Recipient | undefined>;
}
