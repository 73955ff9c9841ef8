/** SORT and UID SORT (RFC 5256 §3, SORT=DISPLAY RFC 5957); THREAD and UID THREAD (RFC 5256 §4). */
import type { MessageSummary } from '../../mailbox/summary/types.js';
import type { CommandName, CommandOf } from '../protocol/ast.js';
import { sortMessages, type Sortable } from '../search/sort.js';
import { formatThreads, messageIds, threadOrderedSubject, threadReferences, type Threadable } from '../search/thread.js';
import type { Session } from '../session/session.js';
import { esearchLine, matching } from './search.js';

type Cmd<N extends CommandName> = CommandOf<N>;

/** The matching messages with their summaries (skipping any expunged meanwhile). */
async function withSummaries(s: Session, indices: number[]): Promise<Array<{ index: number; summary: MessageSummary }>> {
  const sel = s.selected!;
  const summaries = await sel.mailbox.summaries(indices.map((i) => sel.meta(i).uid));
  const out: Array<{ index: number; summary: MessageSummary }> = [];
  indices.forEach((index, k) => {
    const summary = summaries[k];
    if (summary !== undefined) out.push({ index, summary });
  });
  return out;
}

export async function sort(s: Session, cmd: Cmd<'SORT'>, tag: string): Promise<void> {
  const sel = s.selected!;
  const found = await withSummaries(s, await matching(s, cmd.key));
  const sortable: Sortable[] = found.map(({ index, summary }) => ({ seq: index + 1, meta: sel.meta(index), summary }));
  const numbers = sortMessages(sortable, cmd.keys).map((m) => (cmd.uid ? m.meta.uid : m.seq));
  if (cmd.returns !== null) {
    s.write(esearchLine(tag, cmd.uid, [...numbers].sort((a, b) => a - b), cmd.returns.filter((r) => r !== 'SAVE'), null));
    return;
  }
  s.write(`* SORT${numbers.map((n) => ` ${n}`).join('')}\r\n`);
}

/** References of a message, read from its header (the summary keeps Message-ID and In-Reply-To only). */
async function references(s: Session, uid: number, summary: MessageSummary): Promise<string[]> {
  if (!summary.search.headerNames.includes('references')) return messageIds(summary.envelope.inReplyTo).slice(0, 1);
  const header = await s.selected!.mailbox.read(uid, 0, summary.body.bodyStart);
  if (header === undefined) return [];
  const m = /^references[ \t]*:(.*(?:\r?\n[ \t].*)*)/im.exec(header.toString('latin1'));
  return messageIds(m === null ? null : m[1]!);
}

export async function thread(s: Session, cmd: Cmd<'THREAD'>): Promise<void> {
  const sel = s.selected!;
  const found = await withSummaries(s, await matching(s, cmd.key));
  const messages: Threadable[] = [];
  for (const { index, summary } of found) {
    const meta = sel.meta(index);
    messages.push({
      seq: cmd.uid ? meta.uid : index + 1,
      date: summary.search.date ?? meta.internalDate,
      subject: summary.envelope.subject,
      messageId: messageIds(summary.envelope.messageId)[0] ?? null,
      references: cmd.algorithm === 'REFERENCES' ? await references(s, meta.uid, summary) : [],
    });
  }
  const roots = cmd.algorithm === 'REFERENCES' ? threadReferences(messages) : threadOrderedSubject(messages);
  s.write(`* THREAD ${formatThreads(roots)}\r\n`);
}
