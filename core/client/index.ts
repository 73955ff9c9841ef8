/** The storage port of the mail layer: interfaces and their embedded and HTTP implementations. */
export type * from './port.js';
export { EmbeddedK2vStore } from './embedded-k2v.js';
export { EmbeddedBlobStore, type ObjectOps } from './embedded-blob.js';
export { openEmbeddedBucket, type BucketStorage, type EmbeddedCore } from './embedded.js';
export { HttpK2vStore, type HttpK2vOptions } from './http-k2v.js';
export { HttpBlobStore, type HttpBlobOptions } from './http-blob.js';
export { StoreError } from './errors.js';
export type { Credentials } from './sigv4.js';
export type { HttpTarget } from './http.js';
