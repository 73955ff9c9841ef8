/** Flags from clients: system flags in canonical spelling, keywords as given; \Recent is the server's alone. */
import { SYSTEM_FLAGS } from './backend.js';
import { bad } from './errors.js';

const CANONICAL = new Map<string, string>(SYSTEM_FLAGS.map((f) => [f.toLowerCase(), f]));

/** At most this many distinct keywords per message: a client cannot grow a message's flags without bound. */
const MAX_KEYWORDS = 128;

/** Canonical, distinct flags for STORE/APPEND; BAD for \Recent-like server flags we cannot set. */
export function clientFlags(flags: readonly string[]): string[] {
  const out = new Set<string>();
  for (const f of flags) {
    if (f.startsWith('\\')) {
      const c = CANONICAL.get(f.toLowerCase());
      // \Recent cannot be set by clients; RFC 3501 servers ignore it rather than fail the command.
      if (c === undefined && f.toLowerCase() === '\\recent') continue;
      if (c === undefined) throw bad(`invalid flag ${f}`);
      out.add(c);
    } else {
      out.add(f);
    }
  }
  if (out.size > MAX_KEYWORDS) throw bad('too many flags');
  return [...out];
}
