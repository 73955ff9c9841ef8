import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mergeLww, type Lww } from '../../../../core/crdt/index.js';
import { Db } from '../../../../core/db/index.js';
import { Table, type TableSchema } from '../../../../core/table/index.js';

interface Item {
  pk: string;
  sk: string;
  v: Lww<string>;
}

describe('Table', () => {
  let dir: string;
  let db: Db;
  let table: Table<Item>;
  let counts: Table<{ pk: string; n: number }>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aero-table-'));
    db = Db.open({ path: dir, fsync: false });
    counts = new Table(db, {
      name: 'counts',
      partitionKey: (e) => Buffer.from(e.pk),
      sortKey: () => Buffer.alloc(0),
      merge: (_a, b) => b,
    });
    const schema: TableSchema<Item> = {
      name: 'items',
      partitionKey: (e) => Buffer.from(e.pk),
      sortKey: (e) => Buffer.from(e.sk),
      merge: (a, b) => ({ ...a, v: mergeLww(a.v, b.v) }),
      // A cascade into another table, in the same transaction.
      updated: (old, merged) => {
        if (old === undefined) {
          const n = counts.getLocal(Buffer.from(merged.pk), Buffer.alloc(0))?.n ?? 0;
          counts.applyInTransaction({ pk: merged.pk, n: n + 1 });
        }
      },
    };
    table = new Table(db, schema);
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const item = (pk: string, sk: string, ts: bigint, value: string): Item => ({ pk, sk, v: { ts, value } });

  it('merges on write: an older write does not replace a newer one', async () => {
    await table.insert(item('p', 'a', 5n, 'new'));
    const merged = await table.insert(item('p', 'a', 3n, 'old'));
    expect(merged.v.value).toBe('new');
    expect((await table.get(Buffer.from('p'), Buffer.from('a')))?.v.value).toBe('new');
  });

  it('runs the updated hook in the same transaction', async () => {
    await table.insertMany([item('p', 'a', 1n, 'x'), item('p', 'b', 1n, 'y'), item('q', 'a', 1n, 'z')]);
    await table.insert(item('p', 'a', 2n, 'x2'));
    expect(counts.getLocal(Buffer.from('p'), Buffer.alloc(0))?.n).toBe(2);
    expect(counts.getLocal(Buffer.from('q'), Buffer.alloc(0))?.n).toBe(1);
  });

  it('reads ranges of one partition key in byte order with prefix, bounds, limit, reverse and filter', async () => {
    const sks = ['a', 'ab', 'abc', 'b', 'ba', 'c', 'é'];
    await table.insertMany(sks.map((sk) => item('p', sk, 1n, sk)));
    await table.insert(item('other', 'ab', 1n, 'elsewhere'));
    const sortKeys = (es: Item[]) => es.map((e) => e.sk);
    const pk = Buffer.from('p');
    expect(sortKeys(await table.getRange(pk))).toEqual(sks);
    expect(sortKeys(await table.getRange(pk, { prefix: Buffer.from('a') }))).toEqual(['a', 'ab', 'abc']);
    expect(sortKeys(await table.getRange(pk, { start: Buffer.from('ab'), end: Buffer.from('c') }))).toEqual(['ab', 'abc', 'b', 'ba']);
    expect(sortKeys(await table.getRange(pk, { start: Buffer.from('b'), limit: 2 }))).toEqual(['b', 'ba']);
    expect(sortKeys(await table.getRange(pk, { reverse: true, limit: 3 }))).toEqual(['é', 'c', 'ba']);
    expect(sortKeys(await table.getRange(pk, { reverse: true, start: Buffer.from('b'), end: Buffer.from('a') }))).toEqual(['b', 'abc', 'ab']);
    expect(sortKeys(await table.getRange(pk, { reverse: true, prefix: Buffer.from('a') }))).toEqual(['abc', 'ab', 'a']);
    expect(sortKeys(await table.getRange(pk, { filter: (e) => e.sk.length === 2 }))).toEqual(['ab', 'ba']);
  });

  it('puts an item in the partition given by the first byte of its hashed partition key', () => {
    const p = Table.partitionOf(Buffer.from('p'));
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThan(256);
  });
});
