/**
 * Moving the incoming queue into INBOX, done by any live session of the user: at login
 * (before the session is handed out) and within moments of each delivery (the queue's
 * watch row is long-polled). The body object is copied server-side as it is (sealed
 * with its own key: nothing is re-encrypted), the meta row written, the add pushed to
 * INBOX's log, and only then is the queue entry removed.
 *
 * Two sessions may move the same delivery at once: the INBOX id is derived from the
 * delivery id, so both write the same message and the uid index adds it once.
 * An entry that cannot be opened or read is quarantined (kept aside, with a log line)
 * and never holds up the others; storage errors leave the queue as it is for the next
 * try.
 */
import { encode } from '../../core/util/codec.js';
import type { Logger } from '../../core/util/log.js';
import { WatchRow } from '../bayou/watch.js';
import { seal } from '../crypto/envelope.js';
import { DecryptionError } from '../crypto/errors.js';
import { openBody } from '../crypto/segments.js';
import type { UserKeys } from '../crypto/keys.js';
import { derivedId } from '../mailbox/ids.js';
import { bodyAd, bodyKey, INCOMING_PK, INCOMING_WATCH_SK, incomingKey, QUARANTINE_PK, quarantineAd } from '../mailbox/layout.js';
import { MAX_STORED_HEADER, type MessageMeta } from '../mailbox/message-meta.js';
import { summarize } from '../mailbox/summary/summarize.js';
import { mapLimit } from '../store/limit.js';
import type { UserStorage } from '../store/storage.js';
import { openRecord, type DeliveryRecord } from './record.js';

/** A delivery ready to enter INBOX: its body is already at body/<id>. */
export interface DeliveredMessage {
  id: string;
  meta: MessageMeta;
  /** INTERNALDATE: the delivery time. */
  date: number;
  /** RFC822.SIZE. */
  size: number;
}

/** Where moved mail goes (INBOX, resolved at each move: INBOX may have been renamed away). */
export interface InboxSink {
  /** Adds the messages in one log entry; adding an id twice adds it once. */
  addDelivered(messages: DeliveredMessage[]): Promise<void>;
}

export interface MoverContext {
  storage: UserStorage;
  userId: string;
  keys: UserKeys;
  log?: Logger;
  pollMs: number;
}

const BATCH = 64;
const PARALLEL = 16;

interface Entry {
  id: string;
  box: Uint8Array;
}

interface Opened extends Entry {
  record: DeliveryRecord;
}

/** The INBOX id of a delivery: the same for every session of the user, opaque to storage. */
function inboxIdOf(master: Uint8Array, deliveryId: string): string {
  return derivedId(master, `delivery/${deliveryId}`);
}

function isNoSuchKey(err: unknown): boolean {
  return (err as { code?: unknown }).code === 'NoSuchKey';
}

export class IncomingMover {
  private readonly watch: WatchRow;
  private running: Promise<number> | undefined;
  private again = false;

  constructor(
    private readonly ctx: MoverContext,
    private readonly inbox: () => Promise<InboxSink>,
  ) {
    this.watch = new WatchRow(ctx.storage.k2v, INCOMING_PK, INCOMING_WATCH_SK, ctx.pollMs, ctx.log);
  }

  /** Moves everything queued now; concurrent calls share a run (and one more runs if asked meanwhile). */
  drain(): Promise<number> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let moved = 0;
      do {
        this.again = false;
        moved += await this.drainOnce();
      } while (this.again);
      return moved;
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Moves mail as it arrives, until stop(). */
  start(): void {
    this.watch.start(() => {
      void this.drain().catch((err: unknown) => this.ctx.log?.warn({ err }, 'moving incoming mail failed; will retry at the next delivery'));
    });
  }

  async stop(): Promise<void> {
    this.watch.stop();
    await this.running?.catch(() => undefined);
  }

  private async queued(): Promise<Entry[]> {
    const entries: Entry[] = [];
    let start: string | undefined;
    do {
      const [page] = await this.ctx.storage.k2v.readBatch([{ pk: INCOMING_PK, ...(start !== undefined ? { start } : {}), end: INCOMING_WATCH_SK, limit: 1000 }]);
      for (const item of page!.items) {
        const box = item.values.find((v): v is Uint8Array => v !== null);
        if (box !== undefined) entries.push({ id: item.sk, box });
      }
      start = page!.more && page!.nextStart !== null ? page!.nextStart : undefined;
    } while (start !== undefined);
    return entries;
  }

