/** Reading and writing one log's rows and objects (no policy here: see bayou.ts). */
import type { K2vItemEntry } from '../../core/client/index.js';
import { DecryptionError } from '../crypto/errors.js';
import { LogError } from './errors.js';
import type { LogEntry } from './history.js';
import { checkpointKey, checkpointPrefix, logPk, OPS_END, spillKey, spillPrefix } from './layout.js';
import { openCheckpoint, openOpRow, openSpilledOp, sealCheckpoint, sealOp, type CheckpointPayload, type OpSealer } from './seal.js';
import { isTimestamp, type Timestamp } from './timestamp.js';
import type { LogContext, LogSpec } from './types.js';

/** An op row as listed: its timestamp and sealed value (decoded only when needed). */
export interface OpRow {
  ts: Timestamp;
  value: Uint8Array;
}

export class LogStorage<S, Op> implements OpSealer {
  readonly userId: string;
  readonly kind: string;
  readonly key: Uint8Array;

  constructor(
    private readonly ctx: LogContext,
    private readonly spec: LogSpec<S, Op>,
    readonly logId: string,
    private readonly pageSize: number,
  ) {
    this.userId = ctx.userId;
    this.kind = spec.kind;
    this.key = ctx.key;
  }

  get pk(): string {
    return logPk(this.logId);
  }

  /** Op rows with a timestamp after `after`, in order (paginated reads). */
  async readOps(after: Timestamp): Promise<OpRow[]> {
    const rows: OpRow[] = [];
    let start: string | undefined = after;
    while (start !== undefined) {
      const [page] = await this.ctx.k2v.readBatch([{ pk: this.pk, start, end: OPS_END, limit: this.pageSize }]);
      for (const item of page!.items) {
        const row = opRow(item);
        if (row !== undefined && row.ts > after) rows.push(row);
      }
      start = page!.more && page!.nextStart !== null ? page!.nextStart : undefined;
    }
    return rows;
  }

  /** Decodes rows into entries; an op that does not open or decode becomes a no-op (null), logged. */
  async decode(rows: readonly OpRow[]): Promise<LogEntry<Op | null>[]> {
    return Promise.all(
      rows.map(async ({ ts, value }) => {
        try {
          let bytes = openOpRow(this, ts, value);
          if (bytes === 'spilled') {
            const blob = await this.ctx.blobs.get(spillKey(this.logId, ts));
            if (blob === null) throw new LogError('LogCorrupt', `the object holding op ${ts} is missing`);
            bytes = openSpilledOp(this, ts, blob.body);
          }
          return { ts, op: this.spec.decodeOp(bytes) };
        } catch (err) {
          if (!(err instanceof DecryptionError || err instanceof LogError || err instanceof TypeError || err instanceof RangeError)) throw err;
          this.ctx.log?.error({ err, log: this.logId, ts }, 'skipping an op that does not open or decode');
          return { ts, op: null };
        }
      }),
    );
  }

  async listCheckpoints(): Promise<Timestamp[]> {
    const prefix = checkpointPrefix(this.logId);
    const names: Timestamp[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.ctx.blobs.list(prefix, continuationToken !== undefined ? { continuationToken } : {});
      for (const { key } of page.items) {
        const name = key.slice(prefix.length);
        if (isTimestamp(name)) names.push(name);
      }
      continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
    return names.sort();
  }

  /** The checkpoint, or null when it is gone (deleted by a concurrent garbage collection). */
  async loadCheckpoint(ts: Timestamp): Promise<CheckpointPayload | null> {
    const blob = await this.ctx.blobs.get(checkpointKey(this.logId, ts));
    return blob === null ? null : openCheckpoint(this, ts, blob.body);
  }

  async writeCheckpoint(ts: Timestamp, payload: CheckpointPayload): Promise<void> {
    await this.ctx.blobs.put(checkpointKey(this.logId, ts), sealCheckpoint(this, ts, payload));
  }

  /** Seals an op; a large one is written to S3 here, before its row. */
  async sealForPush(ts: Timestamp, op: Op, spillBytes: number): Promise<Buffer> {
    const sealed = sealOp(this, ts, this.spec.encodeOp(op), spillBytes);
    if (sealed.spill !== undefined) await this.ctx.blobs.put(spillKey(this.logId, ts), sealed.spill);
    return sealed.row;
  }

  async deleteCheckpoints(checkpoints: readonly Timestamp[]): Promise<void> {
    for (const ts of checkpoints) await this.ctx.blobs.delete(checkpointKey(this.logId, ts));
  }

  /** Deletes the checkpoints, then every op before `before` (rows and spilled objects). */
  async collect(checkpoints: readonly Timestamp[], before: Timestamp): Promise<void> {
    await this.deleteCheckpoints(checkpoints);
    await this.ctx.k2v.deleteRange([{ pk: this.pk, end: before }]);
    const prefix = spillPrefix(this.logId);
    let continuationToken: string | undefined;
    do {
      const page = await this.ctx.blobs.list(prefix, continuationToken !== undefined ? { continuationToken } : {});
      for (const { key } of page.items) if (key.slice(prefix.length) < before) await this.ctx.blobs.delete(key);
      continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
  }
}

function opRow(item: K2vItemEntry): OpRow | undefined {
  if (!isTimestamp(item.sk)) return undefined;
  // A row has one writer; a retried write may leave equal siblings: any one will do.
  const value = item.values.find((v): v is Uint8Array => v !== null);
  return value === undefined ? undefined : { ts: item.sk, value };
}
