/** Commands about the connection itself: CAPABILITY, NOOP, CHECK, LOGOUT, ID, NAMESPACE, ENABLE. */
import { ENABLEABLE, type Enableable } from '../capabilities.js';
import { statusLine } from '../format/response.js';
import type { CommandName, CommandOf } from '../protocol/ast.js';
import type { Done, Session } from '../session/session.js';

type Cmd<N extends CommandName> = CommandOf<N>;

export async function capability(s: Session): Promise<void> {
  s.write(`* CAPABILITY ${s.capabilityList().join(' ')}\r\n`);
}

/** NOOP and CHECK: look at storage now, so the updates that follow are fresh. */
export async function noop(s: Session): Promise<void> {
  await s.selected?.refresh(true);
}

export async function logout(s: Session): Promise<Done> {
  s.write(statusLine('*', 'BYE', 'Logging out'));
  s.state = 'logout';
  return {};
}

const SERVER_ID: Array<[string, string]> = [
  ['name', 'Aerogramme'],
  ['vendor', 'Aerogramme'],
  ['support-url', 'https://aerogramme.deuxfleurs.fr'],
];

export async function id(s: Session, cmd: Cmd<'ID'>): Promise<void> {
  if (cmd.params !== null) s.ctx.log.debug({ client: Object.fromEntries(cmd.params) }, 'imap client id');
  s.write(`* ID (${SERVER_ID.map(([k, v]) => `"${k}" "${v}"`).join(' ')})\r\n`);
}

export async function namespace(s: Session): Promise<void> {
  s.write('* NAMESPACE (("" "/")) NIL NIL\r\n');
}

export async function enable(s: Session, cmd: Cmd<'ENABLE'>): Promise<void> {
  const now: string[] = [];
  for (const cap of cmd.capabilities) {
    const known = ENABLEABLE.find((e) => e === cap) as Enableable | undefined;
    if (known === undefined || s.enabled.has(known)) continue;
    s.enabled.add(known);
    now.push(known === 'IMAP4REV2' ? 'IMAP4rev2' : known);
    // RFC 7162 §3.2.3: QRESYNC implies CONDSTORE.
    if (known === 'QRESYNC') s.enabled.add('CONDSTORE');
  }
  s.write(`* ENABLED${now.map((c) => ` ${c}`).join('')}\r\n`);
}

