/**
 * Decoding K2V JSON bodies into the service's types: wrong shapes are InvalidRequest,
 * bad base64 InvalidBase64; unknown fields are ignored and null counts as absent, as
 * Garage's serde structs do.
 */
import { ApiError } from '../common/errors.js';

export type JsonObject = Readonly<Record<string, unknown>>;

const bad = (why: string): ApiError => new ApiError('InvalidRequest', why);

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    throw bad(`malformed JSON: ${(err as Error).message}`);
  }
}

export function jsonArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw bad(`${what} must be a JSON array`);
  return value;
}

export function jsonObject(value: unknown, what: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(`${what} must be a JSON object`);
  return value as JsonObject;
}

export function optString(obj: JsonObject, name: string): string | undefined {
  const v = obj[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(`${name} must be a string`);
  return v;
}

export function reqString(obj: JsonObject, name: string): string {
  const v = optString(obj, name);
  if (v === undefined) throw bad(`${name} is required`);
  return v;
}

export function optBool(obj: JsonObject, name: string): boolean | undefined {
  const v = obj[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw bad(`${name} must be true or false`);
  return v;
}

export function optUint(obj: JsonObject, name: string): number | undefined {
  const v = obj[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(`${name} must be a non-negative integer`);
  return v;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard padded base64, strictly (Node's own decoder skips junk silently). */
export function decodeBase64(text: string): Buffer {
  const bytes = BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
  if (bytes === undefined || bytes.toString('base64') !== text) throw new ApiError('InvalidBase64', 'a value is not valid standard base64');
  return bytes;
}
