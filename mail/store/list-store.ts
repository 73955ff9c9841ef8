/**
 * The mailbox list row: read (merging the sibling values concurrent writers left),
 * changed by a pure function, written back with the token of what was read, so the
 * siblings it merged collapse into one value.
 */
import type { K2vEntry } from '../../core/client/index.js';
import type { Logger } from '../../core/util/log.js';
import { Clock, type Timestamp } from '../bayou/timestamp.js';
import { open, seal } from '../crypto/envelope.js';
import { DecryptionError } from '../crypto/errors.js';
import { derivedId } from '../mailbox/ids.js';
import { LIST_PK, LIST_SK, listAd } from '../mailbox/layout.js';
import type { Clocked } from '../mailbox/mailbox-list-ops.js';
import { defaultList } from '../mailbox/mailbox-list-ops.js';
import { decodeList, EMPTY_LIST, encodeList, mergeLists, type MailboxListState } from '../mailbox/mailbox-list.js';
import type { UserStorage } from './storage.js';

export interface ListRead {
  state: MailboxListState;
  /** Absent when the row does not exist. */
  token: string | undefined;
  /** Values merged: more than one means concurrent writers left siblings. */
  siblings: number;
}

/** The newest timestamp in the list, so a change is ordered after everything it overrides. */
function newestTs(s: MailboxListState): string {
  let max = '';
  for (const r of s.mailboxes.values()) for (const t of [r.name.ts, r.created, r.deleted ?? '', r.specialUse.ts]) if (t > max) max = t;
  for (const l of s.subscriptions.values()) if (l.ts > max) max = l.ts;
  return max;
}

export class ListStore {
  private readonly clock: Clock;

  constructor(
    private readonly storage: UserStorage,
    private readonly userId: string,
    private readonly key: Uint8Array,
    private readonly now: () => number,
    private readonly log?: Logger,
  ) {
    this.clock = new Clock(now);
  }

  private merge(entry: K2vEntry | null): ListRead {
    if (entry === null) return { state: EMPTY_LIST, token: undefined, siblings: 0 };
    let state = EMPTY_LIST;
    let opened = 0;
    for (const value of entry.values) {
      if (value === null) continue;
      try {
        state = mergeLists(state, decodeList(open(this.key, value, listAd(this.userId))));
        opened++;
      } catch (err) {
        if (!(err instanceof DecryptionError || err instanceof TypeError)) throw err;
        // One unreadable sibling must not hide the others: it is dropped at the next write.
        this.log?.error({ err }, 'skipping a mailbox list value that does not open');
      }
    }
    if (opened === 0 && entry.values.some((v) => v !== null)) throw new DecryptionError('the mailbox list does not open');
    return { state, token: entry.token, siblings: entry.values.length };
  }

  async read(): Promise<ListRead> {
    return this.merge(await this.storage.k2v.read(LIST_PK, LIST_SK));
  }

  /** Applies `change` to the merged list and writes the result; resolves once durable. */
  async update(change: (state: MailboxListState, clock: Clocked) => MailboxListState): Promise<MailboxListState> {
    const current = await this.read();
    const next = change(current.state, { ts: this.clock.next(newestTs(current.state) as Timestamp), now: Math.floor(this.now() / 1000) });
    if (next !== current.state || current.siblings > 1) await this.write(next, current.token);
    return next;
  }

  private async write(state: MailboxListState, token: string | undefined): Promise<void> {
    await this.storage.k2v.insert(LIST_PK, LIST_SK, seal(this.key, encodeList(state), listAd(this.userId)), token);
  }

  /**
   * Creates the account's default mailboxes if the list does not exist yet. Ids derive
   * from the key, so sessions provisioning at once agree (their values merge into one).
   */
  async provision(): Promise<ListRead> {
    const current = await this.read();
    if (current.token !== undefined) return current;
    await this.write(defaultList((name) => derivedId(this.key, `default-mailbox/${name}`)), undefined);
    return this.read();
  }
}
