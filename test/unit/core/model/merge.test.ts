import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeBucket, type BucketEntry, type BucketParams } from '../../../../core/model/bucket-table.js';
import { mergeKey, type KeyEntry } from '../../../../core/model/key-table.js';
import { mergeMpu, type MpuEntry, type MpuPart } from '../../../../core/model/mpu-table.js';
import { mergeObject, type ObjectEntry, type ObjectVersion, type ObjectVersionState } from '../../../../core/model/object-table.js';
import { mergePerm, type BucketKeyPerm } from '../../../../core/model/permission.js';
import { mergeVersion, type VersionEntry } from '../../../../core/model/version-table.js';
import { encode } from '../../../../core/util/codec.js';

function mergeLaws<T>(name: string, arb: fc.Arbitrary<T>, merge: (a: T, b: T) => T): void {
  const same = (x: T, y: T): void => {
    expect(encode(x).equals(encode(y))).toBe(true);
  };
  describe(name, () => {
    it('is commutative', () => fc.assert(fc.property(arb, arb, (a, b) => void same(merge(a, b), merge(b, a)))));
    it('is associative', () => fc.assert(fc.property(arb, arb, arb, (a, b, c) => void same(merge(merge(a, b), c), merge(a, merge(b, c))))));
    it('is idempotent', () => fc.assert(fc.property(arb, (a) => void same(merge(a, a), a))));
  });
}

// Small ranges so that equal timestamps (the hard case) are frequent.
const ts = fc.bigInt({ min: 0n, max: 4n });
const id = (n: number) => Buffer.alloc(4, n);
const permArb: fc.Arbitrary<BucketKeyPerm> = fc.record({ ts, read: fc.boolean(), write: fc.boolean(), owner: fc.boolean() });
const sortedMap = <V>(arb: fc.Arbitrary<V>, keys: string[]) =>
  fc.uniqueArray(fc.tuple(fc.constantFrom(...keys), arb), { selector: (e) => e[0], maxLength: keys.length }).map((es) => es.sort((x, y) => (x[0] < y[0] ? -1 : 1)));
const lwwMapArb = <V>(arb: fc.Arbitrary<V>, keys: string[]) =>
  fc.uniqueArray(fc.tuple(fc.constantFrom(...keys), ts, arb), { selector: (e) => e[0], maxLength: keys.length }).map((es) => es.sort((x, y) => (x[0] < y[0] ? -1 : 1)));
const lwwArb = <V>(arb: fc.Arbitrary<V>) => fc.record({ ts, value: arb });

mergeLaws('BucketKeyPerm (newer wins, AND on ties)', permArb, mergePerm);

it('BucketKeyPerm: the most restrictive flags win at equal timestamps', () => {
  expect(mergePerm({ ts: 1n, read: true, write: true, owner: false }, { ts: 1n, read: true, write: false, owner: true })).toEqual({ ts: 1n, read: true, write: false, owner: false });
  expect(mergePerm({ ts: 2n, read: true, write: true, owner: true }, { ts: 1n, read: false, write: false, owner: false }).owner).toBe(true);
});

const bucketParamsArb: fc.Arbitrary<BucketParams> = fc.record({
  creationDate: ts,
  authorizedKeys: sortedMap(permArb, ['GKa', 'GKb']),
  aliases: lwwMapArb(fc.boolean(), ['x', 'y']),
  localAliases: lwwMapArb(fc.boolean(), ['GKa/x', 'GKb/y']),
  cors: lwwArb(fc.constantFrom(null, [{ id: null, maxAgeSeconds: 5, allowOrigins: ['*'], allowMethods: ['GET'], allowHeaders: [], exposeHeaders: [] }])),
  website: lwwArb(fc.constantFrom(null, { indexDocument: 'index.html', errorDocument: null })),
  quotas: lwwArb(fc.constantFrom({ maxSize: null, maxObjects: null }, { maxSize: 10n, maxObjects: null })),
  lifecycle: lwwArb(
    fc.constantFrom(null, [
      { id: 'r', enabled: true, filter: { prefix: 'logs/', sizeGreaterThan: null, sizeLessThan: 10 }, expiration: { days: 3 }, abortIncompleteUploadDays: 1 },
    ]),
  ),
});
const bucketArb: fc.Arbitrary<BucketEntry> = fc.oneof(
  bucketParamsArb.map((present) => ({ id: id(1), state: { present } })),
  fc.constant({ id: id(1), state: { deleted: true as const } }),
);
mergeLaws('bucket entry', bucketArb, mergeBucket);

const keyArb: fc.Arbitrary<KeyEntry> = fc.oneof(
  fc
    .record({
      secret: fc.constant('s'.repeat(64)),
      name: lwwArb(fc.constantFrom('a', 'b')),
      allowCreateBucket: lwwArb(fc.boolean()),
      authorizedBuckets: sortedMap(permArb, ['b1', 'b2']),
      localAliases: lwwMapArb(fc.constantFrom(null, 'b1', 'b2'), ['x', 'y']),
    })
    .map((present) => ({ id: 'GKa', state: { present } })),
  fc.constant({ id: 'GKa', state: { deleted: true as const } }),
);
mergeLaws('key entry', keyArb, mergeKey);

