import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MailboxError } from '../../../../mail/mailbox/errors.js';
import { createMailbox, defaultList, deleteMailbox, markPurged, renameMailbox, setSpecialUse, setSubscribed, unpurged, type Clocked } from '../../../../mail/mailbox/mailbox-list-ops.js';
import { decodeList, EMPTY_LIST, encodeList, findMailbox, liveMailboxes, mergeLists, subscribedNames, type MailboxListState } from '../../../../mail/mailbox/mailbox-list.js';
import { normalizeName } from '../../../../mail/mailbox/names.js';

let counter = 0;
const newId = (): string => (++counter).toString(16).padStart(32, '0');
const at = (n: number, now = 1_700_000_000): Clocked => ({ ts: n.toString(16).padStart(40, '0'), now });
const names = (s: MailboxListState): string[] => liveMailboxes(s).map((m) => m.name);
const base = (): MailboxListState => defaultList((n) => `default-${n}`);

describe('mailbox list operations', () => {
  it('starts an account with INBOX, Sent, Drafts, Trash, Junk and Archive, subscribed, with roles', () => {
    const s = base();
    expect(liveMailboxes(s).map((m) => [m.name, m.specialUse, m.subscribed])).toEqual([
      ['Archive', '\\Archive', true],
      ['Drafts', '\\Drafts', true],
      ['INBOX', null, true],
      ['Junk', '\\Junk', true],
      ['Sent', '\\Sent', true],
      ['Trash', '\\Trash', true],
    ]);
    // Two sessions provisioning at once write the same thing.
    expect(encodeList(mergeLists(base(), base())).equals(encodeList(base()))).toBe(true);
  });

  it('normalises INBOX and refuses bad names', () => {
    expect(normalizeName('inbox/Sub')).toBe('INBOX/Sub');
    for (const bad of ['', 'a//b', '/a', 'a/', 'a*', 'x%', 'tab\there']) expect(() => normalizeName(bad)).toThrow(MailboxError);
  });

  it('creates missing parents, and refuses an existing name', () => {
    const s = createMailbox(base(), 'a/b/c', at(1), newId);
    expect(names(s)).toEqual(expect.arrayContaining(['a', 'a/b', 'a/b/c']));
    expect(() => createMailbox(s, 'a/b', at(2), newId)).toThrow(/already exists/);
  });

  it('renames with children and subscriptions, keeping ids', () => {
    let s = createMailbox(base(), 'a/b', at(1), newId);
    s = setSubscribed(s, 'a/b', true, at(2));
    const ids = [findMailbox(s, 'a')!.id, findMailbox(s, 'a/b')!.id];
    s = renameMailbox(s, 'a', 'x/y', at(3), newId);
    expect([findMailbox(s, 'x/y')!.id, findMailbox(s, 'x/y/b')!.id]).toEqual(ids);
    expect(findMailbox(s, 'x')).toBeDefined();
    expect(findMailbox(s, 'a')).toBeUndefined();
    expect(subscribedNames(s)).toContain('x/y/b');
    expect(subscribedNames(s)).not.toContain('a/b');
    expect(() => renameMailbox(s, 'x', 'x/y/z', at(4), newId)).toThrow(MailboxError);
  });

  it('renaming INBOX moves it and creates a new empty INBOX', () => {
    const s0 = createMailbox(base(), 'INBOX/kept', at(1), newId);
    const inbox = findMailbox(s0, 'INBOX')!;
    const s = renameMailbox(s0, 'INBOX', 'Old', at(2), newId);
    expect(findMailbox(s, 'Old')!.id).toBe(inbox.id);
    expect(findMailbox(s, 'INBOX')!.id).not.toBe(inbox.id);
    expect(findMailbox(s, 'INBOX/kept')).toBeDefined();
  });

  it('gives a re-created name a higher UIDVALIDITY than any it had, conflicts included', () => {
    let s = createMailbox(base(), 'Lists', at(1, 1000), newId);
    const first = findMailbox(s, 'Lists')!;
    s = deleteMailbox(s, 'Lists', at(2, 1000), (m) => m.uidvalidity + 5_000);
    expect(findMailbox(s, 'Lists')).toBeUndefined();
    expect(unpurged(s)).toEqual([first.id]);
    expect(unpurged(markPurged(s, first.id))).toEqual([]);
    s = createMailbox(s, 'Lists', at(3, 1000), newId);
    expect(findMailbox(s, 'Lists')!.uidvalidity).toBeGreaterThan(first.uidvalidity + 5_000);
    // Renaming onto a name used before raises the mailbox's UIDVALIDITY too.
    s = createMailbox(s, 'Other', at(4, 1000), newId);
    s = renameMailbox(s, 'Lists', 'Gone', at(5, 1000), newId);
    s = renameMailbox(s, 'Other', 'Lists', at(6, 1000), newId);
    expect(findMailbox(s, 'Lists')!.uidvalidity).toBeGreaterThan(first.uidvalidity + 5_000);
    expect(() => deleteMailbox(s, 'inbox', at(7), (m) => m.uidvalidity)).toThrow(/INBOX/);
  });

  it('keeps both mailboxes when two devices create one name concurrently', () => {
    const a = createMailbox(base(), 'Shared', at(10), () => 'a'.repeat(32));
    const b = createMailbox(base(), 'Shared', at(11), () => 'b'.repeat(32));
    const merged = mergeLists(a, b);
    expect(names(merged)).toEqual(expect.arrayContaining(['Shared', 'Shared [bbbbbbbb]']));
    expect(findMailbox(merged, 'Shared')!.id).toBe('a'.repeat(32));
  });

  it('a delete wins over a concurrent rename; the later of two renames wins', () => {
    const s = createMailbox(base(), 'M', at(1), () => 'c'.repeat(32));
    const renamed = renameMailbox(s, 'M', 'N', at(3), newId);
    const deleted = deleteMailbox(s, 'M', at(2), (m) => m.uidvalidity);
    expect(names(mergeLists(renamed, deleted))).not.toContain('N');
    const r1 = renameMailbox(s, 'M', 'R1', at(4), newId);
    const r2 = renameMailbox(s, 'M', 'R2', at(5), newId);
    expect(findMailbox(mergeLists(r2, r1), 'R2')!.id).toBe('c'.repeat(32));
  });

  it('round-trips through its encoding', () => {
    let s = createMailbox(base(), 'a/b', at(1), newId);
    s = setSpecialUse(s, 'a', '\\Flagged', at(2));
    s = deleteMailbox(s, 'a/b', at(3), (m) => m.uidvalidity);
    expect(decodeList(encodeList(s))).toEqual(s);
  });
});