  private async drainOnce(): Promise<number> {
    const opened: Opened[] = [];
    for (const e of await this.queued()) {
      try {
        opened.push({ ...e, record: openRecord(this.ctx.userId, e.id, this.ctx.keys.keyPair, e.box) });
      } catch (err) {
        if (!(err instanceof DecryptionError || err instanceof TypeError)) throw err;
        await this.quarantine(e, 'the delivery record does not open');
      }
    }
    // UIDs in the order of delivery.
    opened.sort((a, b) => a.record.deliveredAt - b.record.deliveredAt || (a.id < b.id ? -1 : 1));
    let moved = 0;
    for (let i = 0; i < opened.length; i += BATCH) moved += await this.moveBatch(opened.slice(i, i + BATCH));
    return moved;
  }

  private async moveBatch(entries: Opened[]): Promise<number> {
    const ready = (await mapLimit(entries, PARALLEL, (e) => this.prepare(e))).filter((m): m is DeliveredMessage & { delivery: string } => m !== undefined);
    if (ready.length === 0) return 0;
    await (await this.inbox()).addDelivered(ready);
    const done = ready.map((m) => m.delivery);
    await this.ctx.storage.k2v.deleteRange(done.map((id) => ({ pk: INCOMING_PK, start: id, singleItem: true })));
    await mapLimit(done, PARALLEL, (id) => this.ctx.storage.blobs.delete(incomingKey(id)));
    return ready.length;
  }

  /** Copies an entry's body into place; undefined when it was quarantined or moved by another session. */
  private async prepare(e: Opened): Promise<(DeliveredMessage & { delivery: string }) | undefined> {
    const { record } = e;
    const parsed = record.parsed ?? (await this.parse(e, record));
    if (parsed === undefined) return undefined;
    const id = inboxIdOf(this.ctx.keys.master, e.id);
    try {
      await this.ctx.storage.blobs.copy(incomingKey(e.id), bodyKey(id));
    } catch (err) {
      if (!isNoSuchKey(err)) throw err;
      // Gone from the queue too: another session moved it. Else the body was lost.
      if ((await this.ctx.storage.k2v.read(INCOMING_PK, e.id))?.values.some((v) => v !== null) !== true) return undefined;
      return this.quarantine(e, 'the delivered body is missing');
    }
    return { delivery: e.id, id, date: record.deliveredAt, size: parsed.summary.size, meta: { bodyKey: record.bodyKey, bodyId: e.id, ...parsed } };
  }

  /** The summary of a delivery whose record left it out (too large): read from the body. */
  private async parse(e: Entry, record: DeliveryRecord): Promise<DeliveryRecord['parsed']> {
    const blob = await this.ctx.storage.blobs.get(incomingKey(e.id));
    if (blob === null) return this.quarantine(e, 'the delivered body is missing');
    let raw: Buffer;
    try {
      raw = openBody(record.bodyKey, bodyAd(this.ctx.userId, e.id), blob.body);
    } catch (err) {
      if (err instanceof DecryptionError) return this.quarantine(e, 'the delivered body does not open');
      throw err;
    }
    const summary = summarize(raw);
    const header = summary.body.bodyStart <= MAX_STORED_HEADER ? Buffer.from(raw.subarray(0, summary.body.bodyStart)) : null;
    return { header, summary };
  }

  /** Sets an entry aside (its sealed record, sealed again with the reason) and takes it out of the queue. */
  private async quarantine(e: Entry, reason: string): Promise<undefined> {
    const value = seal(this.ctx.keys.master, encode({ v: 1, reason, at: Date.now(), record: Buffer.from(e.box) }), quarantineAd(this.ctx.userId, e.id));
    await this.ctx.storage.k2v.insertBatch([{ pk: QUARANTINE_PK, sk: e.id, value }]);
    await this.ctx.storage.k2v.deleteRange([{ pk: INCOMING_PK, start: e.id, singleItem: true }]);
    this.ctx.log?.warn({ delivery: e.id, reason }, 'quarantined an incoming message that cannot be moved into INBOX');
    return undefined;
  }
}