/**
 * Object states as replicas really see them: every version has one timestamp and one
 * fate (complete with some data, or aborted), and a replica knows it either as still
 * uploading or with its fate. (A complete version is never aborted later.)
 */
const universe = [
  { uuid: id(1), ts: 1n, fate: { complete: { deleteMarker: true as const } } },
  { uuid: id(2), ts: 2n, fate: { aborted: true as const } },
  { uuid: id(3), ts: 2n, fate: { complete: { inline: { meta: { size: 1, etag: 'e', headers: [], checksum: null }, bytes: Buffer.from('x') } } } },
  { uuid: id(4), ts: 3n, fate: { complete: { firstBlock: { meta: { size: 9, etag: 'f', headers: [['content-type', 't']] as [string, string][], checksum: null }, hash: id(9) } } } },
  { uuid: id(5), ts: 4n, fate: { aborted: true as const } },
];
const objectArb: fc.Arbitrary<ObjectEntry> = fc
  .subarray(universe.map((_, i) => i))
  .chain((indexes) => fc.tuple(...indexes.map(() => fc.boolean())).map((done) => ({ indexes, done })))
  .map(({ indexes, done }) => {
    const versions: ObjectVersion[] = indexes.map((i, j) => {
      const u = universe[i]!;
      const state: ObjectVersionState = done[j] ? u.fate : { uploading: { multipart: i === 2, headers: [], checksumAlgorithm: null } };
      return { uuid: u.uuid, ts: u.ts, state };
    });
    return mergeObject({ bucketId: id(7), key: 'k', versions: [] }, { bucketId: id(7), key: 'k', versions });
  });
mergeLaws('object entry', objectArb, mergeObject);

describe('object merge semantics', () => {
  const v = (n: number, t: bigint, state: ObjectVersionState): ObjectVersion => ({ uuid: id(n), ts: t, state });
  const complete: ObjectVersionState = { complete: { deleteMarker: true } };
  const uploading: ObjectVersionState = { uploading: { multipart: false, headers: [], checksumAlgorithm: null } };
  const obj = (...versions: ObjectVersion[]): ObjectEntry => ({ bucketId: id(7), key: 'k', versions });

  it('drops versions older than the newest complete one, keeps newer uploads', () => {
    const merged = mergeObject(obj(v(1, 1n, complete), v(2, 2n, uploading)), obj(v(3, 3n, complete), v(4, 4n, uploading)));
    expect(merged.versions.map((x) => x.uuid[0])).toEqual([3, 4]);
  });
  it('complete beats uploading, aborted absorbs both', () => {
    expect(mergeObject(obj(v(1, 1n, uploading)), obj(v(1, 1n, complete))).versions[0]!.state).toEqual(complete);
    expect(mergeObject(obj(v(1, 1n, { aborted: true })), obj(v(1, 1n, uploading))).versions[0]!.state).toEqual({ aborted: true });
  });
  it('orders versions by timestamp, then uuid', () => {
    const merged = mergeObject(obj(v(9, 2n, uploading)), obj(v(3, 2n, uploading), v(5, 1n, uploading)));
    expect(merged.versions.map((x) => x.uuid[0])).toEqual([5, 3, 9]);
  });
});

const partArb: fc.Arbitrary<MpuPart> = fc
  .record({ part: fc.integer({ min: 1, max: 2 }), ts, done: fc.boolean() })
  .map(({ part, ts: t, done }) => ({
    part,
    ts: t,
    version: id(part * 10 + Number(t)),
    etag: done ? `e${part}${t}` : null,
    size: done ? part * 100 : null,
    checksum: null,
  }));
const mpuArb: fc.Arbitrary<MpuEntry> = fc
  .record({ ts, deleted: fc.boolean(), parts: fc.array(partArb, { maxLength: 4 }) })
  .map(({ ts: t, deleted, parts }) => mergeMpu({ uploadId: id(3), ts: t, deleted, parts: [], bucketId: id(7), key: 'k' }, { uploadId: id(3), ts: t, deleted, parts, bucketId: id(7), key: 'k' }));
mergeLaws('multipart upload entry', mpuArb, mergeMpu);

const versionArb: fc.Arbitrary<VersionEntry> = fc
  .record({
    deleted: fc.boolean(),
    blocks: fc.uniqueArray(fc.record({ part: fc.integer({ min: 0, max: 2 }), offset: fc.constantFrom(0, 1024) }), { selector: (b) => `${b.part}/${b.offset}`, maxLength: 4 }),
  })
  .map(({ deleted, blocks }) => {
    const sorted = blocks.sort((a, b) => a.part - b.part || a.offset - b.offset).map((b) => ({ ...b, hash: id(b.part + b.offset), size: 1024 }));
    return { uuid: id(5), deleted, blocks: deleted ? [] : sorted, backlink: { object: { bucketId: id(7), key: 'k' } } };
  });
mergeLaws('version entry', versionArb, mergeVersion);
