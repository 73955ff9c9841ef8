/**
 * This node's clock for K2V dots: a persisted, strictly increasing u64 (Garage's
 * k2v_local_timestamp). It starts from wall-clock milliseconds so that times stay
 * comparable with Garage's and keep increasing if the tree were ever lost.
 */
import type { Db, Tree } from '../../db/index.js';
import { nextTimestamp } from '../../util/time.js';

const KEY = Buffer.from('timestamp');

export class DotClock {
  private readonly tree: Tree;

  constructor(db: Db) {
    this.tree = db.tree('k2v:local_timestamp');
  }

  /** The least time the next dot may take: after every dot this node issued. Inside a transaction. */
  floor(): bigint {
    return nextTimestamp(this.tree.get(KEY)?.readBigUInt64BE(0));
  }

  /** Records a dot's time, in the transaction that writes it. */
  record(time: bigint): void {
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64BE(time);
    this.tree.put(KEY, bytes);
  }
}
