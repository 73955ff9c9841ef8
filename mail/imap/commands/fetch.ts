/**
 * FETCH and UID FETCH (RFC 3501 §6.4.5, RFC 9051), with BINARY (RFC 3516),
 * CONDSTORE's MODSEQ and CHANGEDSINCE, QRESYNC's VANISHED modifier (RFC 7162
 * §3.2.6) and PREVIEW (RFC 8970).
 *
 * Flags, UID, INTERNALDATE, RFC822.SIZE and MODSEQ come from the mailbox snapshot;
 * ENVELOPE, BODYSTRUCTURE, PREVIEW from the stored summary; only body sections read
 * message bytes, and only the range they need. Messages go in batches, each written
 * out (with back-pressure) before the next is loaded.
 */
import type { MessageMeta } from '../backend.js';
import { no } from '../errors.js';
import { renderBody, renderBodyStructure } from '../format/bodystructure.js';
import { renderEnvelope } from '../format/envelope.js';
import { FetchResponse, responseName } from '../format/fetch.js';
import { dateTime, flagList, quotedOrLiteral, utf8Octets } from '../format/response.js';
import { binarySection, bodySection, type MessageSource } from '../fetch/sections.js';
import type { CommandName, CommandOf, FetchAtt } from '../protocol/ast.js';
import type { MessageSummary } from '../../mailbox/summary/types.js';
import type { Done, Session } from '../session/session.js';
import { vanishedEarlier } from './vanished.js';

type Cmd<N extends CommandName> = CommandOf<N>;

const BATCH = 200;
/** Messages whose bodies are read at the same time. */
const PARALLEL = 8;

const FROM_META = new Set<FetchAtt['kind']>(['FLAGS', 'UID', 'INTERNALDATE', 'RFC822.SIZE', 'MODSEQ']);

function setsSeen(att: FetchAtt): boolean {
  return ((att.kind === 'BODY[]' || att.kind === 'BINARY[]') && !att.peek) || att.kind === 'RFC822' || att.kind === 'RFC822.TEXT';
}

/** The message is gone from storage (expunged by someone else): skip it. */
class Gone extends Error {}

interface Plan {
  items: FetchAtt[];
  uid: boolean;
  modseq: boolean;
  utf8: boolean;
}

async function render(s: Session, plan: Plan, seq: number, meta: MessageMeta, summary: MessageSummary | undefined, seenChanged: boolean): Promise<Array<string | Buffer>> {
  const mailbox = s.selected!.mailbox;
  const r = new FetchResponse(seq);
  const src: MessageSource | null =
    summary === undefined
      ? null
      : {
          summary,
          read: async (start, end) => {
            const bytes = await mailbox.read(meta.uid, start, end);
            if (bytes === undefined) throw new Gone();
            return bytes;
          },
        };
  const kinds = new Set(plan.items.map((a) => a.kind));
  if (plan.uid && !kinds.has('UID')) r.item('UID', String(meta.uid));
  for (const att of plan.items) {
    switch (att.kind) {
      case 'FLAGS':
        r.item('FLAGS', flagList(meta.flags));
        break;
      case 'UID':
        r.item('UID', String(meta.uid));
        break;
      case 'INTERNALDATE':
        r.item('INTERNALDATE', dateTime(meta.internalDate));
        break;
      case 'RFC822.SIZE':
        r.item('RFC822.SIZE', String(meta.size));
        break;
      case 'MODSEQ':
        r.item('MODSEQ', `(${meta.modseq})`);
        break;
      case 'ENVELOPE':
        r.item('ENVELOPE', renderEnvelope(summary!.envelope).toString('latin1'));
        break;
      case 'BODYSTRUCTURE':
        r.item('BODYSTRUCTURE', renderBodyStructure(summary!.body).toString('latin1'));
        break;
      case 'BODY':
        r.item('BODY', renderBody(summary!.body).toString('latin1'));
        break;
      case 'PREVIEW':
        r.item('PREVIEW', quotedOrLiteral(utf8Octets(summary!.preview), plan.utf8));
        break;
      case 'RFC822':
        r.literal('RFC822', await bodySection(src!, { path: [], text: null, fields: [] }, null));
        break;
      case 'RFC822.HEADER':
        r.literal('RFC822.HEADER', await bodySection(src!, { path: [], text: 'HEADER', fields: [] }, null));
        break;
      case 'RFC822.TEXT':
        r.literal('RFC822.TEXT', await bodySection(src!, { path: [], text: 'TEXT', fields: [] }, null));
        break;
      case 'BODY[]':
        r.literal(responseName(att), await bodySection(src!, att.section, att.partial));
        break;
      case 'BINARY[]': {
        const data = await binarySection(src!, att.path, att.partial);
        if (data === 'unknown-cte') throw no(`Cannot decode part ${att.path.join('.')}`, 'UNKNOWN-CTE');
        r.literal(responseName(att), data?.bytes ?? null, data?.binary ?? false);
        break;
      }
      case 'BINARY.SIZE': {
        const data = await binarySection(src!, att.path, null);
        if (data === 'unknown-cte') throw no(`Cannot decode part ${att.path.join('.')}`, 'UNKNOWN-CTE');
        r.item(responseName(att), String(data?.bytes.length ?? 0));
        break;
      }
    }
  }
  if (seenChanged && !kinds.has('FLAGS')) r.item('FLAGS', flagList(meta.flags));
  if (plan.modseq && !kinds.has('MODSEQ')) r.item('MODSEQ', `(${meta.modseq})`);
  return r.finish();
}