describe('mailbox list merge', () => {
  const op = fc.record({ kind: fc.constantFrom('create', 'rename', 'delete', 'subscribe', 'use'), a: fc.constantFrom('x', 'y', 'x/z', 'Sent'), b: fc.constantFrom('x', 'y', 'q', 'x/z/w'), n: fc.nat(50) });
  const replica = fc.array(op, { maxLength: 8 }).map((ops) =>
    ops.reduce((s, o, i) => {
      const c = at(o.n * 100 + i);
      try {
        switch (o.kind) {
          case 'create':
            return createMailbox(s, o.a, c, newId);
          case 'rename':
            return renameMailbox(s, o.a, o.b, c, newId);
          case 'delete':
            return deleteMailbox(s, o.a, c, (m) => m.uidvalidity);
          case 'subscribe':
            return setSubscribed(s, o.b, o.n % 2 === 0, c);
          default:
            return setSpecialUse(s, o.a, o.n % 2 === 0 ? '\\Archive' : null, c);
        }
      } catch (err) {
        if (err instanceof MailboxError) return s;
        throw err;
      }
    }, base()),
  );
  const same = (x: MailboxListState, y: MailboxListState): void => {
    expect(liveMailboxes(x)).toEqual(liveMailboxes(y));
    expect(decodeList(encodeList(x))).toEqual(decodeList(encodeList(y)));
  };
  const sorted = (s: MailboxListState): MailboxListState => decodeList(encodeList({ mailboxes: new Map([...s.mailboxes].sort()), subscriptions: new Map([...s.subscriptions].sort()), floors: new Map([...s.floors].sort()) }));

  it('is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(replica, replica, replica, (a, b, c) => {
        same(sorted(mergeLists(a, b)), sorted(mergeLists(b, a)));
        same(sorted(mergeLists(mergeLists(a, b), c)), sorted(mergeLists(a, mergeLists(b, c))));
        same(sorted(mergeLists(a, a)), sorted(a));
        same(sorted(mergeLists(EMPTY_LIST, a)), sorted(a));
      }),
    );
  });
});
