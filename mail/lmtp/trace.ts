/**
 * The trace a final delivery adds on top of the message (RFC 5321 §4.4): Return-Path
 * with the envelope sender, Delivered-To with the recipient, and a Received line, in
 * the shape Dovecot's LMTP writes them so tools that read one read the other.
 */

export interface TraceInfo {
  /** Envelope sender (MAIL FROM); empty for the null sender. */
  sender: string;
  /** The recipient as given in RCPT TO. */
  recipient: string;
  /** What the client called itself in LHLO. */
  helo: string;
  clientIp: string;
  /** Our host name. */
  hostname: string;
  /** The session's id, for matching the message with our logs. */
  id: string;
  /** The client used SMTPUTF8 (RFC 6531 names the protocol UTF8LMTP then). */
  utf8: boolean;
  date: Date;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** RFC 5322 date-time, in UTC. */
export function rfc5322Date(d: Date): string {
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${time} +0000`;
}

/** RFC 5321 address literal. */
function addressLiteral(ip: string): string {
  return ip.includes(':') ? `[IPv6:${ip}]` : `[${ip}]`;
}

/** The header lines, CRLF-terminated, to put in front of the message. */
export function traceHeaders(t: TraceInfo): Buffer {
  return Buffer.from(
    [
      `Return-Path: <${t.sender}>`,
      `Delivered-To: ${t.recipient}`,
      `Received: from ${t.helo} (${addressLiteral(t.clientIp)})`,
      `\tby ${t.hostname} with ${t.utf8 ? 'UTF8LMTP' : 'LMTP'}`,
      `\tid ${t.id}`,
      `\t(envelope-from <${t.sender}>)`,
      `\tfor <${t.recipient}>; ${rfc5322Date(t.date)}`,
      '',
    ].join('\r\n'),
    'utf8',
  );
}