export async function fetch(s: Session, cmd: Cmd<'FETCH'>): Promise<Done> {
  const sel = s.selected!;
  const kinds = new Set(cmd.items.map((a) => a.kind));
  if (cmd.changedSince !== null || kinds.has('MODSEQ')) s.condstoreUsed = true;
  let indices = sel.resolve(cmd.set, cmd.uid);
  if (cmd.vanished && cmd.set.kind === 'ranges') await vanishedEarlier(s, cmd.set.ranges, cmd.changedSince!);
  if (cmd.changedSince !== null) indices = indices.filter((i) => sel.meta(i).modseq > cmd.changedSince!);

  let seenChanged = new Set<number>();
  if (!sel.readOnly && cmd.items.some(setsSeen)) {
    const unseen = indices.map((i) => sel.meta(i)).filter((m) => !m.flags.includes('\\Seen')).map((m) => m.uid);
    if (unseen.length > 0) {
      await sel.mailbox.store(unseen, 'add', ['\\Seen']);
      await sel.refresh(false);
      sel.absorb(unseen);
      seenChanged = new Set(unseen);
    }
  }

  const plan: Plan = {
    items: cmd.items,
    uid: cmd.uid,
    // With CONDSTORE on, flags go with their modseq (RFC 7162 §3.1.4).
    modseq: cmd.changedSince !== null || (s.condstore && kinds.has('FLAGS')),
    utf8: s.utf8,
  };
  const needSummary = cmd.items.some((a) => !FROM_META.has(a.kind));
  let gone = 0;
  for (let b = 0; b < indices.length; b += BATCH) {
    const batch = indices.slice(b, b + BATCH);
    const metas = batch.map((i) => sel.meta(i));
    const summaries = needSummary ? await sel.mailbox.summaries(metas.map((m) => m.uid)) : null;
    for (let p = 0; p < batch.length; p += PARALLEL) {
      const group = batch.slice(p, p + PARALLEL).map((index, k) => {
        const meta = metas[p + k]!;
        const summary = summaries?.[p + k];
        if (needSummary && summary === undefined) return Promise.resolve(null);
        return render(s, plan, index + 1, meta, summary, seenChanged.has(meta.uid)).catch((e: unknown) => {
          if (e instanceof Gone) return null;
          throw e;
        });
      });
      for (const chunks of await Promise.all(group)) {
        if (chunks === null) {
          gone++;
          continue;
        }
        for (const c of chunks) s.write(c);
      }
    }
    await s.flush();
  }
  // RFC 9051 §7.4.1: by sequence number the client must learn that its numbers are stale;
  // by UID the EXPUNGE/VANISHED that follow this command say it.
  if (gone > 0 && !cmd.uid) throw no('Some messages were expunged meanwhile', 'EXPUNGEISSUED');
  return {};
}
