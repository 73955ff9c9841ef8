/**
 * COPY and MOVE (RFC 6851), by sequence number or UID, with COPYUID (RFC 4315).
 * UID COPY/MOVE also accept UIDs this session has not been told about yet (Apple
 * Mail sends them; Stalwart #1201).
 */
import { BackendError, type CopyResult } from '../backend.js';
import { no } from '../errors.js';
import type { CommandName, CommandOf } from '../protocol/ast.js';
import { compactSet, uidIndices } from '../sequence.js';
import type { Done, Session } from '../session/session.js';

type Cmd<N extends CommandName> = CommandOf<N>;

async function targetUids(s: Session, cmd: Cmd<'COPY'> | Cmd<'MOVE'>): Promise<number[]> {
  const sel = s.selected!;
  if (!cmd.uid || cmd.set.kind === 'saved') return sel.resolve(cmd.set, cmd.uid).map((i) => sel.meta(i).uid);
  await sel.refresh(false);
  const fresh = sel.mailbox.snapshot().messages;
  return uidIndices(cmd.set.ranges, { length: fresh.length, at: (i) => fresh[i]!.uid }).map((i) => fresh[i]!.uid);
}

function copyUid(r: CopyResult): string | undefined {
  return r.sourceUids.length === 0 ? undefined : `COPYUID ${r.uidValidity} ${compactSet(r.sourceUids)} ${compactSet(r.destUids)}`;
}

async function run(s: Session, cmd: Cmd<'COPY'> | Cmd<'MOVE'>): Promise<CopyResult | null> {
  const uids = await targetUids(s, cmd);
  if (uids.length === 0) return null;
  try {
    return await (cmd.name === 'MOVE' ? s.selected!.mailbox.move(uids, cmd.mailbox) : s.selected!.mailbox.copy(uids, cmd.mailbox));
  } catch (e) {
    if (e instanceof BackendError && e.kind === 'NonExistent') throw no('No such mailbox', 'TRYCREATE');
    throw e;
  }
}

export async function copy(s: Session, cmd: Cmd<'COPY'>): Promise<Done> {
  const r = await run(s, cmd);
  if (r === null) return { text: 'No messages copied' };
  const code = copyUid(r);
  return code === undefined ? {} : { code };
}

export async function move(s: Session, cmd: Cmd<'MOVE'>): Promise<Done> {
  if (s.selected!.readOnly) throw no('The mailbox is read-only', 'CANNOT');
  const r = await run(s, cmd);
  if (r === null) return { text: 'No messages moved' };
  // RFC 6851 §4.3: COPYUID in an untagged OK, before the EXPUNGEs.
  const code = copyUid(r);
  if (code !== undefined) s.write(`* OK [${code}] Moved\r\n`);
  await s.selected!.refresh(true);
  return s.condstore ? { code: `HIGHESTMODSEQ ${s.selected!.mailbox.snapshot().highestModseq}` } : {};
}
