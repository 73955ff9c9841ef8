/** The admin API's JSON shapes, as the CLI reads them. */
export interface Perms {
  read: boolean;
  write: boolean;
  owner: boolean;
}

export interface KeyJson {
  accessKeyId: string;
  name: string;
  secretAccessKey?: string;
  permissions: { createBucket: boolean };
  buckets: { id: string; globalAliases: string[]; localAliases: string[]; permissions: Perms }[];
}

export interface BucketJson {
  id: string;
  globalAliases: string[];
  localAliases: { keyId: string; alias: string }[];
  createdAt: string;
  keys: { accessKeyId: string; name: string; permissions: Perms }[];
  objects: number;
  bytes: number;
  unfinishedUploads: number;
  websiteAccess: boolean;
  websiteConfig: { indexDocument: string; errorDocument: string | null } | null;
  quotas: { maxSize: number | null; maxObjects: number | null };
}
