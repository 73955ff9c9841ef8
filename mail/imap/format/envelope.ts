/**
 * ENVELOPE (RFC 3501 §7.4.2) from a summary's Envelope, byte-exact with Dovecot:
 * date, Message-ID and In-Reply-To as their raw (unfolded) header values, the
 * subject and display names cleaned up for people, addresses as (name route mailbox
 * domain) with groups as start and end markers.
 */
import type { Address, Envelope, Octets } from '../../mailbox/summary/types.js';
import { humanString, nstring, nstringNoLf } from './quote.js';

function address(a: Address): Octets {
  const name = a.name === null ? 'NIL' : humanString(a.name);
  return `(${name} ${nstring(a.route)} ${nstring(a.mailbox)} ${nstring(a.domain)})`;
}

function addressList(list: Address[] | null): Octets {
  return list === null ? 'NIL' : `(${list.map(address).join('')})`;
}

/** The parenthesised envelope as a string of octets. */
export function envelopeOctets(env: Envelope): Octets {
  return (
    `(${nstringNoLf(env.date)} ${env.subject === null ? 'NIL' : humanString(env.subject)} ` +
    `${addressList(env.from)} ${addressList(env.sender)} ${addressList(env.replyTo)} ` +
    `${addressList(env.to)} ${addressList(env.cc)} ${addressList(env.bcc)} ` +
    `${nstringNoLf(env.inReplyTo)} ${nstringNoLf(env.messageId)})`
  );
}

/** ENVELOPE's value, ready to follow "ENVELOPE " in a FETCH response. */
export function renderEnvelope(env: Envelope): Buffer {
  return Buffer.from(envelopeOctets(env), 'latin1');
}
