/**
 * Where a log lives (DESIGN.md §4 storage keys):
 *   K2V log/<id> / <hex ts>   one op (a batch)
 *   K2V log/<id> / watch      random bytes, rewritten after each push
 *   S3  checkpoint/<id>/<ts>  the state after every op up to and including <ts>
 *   S3  log/<id>/<ts>         an op too large for a K2V value (its row points here)
 */
import type { Timestamp } from './timestamp.js';

export const WATCH_SK = 'watch';
/** Sort keys of ops are hex digits: every one sorts before this, `watch` after it. */
export const OPS_END = 'g';

export const logPk = (logId: string): string => `log/${logId}`;
export const checkpointPrefix = (logId: string): string => `checkpoint/${logId}/`;
export const checkpointKey = (logId: string, ts: Timestamp): string => `${checkpointPrefix(logId)}${ts}`;
export const spillPrefix = (logId: string): string => `log/${logId}/`;
export const spillKey = (logId: string, ts: Timestamp): string => `${spillPrefix(logId)}${ts}`;
