/**
 * ENVELOPE of a message from its header fields. String fields keep the raw value of
 * their last occurrence; address fields collect the addresses of every occurrence
 * (what Dovecot answers for duplicated headers). Sender and Reply-To default to From.
 */
import { parseAddresses } from './address.js';
import { asciiLower } from './ascii.js';
import { headerString, type HeaderField } from './headers.js';
import type { Address, Envelope } from './types.js';

type StringKey = 'date' | 'subject' | 'inReplyTo' | 'messageId';
type AddressKey = 'from' | 'sender' | 'replyTo' | 'to' | 'cc' | 'bcc';

const STRING_FIELDS = new Map<string, StringKey>([
  ['date', 'date'],
  ['subject', 'subject'],
  ['in-reply-to', 'inReplyTo'],
  ['message-id', 'messageId'],
]);

const ADDRESS_FIELDS = new Map<string, AddressKey>([
  ['from', 'from'],
  ['sender', 'sender'],
  ['reply-to', 'replyTo'],
  ['to', 'to'],
  ['cc', 'cc'],
  ['bcc', 'bcc'],
]);

export function envelopeOf(fields: HeaderField[]): Envelope {
  const env: Envelope = {
    date: null,
    subject: null,
    from: null,
    sender: null,
    replyTo: null,
    to: null,
    cc: null,
    bcc: null,
    inReplyTo: null,
    messageId: null,
  };
  for (const f of fields) {
    const name = asciiLower(f.name);
    const sk = STRING_FIELDS.get(name);
    if (sk !== undefined) {
      env[sk] = headerString(f.value);
      continue;
    }
    const ak = ADDRESS_FIELDS.get(name);
    if (ak === undefined) continue;
    const found = parseAddresses(f.value);
    if (found !== null) env[ak] = append(env[ak], found);
  }
  env.sender ??= env.from;
  env.replyTo ??= env.from;
  return env;
}

function append(list: Address[] | null, more: Address[]): Address[] {
  if (list === null) return more;
  for (const a of more) list.push(a);
  return list;
}
