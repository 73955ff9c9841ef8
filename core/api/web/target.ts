import { ApiError } from '../common/errors.js';
import { percentDecode } from '../common/http.js';

/** The host name of a Host header, lower case and without its port ("[::1]:3902" → "::1"). */
export function hostnameOf(host: string | undefined): string {
  if (host === undefined || host === '') throw new ApiError('InvalidRequest', 'A Host header is required.');
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(host) ?? /^([^:]+)(?::\d+)?$/.exec(host);
  if (!m) throw new ApiError('InvalidRequest', 'The Host header is not a host name.');
  return m[1]!.toLowerCase();
}

/**
 * The global alias of the bucket a website host serves: `<bucket>.<rootDomain>`, or
 * the whole host name (a bucket named like its domain).
 */
export function bucketNameOf(hostname: string, rootDomain: string | undefined): string {
  if (rootDomain !== undefined && hostname.endsWith(`.${rootDomain}`)) return hostname.slice(0, -rootDomain.length - 1);
  return hostname;
}

/** The object a website path asks for, and the directory it may stand for. */
export interface WebTarget {
  key: string;
  /** For a path without a trailing slash: when `key` is missing but `index` exists, redirect to `location`. */
  directory: { index: string; location: string } | undefined;
}

/**
 * Maps a request path to an object key as S3 websites do: "/" and "dir/" serve the
 * index document inside; "dir" serves object "dir", or redirects to "dir/" when only
 * its index document exists.
 */
export function webTarget(rawPath: string, indexDocument: string): WebTarget {
  const path = percentDecode(rawPath, false).toString('utf8');
  if (!path.startsWith('/')) throw new ApiError('InvalidRequest', 'The path must start with a slash.');
  const base = path.slice(1);
  if (base === '' || base.endsWith('/')) return { key: `${base}${indexDocument}`, directory: undefined };
  return { key: base, directory: { index: `${base}/${indexDocument}`, location: `${rawPath}/` } };
}
