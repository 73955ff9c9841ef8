import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsRule } from '../../model/bucket-table.js';
import type { LiveBucket, Model } from '../../model/index.js';
import { ApiError } from '../common/errors.js';
import { sendXml } from '../common/http.js';
import { asArray, parseXml, xmlDocument, type XmlNode, type XmlObject } from '../common/xml.js';
import { bucketOf, type RequestContext } from './context.js';
import { readCheckedBody } from './integrity.js';

const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];
const MAX_RULES = 100;

/** A CORS pattern: at most one "*" standing for any characters. */
function matches(pattern: string, value: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern === value;
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return value.length >= head.length + tail.length && value.startsWith(head) && value.endsWith(tail);
}

/** The first rule allowing this origin, method and request headers. */
function findRule(rules: readonly CorsRule[], origin: string, method: string, requestHeaders: readonly string[]): CorsRule | undefined {
  return rules.find(
    (r) =>
      r.allowOrigins.some((o) => matches(o, origin)) &&
      r.allowMethods.includes(method) &&
      requestHeaders.every((h) => r.allowHeaders.some((p) => matches(p.toLowerCase(), h.toLowerCase()))),
  );
}

function ruleHeaders(rule: CorsRule, origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': rule.allowOrigins.includes('*') ? '*' : origin,
    'access-control-allow-methods': rule.allowMethods.join(', '),
    ...(rule.exposeHeaders.length > 0 ? { 'access-control-expose-headers': rule.exposeHeaders.join(', ') } : {}),
    vary: 'Origin',
  };
}

/** Adds the CORS headers of the bucket's matching rule to an actual (non-preflight) request's response. */
export function applyCorsHeaders(bucket: LiveBucket, req: IncomingMessage, res: ServerResponse): void {
  const origin = req.headers.origin;
  const rules = bucket.state.present.cors.value;
  if (origin === undefined || rules === null) return;
  const rule = findRule(rules, origin, req.method ?? 'GET', []);
  if (rule) for (const [name, value] of Object.entries(ruleHeaders(rule, origin))) res.setHeader(name, value);
}

/**
 * A CORS preflight (OPTIONS, unauthenticated). The bucket is found by its global alias;
 * the service endpoint (ListBuckets) allows GET from anywhere, as Garage does.
 */
export async function preflight(model: Model, bucketName: string | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (bucketName !== undefined) return bucketPreflight(model.buckets.resolve(bucketName, undefined)?.state.present.cors.value ?? [], req, res);
  if (preflightRequest(req).method !== 'GET') throw new ApiError('AccessForbidden');
  res.writeHead(200, { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET', 'content-length': 0 });
  res.end();
}

/** A preflight answered from a bucket's CORS rules (S3 API and website endpoint). */
export function bucketPreflight(rules: readonly CorsRule[], req: IncomingMessage, res: ServerResponse): void {
  const { origin, method, requested } = preflightRequest(req);
  const rule = findRule(rules, origin, method, requested);
  if (!rule) throw new ApiError('AccessForbidden');
  res.writeHead(200, {
    ...ruleHeaders(rule, origin),
    ...(requested.length > 0 ? { 'access-control-allow-headers': requested.join(', ') } : {}),
    ...(rule.maxAgeSeconds !== null ? { 'access-control-max-age': String(rule.maxAgeSeconds) } : {}),
    'content-length': 0,
  });
  res.end();
}

function preflightRequest(req: IncomingMessage): { origin: string; method: string; requested: string[] } {
  const origin = req.headers.origin;
  const method = req.headers['access-control-request-method'];
  if (origin === undefined || method === undefined) {
    throw new ApiError('InvalidRequest', 'Insufficient information. Origin and Access-Control-Request-Method request headers are needed.');
  }
  const requested = (req.headers['access-control-request-headers'] ?? '').split(',').map((h) => h.trim()).filter((h) => h !== '');
  return { origin, method, requested };
}

function texts(node: XmlNode | readonly XmlNode[] | undefined): string[] {
  return asArray(node).map((n) => {
    if (typeof n !== 'string') throw new ApiError('MalformedXML');
    return n.trim();
  });
}

function parseRule(node: XmlNode): CorsRule {
  if (typeof node !== 'object') throw new ApiError('MalformedXML');
  const r = node as XmlObject;
  const id = texts(r['ID'])[0] ?? null;
  const maxAge = texts(r['MaxAgeSeconds'])[0];
  const rule: CorsRule = {
    id,
    maxAgeSeconds: maxAge === undefined ? null : /^\d{1,9}$/.test(maxAge) ? Number(maxAge) : NaN,
    allowOrigins: texts(r['AllowedOrigin']),
    allowMethods: texts(r['AllowedMethod']),
    allowHeaders: texts(r['AllowedHeader']),
    exposeHeaders: texts(r['ExposeHeader']),
  };
  if (Number.isNaN(rule.maxAgeSeconds) || rule.allowOrigins.length === 0 || rule.allowMethods.length === 0) throw new ApiError('MalformedXML');
  const bad = rule.allowMethods.find((m) => !METHODS.includes(m));
  if (bad !== undefined) throw new ApiError('InvalidRequest', `Found unsupported HTTP method in CORS config. Unsupported method is ${bad}`);
  return rule;
}

export async function putBucketCors(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const doc = parseXml(await readCheckedBody(ctx, true), 'CORSConfiguration');
  const rules = asArray(doc['CORSRule']).map(parseRule);
  if (rules.length === 0 || rules.length > MAX_RULES) throw new ApiError('MalformedXML', `A CORS configuration has 1 to ${MAX_RULES} rules.`);
  await ctx.model.buckets.setConfig(bucket.id, 'cors', rules);
  ctx.res.writeHead(200, { 'content-length': 0 });
  ctx.res.end();
}

export async function getBucketCors(ctx: RequestContext): Promise<void> {
  const rules = bucketOf(ctx).state.present.cors.value;
  if (rules === null) throw new ApiError('NoSuchCORSConfiguration');
  const rule = (r: CorsRule) => ({
    ID: r.id,
    AllowedOrigin: r.allowOrigins,
    AllowedMethod: r.allowMethods,
    AllowedHeader: r.allowHeaders,
    ExposeHeader: r.exposeHeaders,
    MaxAgeSeconds: r.maxAgeSeconds,
  });
  sendXml(ctx.res, 200, xmlDocument('CORSConfiguration', { CORSRule: rules.map(rule) }, { namespace: true }));
}

export async function deleteBucketCors(ctx: RequestContext): Promise<void> {
  await ctx.model.buckets.setConfig(bucketOf(ctx).id, 'cors', null);
  ctx.res.writeHead(204);
  ctx.res.end();
}
