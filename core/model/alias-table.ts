import { mergeLww, type Lww } from '../crdt/index.js';
import type { TableSchema } from '../table/index.js';

/** The global bucket namespace: name → bucket id, null once the alias was removed. */
export interface BucketAliasEntry {
  name: string;
  state: Lww<Buffer | null>;
}

export const bucketAliasSchema: TableSchema<BucketAliasEntry> = {
  name: 'bucket_alias',
  partitionKey: () => Buffer.alloc(0),
  sortKey: (e) => Buffer.from(e.name, 'utf8'),
  merge: (a, b) => ({ name: a.name, state: mergeLww(a.state, b.state) }),
};
