/**
 * E-mail addresses as keys: compared case-insensitively (local part included, as
 * every real provider does), and `user+detail@domain` reaches `user@domain`.
 */
import { AccountError } from './errors.js';

const LOCAL = /^[^\s@"<>()[\]\\,;:]+$/u;
const DOMAIN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** The canonical (lower-case) form of `local@domain`, or undefined if it is not one. */
export function canonicalAddress(text: string): string | undefined {
  const address = text.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  if (at <= 0 || address.length > 254) return undefined;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > 64 || !LOCAL.test(local) || !DOMAIN.test(domain)) return undefined;
  return address;
}

/** Like canonicalAddress, for addresses an operator registers: AccountError when invalid. */
export function requireAddress(text: string): string {
  const address = canonicalAddress(text);
  if (address === undefined) {
    throw new AccountError('InvalidAddress', `"${text}" is not an e-mail address (expected local@domain, domain in ASCII/punycode)`);
  }
  return address;
}

/** The address without its `+detail`, and the detail, if the local part has one. */
export function splitDetail(address: string): { base: string; detail: string } | undefined {
  const at = address.lastIndexOf('@');
  const plus = address.indexOf('+');
  if (plus <= 0 || plus > at) return undefined;
  return { base: address.slice(0, plus) + address.slice(at), detail: address.slice(plus + 1, at) };
}
