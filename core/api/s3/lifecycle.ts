import type { LifecycleFilter, LifecycleRule } from '../../model/bucket-table.js';
import { ApiError } from '../common/errors.js';
import { sendXml } from '../common/http.js';
import { asArray, childElement, childText, parseXml, xmlDocument, type XmlElement, type XmlNode, type XmlObject } from '../common/xml.js';
import { bucketOf, type RequestContext } from './context.js';
import { readCheckedBody } from './integrity.js';

const MAX_RULES = 1000;
const SUPPORTED =
  'the supported ones are Expiration (Days or Date), AbortIncompleteMultipartUpload (DaysAfterInitiation) and Filter (Prefix, ObjectSizeGreaterThan, ObjectSizeLessThan, And).';
const RULE_ELEMENTS = ['ID', 'Status', 'Filter', 'Prefix', 'Expiration', 'AbortIncompleteMultipartUpload'];
const CONDITIONS = ['Prefix', 'ObjectSizeGreaterThan', 'ObjectSizeLessThan'];

/** Elements S3 knows that Garage (and we) do not apply: refused with 501 rather than ignored. */
function unsupported(element: string): ApiError {
  return new ApiError('NotImplemented', `Lifecycle ${element} is not supported; ${SUPPORTED}`);
}

/** Every child must be one of `known`; S3 elements beyond them are 501, anything else malformed. */
function checkChildren(node: XmlObject, known: readonly string[]): void {
  for (const name of Object.keys(node)) {
    if (known.includes(name)) continue;
    if (/^(Transition|NoncurrentVersion\w+|Tag|ExpiredObjectDeleteMarker)$/.test(name)) throw unsupported(name);
    throw new ApiError('MalformedXML', `Unexpected element ${name} in a lifecycle configuration.`);
  }
}

/** A count: a non-negative (or, with `positive`, positive) integer. */
function integer(node: XmlObject, name: string, positive: boolean): number | null {
  const text = childText(node, name);
  if (text === undefined) return null;
  const n = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
  if (Number.isNaN(n) || (positive && n === 0)) throw new ApiError('InvalidArgument', `${name} must be a ${positive ? 'positive' : 'non-negative'} integer.`);
  return n;
}

function parseFilter(rule: XmlObject): LifecycleFilter {
  const legacyPrefix = childText(rule, 'Prefix');
  const filter = childElement(rule, 'Filter');
  if (filter === undefined) return { prefix: legacyPrefix || null, sizeGreaterThan: null, sizeLessThan: null };
  if (legacyPrefix !== undefined) throw new ApiError('MalformedXML', 'A rule has either a Prefix or a Filter, not both.');
  checkChildren(filter, ['And', ...CONDITIONS]);
  const and = childElement(filter, 'And');
  if (and !== undefined && Object.keys(filter).length > 1) throw new ApiError('MalformedXML', 'A Filter holds either one condition or an And element.');
  if (and === undefined && Object.keys(filter).length > 1) throw new ApiError('MalformedXML', 'Several Filter conditions must be wrapped in an And element.');
  const conditions = and ?? filter;
  if (and !== undefined) checkChildren(and, CONDITIONS);
  const parsed: LifecycleFilter = {
    prefix: childText(conditions, 'Prefix') || null,
    sizeGreaterThan: integer(conditions, 'ObjectSizeGreaterThan', false),
    sizeLessThan: integer(conditions, 'ObjectSizeLessThan', false),
  };
  if (parsed.sizeGreaterThan !== null && parsed.sizeLessThan !== null && parsed.sizeGreaterThan >= parsed.sizeLessThan) {
    throw new ApiError('InvalidArgument', 'ObjectSizeGreaterThan must be less than ObjectSizeLessThan.');
  }
  return parsed;
}

/** An expiration date: a day, at midnight UTC as S3 demands ("2030-01-01" or "2030-01-01T00:00:00.000Z"). */
function parseDate(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})(?:T00:00:00(?:\.0+)?(?:Z|\+00:00))?$/.exec(text);
  if (!m || Number.isNaN(Date.parse(`${m[1]}T00:00:00Z`)) || new Date(`${m[1]}T00:00:00Z`).toISOString().slice(0, 10) !== m[1]) {
    throw new ApiError('InvalidArgument', "'Date' must be a day at midnight UTC, in ISO 8601 format (2030-01-01T00:00:00.000Z).");
  }
  return m[1]!;
}

