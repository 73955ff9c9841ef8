import type { IncomingHttpHeaders } from 'node:http';
import { createBucket, deleteBucket, getBucketAcl, getBucketLocation, getBucketVersioning, headBucket, listBuckets } from './bucket.js';
import type { RequestContext } from './context.js';
import { copyObject } from './copy.js';
import { deleteBucketCors, getBucketCors, putBucketCors } from './cors.js';
import { deleteObject, deleteObjects } from './delete.js';
import { getObject } from './get.js';
import { deleteBucketLifecycle, getBucketLifecycle, putBucketLifecycle } from './lifecycle.js';
import { listObjects, listObjectVersions } from './list.js';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
  uploadPartCopy,
} from './multipart.js';
import { putObject } from './put.js';
import { deleteBucketWebsite, getBucketWebsite, putBucketWebsite } from './website.js';

/** What a key needs on the bucket: nothing bucket-specific, or read / write / owner rights. */
export type Permission = 'none' | 'read' | 'write' | 'owner';

export type Handler = (ctx: RequestContext) => Promise<void>;

export interface Endpoint {
  /** S3 operation name (metrics, logs). */
  name: string;
  permission: Permission;
  /** Undefined: a known S3 operation we answer with NotImplemented. */
  handle: Handler | undefined;
}

// Sub-resources of S3 operations we do not implement (any method).
const BUCKET_UNSUPPORTED = [
  'accelerate', 'analytics', 'encryption', 'intelligent-tiering', 'inventory', 'logging', 'metrics',
  'notification', 'object-lock', 'ownershipControls', 'policy', 'policyStatus', 'publicAccessBlock', 'replication',
  'requestPayment', 'tagging',
];
const OBJECT_UNSUPPORTED = ['acl', 'attributes', 'legal-hold', 'restore', 'retention', 'select', 'tagging', 'torrent'];

const endpoint = (name: string, permission: Permission, handle: Handler): Endpoint => ({ name, permission, handle });
const notImplemented = (name: string): Endpoint => ({ name, permission: 'none', handle: undefined });

/** Picks the S3 operation from the method, the presence of bucket and key, the query and the copy-source header. */
export function route(method: string, bucket: string | undefined, key: string | undefined, query: ReadonlyMap<string, string>, headers: IncomingHttpHeaders): Endpoint {
  if (bucket === undefined) return method === 'GET' ? endpoint('ListBuckets', 'none', listBuckets) : notImplemented(`${method}Service`);
  if (key === undefined) {
    const sub = BUCKET_UNSUPPORTED.find((s) => query.has(s));
    if (sub !== undefined) return notImplemented(`${method}Bucket:${sub}`);
    switch (method) {
      case 'GET':
        if (query.has('location')) return endpoint('GetBucketLocation', 'read', getBucketLocation);
        if (query.has('versioning')) return endpoint('GetBucketVersioning', 'read', getBucketVersioning);
        if (query.has('acl')) return endpoint('GetBucketAcl', 'read', getBucketAcl);
        if (query.has('cors')) return endpoint('GetBucketCors', 'owner', getBucketCors);
        if (query.has('website')) return endpoint('GetBucketWebsite', 'owner', getBucketWebsite);
        if (query.has('lifecycle')) return endpoint('GetBucketLifecycleConfiguration', 'read', getBucketLifecycle);
        if (query.has('uploads')) return endpoint('ListMultipartUploads', 'read', listMultipartUploads);
        if (query.has('versions')) return endpoint('ListObjectVersions', 'read', listObjectVersions);
        if (query.get('list-type') === '2') return endpoint('ListObjectsV2', 'read', listObjects);
        return endpoint('ListObjects', 'read', listObjects);
      case 'HEAD':
        return endpoint('HeadBucket', 'read', headBucket);
      case 'PUT':
        if (query.has('cors')) return endpoint('PutBucketCors', 'owner', putBucketCors);
        if (query.has('website')) return endpoint('PutBucketWebsite', 'owner', putBucketWebsite);
        if (query.has('lifecycle')) return endpoint('PutBucketLifecycleConfiguration', 'write', putBucketLifecycle);
        if (query.has('acl') || query.has('versioning')) return notImplemented(`PutBucket:${query.has('acl') ? 'acl' : 'versioning'}`);
        return endpoint('CreateBucket', 'none', createBucket);
      case 'DELETE':
        if (query.has('cors')) return endpoint('DeleteBucketCors', 'owner', deleteBucketCors);
        if (query.has('website')) return endpoint('DeleteBucketWebsite', 'owner', deleteBucketWebsite);
        if (query.has('lifecycle')) return endpoint('DeleteBucketLifecycle', 'write', deleteBucketLifecycle);
        return endpoint('DeleteBucket', 'owner', deleteBucket);
      case 'POST':
        if (query.has('delete')) return endpoint('DeleteObjects', 'write', deleteObjects);
        return notImplemented('PostObject');
      default:
        return notImplemented(`${method}Bucket`);
    }
  }
  const sub = OBJECT_UNSUPPORTED.find((s) => query.has(s));
  if (sub !== undefined) return notImplemented(`${method}Object:${sub}`);
  switch (method) {
    case 'GET':
      if (query.has('uploadId')) return endpoint('ListParts', 'read', listParts);
      return endpoint('GetObject', 'read', getObject);
    case 'HEAD':
      return endpoint('HeadObject', 'read', getObject);
    case 'PUT':
      if (query.has('uploadId') || query.has('partNumber')) {
        return headers['x-amz-copy-source'] !== undefined ? endpoint('UploadPartCopy', 'write', uploadPartCopy) : endpoint('UploadPart', 'write', uploadPart);
      }
      return headers['x-amz-copy-source'] !== undefined ? endpoint('CopyObject', 'write', copyObject) : endpoint('PutObject', 'write', putObject);
    case 'DELETE':
      if (query.has('uploadId')) return endpoint('AbortMultipartUpload', 'write', abortMultipartUpload);
      return endpoint('DeleteObject', 'write', deleteObject);
    case 'POST':
      if (query.has('uploads')) return endpoint('CreateMultipartUpload', 'write', createMultipartUpload);
      if (query.has('uploadId')) return endpoint('CompleteMultipartUpload', 'write', completeMultipartUpload);
      return notImplemented('PostObject');
    default:
      return notImplemented(`${method}Object`);
  }
}
