import { createPublicKey, generateKeyPairSync, type KeyObject, createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface NodeKey {
  /** The node's id: hex of its raw Ed25519 public key. */
  id: string;
  privateKey: KeyObject;
}

/** Loads the node's key pair from the metadata directory, creating it on first start. */
export function loadOrCreateNodeKey(metadataDir: string): NodeKey {
  const path = join(metadataDir, 'node_key');
  let privateKey: KeyObject;
  if (existsSync(path)) {
    privateKey = createPrivateKey(readFileSync(path));
  } else {
    mkdirSync(metadataDir, { recursive: true, mode: 0o700 });
    privateKey = generateKeyPairSync('ed25519').privateKey;
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  }
  const raw = createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).subarray(-32);
  return { id: raw.toString('hex'), privateKey };
}
