/**
 * Message flags: the system flags in their RFC 9051 spelling, keywords as first given.
 * Flags compare case-insensitively (RFC 9051 §2.3.2). A message's flags are a
 * canonical set: deduplicated, sorted by lower-case name, and interned so that the
 * many messages with the same flags share one frozen array.
 */
export const SYSTEM_FLAGS = ['\\Answered', '\\Deleted', '\\Draft', '\\Flagged', '\\Seen'] as const;
export const SEEN = '\\Seen';
export const DELETED = '\\Deleted';

const SYSTEM_BY_LOWER = new Map<string, string>(SYSTEM_FLAGS.map((f) => [f.toLowerCase(), f]));
/** atom-specials of RFC 9051 (and "\" outside a system flag), control characters, space. */
const NOT_KEYWORD = /[(){%*"\\\]\x00-\x20\x7f-\uffff]/;

export type FlagSet = readonly string[];

const interned = new Map<string, FlagSet>();
const MAX_INTERNED = 4096;
export const NO_FLAGS: FlagSet = Object.freeze([]);

/**
 * The canonical spelling of a flag the client may set, or undefined: \Recent is the
 * server's (never stored) and an unknown \-flag or a malformed keyword is refused.
 */
export function normalizeFlag(flag: string): string | undefined {
  const lower = flag.toLowerCase();
  if (flag.startsWith('\\')) return SYSTEM_BY_LOWER.get(lower);
  return flag.length > 0 && !NOT_KEYWORD.test(flag) ? flag : undefined;
}

/** The canonical set of `flags` (unknown ones dropped; the first spelling of a keyword kept). */
export function flagSet(flags: Iterable<string>): FlagSet {
  const byLower = new Map<string, string>();
  for (const f of flags) {
    const n = normalizeFlag(f);
    if (n !== undefined && !byLower.has(n.toLowerCase())) byLower.set(n.toLowerCase(), n);
  }
  if (byLower.size === 0) return NO_FLAGS;
  const sorted = [...byLower.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, f]) => f);
  const key = sorted.join(' ');
  let set = interned.get(key);
  if (set === undefined) {
    if (interned.size >= MAX_INTERNED) interned.clear();
    set = Object.freeze(sorted);
    interned.set(key, set);
  }
  return set;
}

export function hasFlag(set: FlagSet, flag: string): boolean {
  const lower = flag.toLowerCase();
  return set.some((f) => f.toLowerCase() === lower);
}

export function sameFlags(a: FlagSet, b: FlagSet): boolean {
  return a.length === b.length && a.every((f, i) => f === b[i]);
}

/** STORE's FLAGS (set), +FLAGS (add) and -FLAGS (remove). */
export type FlagMode = 'add' | 'remove' | 'set';

export function changeFlags(set: FlagSet, mode: FlagMode, flags: FlagSet): FlagSet {
  if (mode === 'set') return flagSet(flags);
  if (mode === 'add') return flagSet([...set, ...flags]);
  const drop = new Set(flags.map((f) => f.toLowerCase()));
  return flagSet(set.filter((f) => !drop.has(f.toLowerCase())));
}
