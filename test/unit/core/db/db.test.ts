import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Db } from '../../../../core/db/index.js';

describe('Db', () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aero-db-'));
    db = Db.open({ path: dir, fsync: true });
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses writes outside a transaction', () => {
    expect(() => db.tree('t').put(Buffer.from('k'), Buffer.from('v'))).toThrow(/outside a transaction/);
  });

  it('commits several trees atomically and reads its own writes', async () => {
    const a = db.tree('a');
    const b = db.tree('b');
    const seen = await db.transaction(() => {
      a.put(Buffer.from('k'), Buffer.from('1'));
      b.put(Buffer.from('k'), Buffer.from('2'));
      return a.get(Buffer.from('k'))?.toString();
    });
    expect(seen).toBe('1');
    expect(b.get(Buffer.from('k'))?.toString()).toBe('2');
  });

  it('rolls back every write when the transaction throws', async () => {
    const a = db.tree('a');
    await expect(
      db.transaction(() => {
        a.put(Buffer.from('k'), Buffer.from('1'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(a.get(Buffer.from('k'))).toBeUndefined();
  });

  it('ranges in byte order, forward and reverse, with limit', async () => {
    const t = db.tree('r');
    const keys = [[0x00], [0x01, 0xff], [0x02], [0xc3, 0xa9], [0xff]].map((k) => Buffer.from(k));
    await db.transaction(() => keys.forEach((k) => t.put(k, k)));
    const fwd = [...t.range({ start: Buffer.from([0x01]), end: Buffer.from([0xff]) })].map((e) => e.key.toString('hex'));
    expect(fwd).toEqual(['01ff', '02', 'c3a9']);
    const rev = [...t.range({ reverse: true, limit: 2 })].map((e) => e.key.toString('hex'));
    expect(rev).toEqual(['ff', 'c3a9']);
    expect(t.count()).toBe(5);
  });

  it('keeps committed data across a reopen', async () => {
    await db.transaction(() => db.tree('p').put(Buffer.from('k'), Buffer.from('kept')));
    await db.close();
    db = Db.open({ path: dir, fsync: true });
    expect(db.tree('p').get(Buffer.from('k'))?.toString()).toBe('kept');
  });
});
