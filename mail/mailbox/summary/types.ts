/**
 * The message summary: everything the common FETCHes and SEARCH need, computed once
 * from the raw message at delivery/APPEND and stored (encrypted) next to the body, so
 * that FETCH of ENVELOPE, BODYSTRUCTURE, header sections or sizes never reads the body.
 *
 * Plain data only (strings, numbers, arrays, plain objects): it round-trips through
 * msgpack unchanged. Absent optional fields are omitted rather than set to undefined.
 */

/**
 * Raw octets from the message, one char per byte (latin1): 8-bit header bytes survive
 * storage unchanged and render byte-exact (`Buffer.from(x, 'latin1')` gives them back).
 * Never display such a string as text: decode it first.
 */
export type Octets = string;

/** One ENVELOPE address; a group start is (null, null, name, null), its end all nulls. */
export interface Address {
  name: Octets | null;
  route: Octets | null;
  mailbox: Octets | null;
  domain: Octets | null;
}

/**
 * The ENVELOPE fields as raw header values (RFC 3501: not decoded). Strings keep the
 * header's own bytes (folding line breaks still in; the renderer drops them); sender
 * and replyTo already default to from.
 */
export interface Envelope {
  date: Octets | null;
  subject: Octets | null;
  from: Address[] | null;
  sender: Address[] | null;
  replyTo: Address[] | null;
  to: Address[] | null;
  cc: Address[] | null;
  bcc: Address[] | null;
  inReplyTo: Octets | null;
  messageId: Octets | null;
}

/**
 * multipart: `parts` are its children (possibly none: a broken multipart).
 * message: a message/rfc822 part; `parts[0]` is the embedded message, `envelope` its ENVELOPE.
 * single: any other part (text, attachment, ...).
 */
export type PartKind = 'multipart' | 'message' | 'single';

/**
 * One MIME part: its BODYSTRUCTURE fields and where it lies in the raw message.
 * Offsets are byte positions in the raw message: the part's MIME header is
 * [headerStart, bodyStart), its body [bodyStart, end). For the message itself (the
 * root part) that is BODY[HEADER] and BODY[TEXT].
 */
export interface BodyPart {
  kind: PartKind;
  headerStart: number;
  bodyStart: number;
  end: number;
  /** Content type as written in the header (case kept); text/plain when there is none. */
  type: Octets;
  subtype: Octets;
  /** Content-Type parameters, name and value alternating. */
  params: Octets[];
  id: Octets | null;
  description: Octets | null;
  /** Content-Transfer-Encoding as written; null means 7bit. */
  encoding: Octets | null;
  md5: Octets | null;
  disposition: Octets | null;
  /** Content-Disposition parameters, name and value alternating. */
  dispositionParams: Octets[];
  language: Octets[] | null;
  location: Octets | null;
  /** Body size in octets as IMAP counts them (every line ending as CRLF). */
  size: number;
  /** Number of lines of the body. */
  lines: number;
  parts?: BodyPart[];
  envelope?: Envelope;
}

/** Normalised fields for SEARCH, so header searches never open the body. */
export interface SearchFields {
  /** Subject with RFC 2047 words decoded, whitespace collapsed, lowercase. */
  subject: string;
  /** Address headers decoded and lowercased ("name <mailbox@domain>, ..."). */
  from: string;
  to: string;
  cc: string;
  bcc: string;
  /** The Date header in ms since the epoch, or null when missing or unparsable. */
  date: number | null;
  /** Lowercase names of the message's header fields, each once, in order of appearance. */
  headerNames: string[];
}

export const SUMMARY_VERSION = 1;

export interface MessageSummary {
  v: typeof SUMMARY_VERSION;
  /** RFC822.SIZE: the message size with every line ending counted as CRLF. */
  size: number;
  /** Length of the raw message in bytes. */
  rawSize: number;
  /**
   * True when some line ends in a bare LF: byte ranges must then be served with LF
   * turned into CRLF (that is what `size` and the part sizes count), and partial
   * fetch offsets are not raw offsets. False: raw offsets are IMAP offsets.
   */
  bareLf: boolean;
  /**
   * The message's header as raw octets (bytes [0, body.bodyStart), empty line
   * included): BODY[HEADER], HEADER.FIELDS and RFC822.HEADER are served from it.
   */
  header: Octets;
  envelope: Envelope;
  /** The BODYSTRUCTURE tree; its root spans the whole message. */
  body: BodyPart;
  /** RFC 8970 PREVIEW: up to 200 characters of the first text part. */
  preview: string;
  search: SearchFields;
}
