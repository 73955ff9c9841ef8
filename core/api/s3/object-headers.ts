import type { ObjectHeaders } from '../../model/object-table.js';
import { ApiError } from '../common/errors.js';
import { header, type RequestContext } from './context.js';

const STORED = ['content-type', 'cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires', 'x-amz-website-redirect-location'];

/** The response headers a request asks to store with an object (user metadata names lower-cased, sorted). */
export function storedHeaders(ctx: RequestContext): ObjectHeaders {
  const out: ObjectHeaders = [];
  for (const name of STORED) {
    let value = header(ctx, name);
    if (value === undefined) continue;
    if (name === 'content-encoding') {
      // aws-chunked describes the upload, not the object.
      value = value.split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== 'aws-chunked').join(',');
      if (value === '') continue;
    }
    if (name === 'x-amz-website-redirect-location' && !/^(\/|https?:\/\/)/.test(value)) {
      throw new ApiError('InvalidArgument', 'x-amz-website-redirect-location must start with /, http:// or https://');
    }
    out.push([name, value]);
  }
  for (const name of Object.keys(ctx.headers).filter((n) => n.startsWith('x-amz-meta-')).sort()) out.push([name, header(ctx, name)!]);
  return out;
}

const OVERRIDES = ['content-type', 'content-language', 'expires', 'cache-control', 'content-disposition', 'content-encoding'];

/** Stored headers as response headers, with GetObject's response-* query overrides applied. */
export function objectResponseHeaders(ctx: Pick<RequestContext, 'query'>, stored: ObjectHeaders): Record<string, string> {
  const out: Record<string, string> = { 'content-type': 'binary/octet-stream' };
  for (const [name, value] of stored) out[name] = value;
  for (const name of OVERRIDES) {
    const value = ctx.query.get(`response-${name}`);
    if (value !== undefined) out[name] = value;
  }
  return out;
}
