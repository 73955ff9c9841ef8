/**
 * Associated data: what a ciphertext is bound to. Opening a blob under any other
 * (user, location, kind) fails, so whoever administers the storage cannot swap,
 * move or replay blobs between places.
 *
 * Encoding is unambiguous: every field is a 4-byte big-endian length ‖ UTF-8 bytes,
 * after a domain tag naming the format (envelope, body segment, sealed box, ...) and
 * its version byte, so no two different inputs share an encoding.
 */

/** Where a value lives: a K2V row (partition key, sort key) or an S3 object key. */
export type Location = { readonly pk: string; readonly sk: string } | { readonly key: string };

export interface AssociatedData {
  /** The stable user id (not the login name, which may be an address). */
  readonly userId: string;
  readonly location: Location;
  /** What the plaintext is, e.g. "mailbox-list", "log-op", "summary", "body". */
  readonly kind: string;
}

const DOMAIN = 'aerogramme/ad';

export function encodeAd(format: string, version: number, ad: AssociatedData): Buffer {
  const loc = 'pk' in ad.location ? ['row', ad.location.pk, ad.location.sk] : ['blob', ad.location.key];
  const fields = [DOMAIN, format, ad.userId, ad.kind, ...loc].map((f) => Buffer.from(f, 'utf8'));
  const out = Buffer.alloc(1 + fields.reduce((n, f) => n + 4 + f.length, 0));
  out[0] = version;
  let at = 1;
  for (const f of fields) {
    at = out.writeUInt32BE(f.length, at);
    at += f.copy(out, at);
  }
  return out;
}
