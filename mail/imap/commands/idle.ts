/**
 * IDLE (RFC 2177): after "+ idling", changes to the selected mailbox go out as they
 * happen (the store's watch wakes us), with a keepalive now and then, until the
 * client sends DONE. Commands the client pipelined right after DONE (iOS 18 does)
 * stay in the reader and run next.
 */
import { bad } from '../errors.js';
import type { Done, Session } from '../session/session.js';

/** DONE is short; anything long is a client gone wrong. */
const MAX_DONE_LINE = 1024;

export async function idle(s: Session): Promise<Done> {
  s.continuation('idling');
  await s.flush();
  const deadline = Date.now() + s.limits.idleTimeoutMs;
  const line = s.nextLine(MAX_DONE_LINE);
  for (;;) {
    const r = await s.idleWait(line, s.limits.idleKeepaliveMs, Math.max(0, deadline - Date.now()));
    if (r === 'change') {
      await s.sendUpdates(true, true);
      await s.flush();
      continue;
    }
    if (r === 'keepalive') {
      s.write('* OK Still here\r\n');
      await s.flush();
      continue;
    }
    // Timeout or shutdown (a BYE went out), or the client left: no tagged answer.
    if (r === 'timeout' || r === 'shutdown' || r.kind === 'end') {
      s.state = 'logout';
      return { silent: true };
    }
    if (r.kind === 'toolong' || r.line.toString('latin1').trim().toUpperCase() !== 'DONE') throw bad('Expected DONE');
    return { text: 'IDLE terminated' };
  }
}