function parseExpiration(rule: XmlObject): LifecycleRule['expiration'] {
  const expiration = childElement(rule, 'Expiration');
  if (expiration === undefined) return null;
  checkChildren(expiration, ['Days', 'Date']);
  const days = integer(expiration, 'Days', true);
  const date = childText(expiration, 'Date');
  if ((days === null) === (date === undefined)) throw new ApiError('MalformedXML', 'An Expiration has either Days or Date.');
  return days !== null ? { days } : { date: parseDate(date!) };
}

function parseRule(node: XmlNode): LifecycleRule {
  if (typeof node !== 'object') throw new ApiError('MalformedXML');
  checkChildren(node, RULE_ELEMENTS);
  const id = childText(node, 'ID') ?? null;
  if (id !== null && id.length > 255) throw new ApiError('InvalidArgument', 'The ID of a rule is limited to 255 characters.');
  const status = childText(node, 'Status');
  if (status !== 'Enabled' && status !== 'Disabled') throw new ApiError('MalformedXML', 'The Status of a rule is Enabled or Disabled.');
  const abort = childElement(node, 'AbortIncompleteMultipartUpload');
  if (abort !== undefined) checkChildren(abort, ['DaysAfterInitiation']);
  const abortDays = abort === undefined ? null : integer(abort, 'DaysAfterInitiation', true);
  if (abort !== undefined && abortDays === null) throw new ApiError('MalformedXML', 'AbortIncompleteMultipartUpload needs DaysAfterInitiation.');
  const rule: LifecycleRule = { id, enabled: status === 'Enabled', filter: parseFilter(node), expiration: parseExpiration(node), abortIncompleteUploadDays: abortDays };
  if (rule.expiration === null && rule.abortIncompleteUploadDays === null) throw new ApiError('InvalidArgument', 'At least one action needs to be specified in a rule.');
  return rule;
}

/** A LifecycleConfiguration document, with the rules Garage supports. */
function parseLifecycle(body: Buffer): LifecycleRule[] {
  const doc = parseXml(body, 'LifecycleConfiguration');
  checkChildren(doc, ['Rule']);
  const rules = asArray(doc['Rule']).map(parseRule);
  if (rules.length === 0 || rules.length > MAX_RULES) throw new ApiError('MalformedXML', `A lifecycle configuration has 1 to ${MAX_RULES} rules.`);
  const ids = rules.flatMap((r) => (r.id === null ? [] : [r.id]));
  if (new Set(ids).size !== ids.length) throw new ApiError('InvalidArgument', 'Rule IDs must be unique.');
  return rules;
}

function filterXml(f: LifecycleFilter): XmlElement | undefined {
  const conditions = { Prefix: f.prefix, ObjectSizeGreaterThan: f.sizeGreaterThan, ObjectSizeLessThan: f.sizeLessThan };
  const count = Object.values(conditions).filter((v) => v !== null).length;
  return count === 0 ? undefined : count === 1 ? conditions : { And: conditions };
}

function ruleXml(r: LifecycleRule): XmlElement {
  return {
    ID: r.id,
    Filter: filterXml(r.filter),
    Status: r.enabled ? 'Enabled' : 'Disabled',
    Expiration: r.expiration === null ? undefined : 'days' in r.expiration ? { Days: r.expiration.days } : { Date: `${r.expiration.date}T00:00:00.000Z` },
    AbortIncompleteMultipartUpload: r.abortIncompleteUploadDays === null ? undefined : { DaysAfterInitiation: r.abortIncompleteUploadDays },
  };
}

export async function putBucketLifecycle(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const rules = parseLifecycle(await readCheckedBody(ctx, false));
  await ctx.model.buckets.setConfig(bucket.id, 'lifecycle', rules);
  ctx.res.writeHead(200, { 'content-length': 0 });
  ctx.res.end();
}

export async function getBucketLifecycle(ctx: RequestContext): Promise<void> {
  const rules = bucketOf(ctx).state.present.lifecycle.value;
  if (rules === null) throw new ApiError('NoSuchLifecycleConfiguration');
  sendXml(ctx.res, 200, xmlDocument('LifecycleConfiguration', { Rule: rules.map(ruleXml) }, { namespace: true }));
}

export async function deleteBucketLifecycle(ctx: RequestContext): Promise<void> {
  await ctx.model.buckets.setConfig(bucketOf(ctx).id, 'lifecycle', null);
  ctx.res.writeHead(204);
  ctx.res.end();
}
