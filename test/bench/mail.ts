/**
 * Mail benchmark (plain Node, no vitest): through the library API, on one in-process
 * node with durable writes (fsync) and the embedded storage port —
 *   - append 10,000 messages of mixed sizes (log-uniform, 2 KiB to 1 MiB by default),
 *     with several APPENDs in flight as several IMAP clients would have,
 *   - open the mailbox cold (a new MailStore: checkpoint + ops since),
 *   - fetch every summary, then search a header (SUBJECT) and HEADER Message-ID,
 * and prints the rates against the targets (append >= 300 messages/s durable, cold open
 * of 10,000 messages <= 1 s), next to the disk's own fsync'd write rate.
 *
 *   npm run bench:mail            (= npx tsc -p . && node dist/test/bench/mail.js)
 *   MAIL_BENCH_MESSAGES=2000 MAIL_BENCH_MAX_KIB=256 MAIL_BENCH_CONCURRENCY=16 npm run bench:mail
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailStore } from '../../mail/store/index.js';
import { testUser } from '../integration/mail/fixtures.js';
import { startMailNode } from '../integration/mail/harness.js';

const MESSAGES = Number(process.env.MAIL_BENCH_MESSAGES ?? 10_000);
const MIN_BYTES = 2 * 1024;
const MAX_BYTES = Number(process.env.MAIL_BENCH_MAX_KIB ?? 1024) * 1024;
const CONCURRENCY = Number(process.env.MAIL_BENCH_CONCURRENCY ?? 16);
const TARGET_APPEND = 300;
const TARGET_COLD_MS = 1000;
const MiB = 1024 * 1024;

/** A log-uniform size: as many small messages as large ones per size decade, as in real mailboxes. */
function sizeAt(i: number): number {
  const u = ((i * 2654435761) % 2 ** 32) / 2 ** 32;
  return Math.round(MIN_BYTES * (MAX_BYTES / MIN_BYTES) ** u);
}

const filler = randomBytes(MAX_BYTES).toString('base64').replace(/(.{76})/g, '$1\r\n');

function messageOf(i: number): Buffer {
  const header = [
    `From: Sender ${i % 97} <sender${i % 97}@example.org>`,
    `To: Bench <bench@example.net>`,
    `Subject: Benchmark message ${i} about topic ${i % 13}`,
    `Date: ${new Date(Date.UTC(2024, 0, 1) + i * 60_000).toUTCString()}`,
    `Message-ID: <bench-${i}@example.org>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    '',
  ].join('\r\n');
  const size = Math.max(sizeAt(i) - header.length, 10);
  const start = (i * 7919) % Math.max(1, filler.length - size);
  return Buffer.from(header + filler.slice(start, start + size));
}

/** The disk's own rate for comparison: 1 MiB writes, each followed by fsync. */
function diskRate(dir: string): number {
  const path = join(dir, 'fsync-probe');
  const fd = openSync(path, 'w');
  const block = randomBytes(MiB);
  const t0 = performance.now();
  for (let i = 0; i < 64; i++) {
    writeSync(fd, block);
    fsyncSync(fd);
  }
  const s = (performance.now() - t0) / 1000;
  closeSync(fd);
  rmSync(path);
  return 64 / s;
}

async function main(): Promise<void> {
  const probeDir = mkdtempSync(join(tmpdir(), 'aero-mail-bench-'));
  const disk = diskRate(probeDir);
  rmSync(probeDir, { recursive: true, force: true });

  const node = await startMailNode({ port: 'embedded', fsync: process.env.MAIL_BENCH_NO_FSYNC === undefined });
  const user = testUser('bench');
  const storage = await node.storage(user.bucket);
  try {
    // The storage path's own ceiling: durable PUTs of objects of the same sizes, as many in flight.
    const raw = await node.storage('bench-raw-puts');
    const baseCount = Math.min(MESSAGES, 2000);
    const blobs = Array.from({ length: 64 }, (_, i) => randomBytes(sizeAt(i)));
    let put = 0;
    const tb = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (put < baseCount) {
          const i = put++;
          await raw.blobs.put(`raw/${i}`, Buffer.concat([blobs[i % 64]!, randomBytes(16)]));
        }
      }),
    );
    const putRate = baseCount / ((performance.now() - tb) / 1000);

    let store = await MailStore.open(user, storage, { watchIncoming: false });
    let inbox = await store.mailbox('INBOX');

    let bytes = 0;
    let next = 0;
    const elu0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < MESSAGES) {
          const raw = messageOf(next++);
          bytes += raw.length;
          await inbox.append(raw, { flags: next % 3 === 0 ? ['\\Seen'] : [] });
        }
      }),
    );
    const appendS = (performance.now() - t0) / 1000;
    const busy = performance.eventLoopUtilization(elu0).utilization;
    await store.close();

    const t1 = performance.now();
    store = await MailStore.open(user, storage, { watchIncoming: false });
    inbox = await store.mailbox('INBOX');
    const coldMs = performance.now() - t1;
    const log = inbox.logStats();
    const count = inbox.view().index.messages.size;
    if (count !== MESSAGES) throw new Error(`cold open shows ${count} messages, expected ${MESSAGES}`);

    const t2 = performance.now();
    let summaries = 0;
    for await (const [, meta] of inbox.messages.allMetas()) summaries += meta.summary.size > 0 ? 1 : 0;
    const fetchMs = performance.now() - t2;

    const t3 = performance.now();
    const bySubject = await inbox.search({ type: 'header', field: 'subject', text: `message ${MESSAGES - 7} about` });
    const searchMs = performance.now() - t3;
    const t4 = performance.now();
    const byHeader = await inbox.search({ type: 'headerField', name: 'Message-ID', text: `bench-${MESSAGES - 9}@` });
    const headerMs = performance.now() - t4;
    await store.close();

    const rate = MESSAGES / appendS;
    const rows: [string, string, string][] = [
      ['disk, 1 MiB writes + fsync', `${disk.toFixed(0)} MiB/s`, ''],
      [`storage ceiling: ${baseCount} raw PUTs, same sizes, ${CONCURRENCY} in flight`, `${putRate.toFixed(0)} objects/s`, ''],
      [
        `append ${MESSAGES} msgs (${(bytes / MiB).toFixed(0)} MiB, ${(MIN_BYTES / 1024).toFixed(0)} KiB-${(MAX_BYTES / 1024).toFixed(0)} KiB, ${CONCURRENCY} in flight)`,
        `${rate.toFixed(0)} msgs/s, ${(bytes / MiB / appendS).toFixed(0)} MiB/s, main thread ${(busy * 100).toFixed(0)}% busy`,
        `target >= ${TARGET_APPEND}/s: ${rate >= TARGET_APPEND ? 'met' : 'MISSED'}`,
      ],
      [`cold open of ${count} messages (${log.ops} log entries, ${log.sinceCheckpoint} after the checkpoint)`, `${coldMs.toFixed(0)} ms`, `target <= ${TARGET_COLD_MS} ms: ${coldMs <= TARGET_COLD_MS ? 'met' : 'MISSED'}`],
      [`fetch all ${summaries} summaries`, `${fetchMs.toFixed(0)} ms (${((summaries / fetchMs) * 1000).toFixed(0)}/s)`, ''],
      [`search SUBJECT (${bySubject.length} hit)`, `${searchMs.toFixed(0)} ms`, ''],
      [`search HEADER Message-ID (${byHeader.length} hit)`, `${headerMs.toFixed(0)} ms`, ''],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [label, value, note] of rows) console.log(`${label.padEnd(w)}  ${value.padEnd(48)} ${note}`);
  } finally {
    await node.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
