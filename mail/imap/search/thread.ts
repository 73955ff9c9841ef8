/**
 * THREAD (RFC 5256 §2.2-2.3, §4): ORDEREDSUBJECT groups by base subject;
 * REFERENCES links messages by Message-ID / References / In-Reply-To (the JWZ
 * algorithm as the RFC states it), prunes empty containers, merges roots that share
 * a base subject, and sorts siblings by sent date.
 */
import { baseSubject, isReplySubject } from './sort.js';

export interface Threadable {
  seq: number;
  /** Sent date (Date header, else INTERNALDATE), ms. */
  date: number;
  subject: string | null;
  messageId: string | null;
  /** References, oldest first, then In-Reply-To's id when there is no References. */
  references: string[];
}

interface Node {
  msg: Threadable | null;
  parent: Node | null;
  children: Node[];
}

const MSG_ID = /<[^<>\s]+>/g;

/** Message ids in a header value ("<a@b> <c@d>"). */
export function messageIds(value: string | null): string[] {
  return value === null ? [] : (value.match(MSG_ID) ?? []);
}

function date(n: Node): number {
  if (n.msg !== null) return n.msg.date;
  return Math.min(...n.children.map(date));
}

function firstSeq(n: Node): number {
  if (n.msg !== null) return n.msg.seq;
  return Math.min(...n.children.map(firstSeq));
}

function bySentDate(a: Node, b: Node): number {
  return date(a) - date(b) || firstSeq(a) - firstSeq(b);
}

function sortTree(nodes: Node[]): void {
  nodes.sort(bySentDate);
  for (const n of nodes) sortTree(n.children);
}

function isAncestor(maybe: Node, of: Node): boolean {
  for (let p: Node | null = of; p !== null; p = p.parent) if (p === maybe) return true;
  return false;
}

function link(parent: Node, child: Node): void {
  if (child.parent === parent || isAncestor(child, parent)) return;
  if (child.parent !== null) child.parent.children = child.parent.children.filter((c) => c !== child);
  child.parent = parent;
  parent.children.push(child);
}

/** Step 4 of REFERENCES: remove empty containers, promoting their children. */
function prune(nodes: Node[], root: boolean): Node[] {
  const out: Node[] = [];
  for (const n of nodes) {
    n.children = prune(n.children, false);
    for (const c of n.children) c.parent = n;
    if (n.msg !== null) out.push(n);
    else if (n.children.length === 0) continue;
    else if (!root || n.children.length === 1) {
      for (const c of n.children) c.parent = null;
      out.push(...n.children);
    } else out.push(n);
  }
  return out;
}

export function threadReferences(messages: Threadable[]): Node[] {
  const byId = new Map<string, Node>();
  const container = (id: string): Node => {
    let n = byId.get(id);
    if (n === undefined) byId.set(id, (n = { msg: null, parent: null, children: [] }));
    return n;
  };
  const all: Node[] = [];
  for (const m of messages) {
    // A missing or duplicate Message-ID gets a container of its own.
    let self: Node;
    if (m.messageId !== null && byId.get(m.messageId)?.msg == null) {
      self = container(m.messageId);
      self.msg = m;
    } else {
      self = { msg: m, parent: null, children: [] };
    }
    all.push(self);
    let prev: Node | null = null;
    for (const ref of m.references) {
      const n = container(ref);
      if (prev !== null && n.parent === null) link(prev, n);
      prev = n;
    }
    if (prev !== null && prev !== self) link(prev, self);
    else if (prev === null && self.parent !== null) {
      self.parent.children = self.parent.children.filter((c) => c !== self);
      self.parent = null;
    }
  }
  const roots = new Set<Node>();
  for (const n of [...byId.values(), ...all]) {
    let r = n;
    while (r.parent !== null) r = r.parent;
    roots.add(r);
  }
  let top = prune([...roots], true);
  top = groupBySubject(top);
  sortTree(top);
  return top;
}

function subjectOf(n: Node): string | null {
  if (n.msg !== null) return n.msg.subject;
  const first = [...n.children].sort(bySentDate)[0];
  return first === undefined ? null : subjectOf(first);
}

/** Step 5: roots with the same base subject are merged (a reply goes under the original). */
function groupBySubject(roots: Node[]): Node[] {
  const bySubject = new Map<string, Node>();
  const out: Node[] = [];
  for (const r of [...roots].sort(bySentDate)) {
    const raw = subjectOf(r);
    const subject = baseSubject(raw);
    const first = subject === '' ? undefined : bySubject.get(subject);
    if (first === undefined) {
      if (subject !== '') bySubject.set(subject, r);
      out.push(r);
      continue;
    }
    if (first.msg === null && r.msg === null) {
      for (const c of r.children) link(first, c);
    } else if (first.msg === null) {
      link(first, r);
    } else if (isReplySubject(raw) && !isReplySubject(first.msg.subject)) {
      link(first, r);
    } else {
      // Siblings under a new empty container.
      const dummy: Node = { msg: null, parent: null, children: [] };
      out[out.indexOf(first)] = dummy;
      link(dummy, first);
      link(dummy, r);
      bySubject.set(subject, dummy);
    }
  }
  return out;
}

export function threadOrderedSubject(messages: Threadable[]): Node[] {
  const groups = new Map<string, Node>();
  const out: Node[] = [];
  const sorted = [...messages].sort((a, b) => a.date - b.date || a.seq - b.seq);
  for (const m of sorted) {
    const subject = baseSubject(m.subject);
    const root = groups.get(subject);
    const node: Node = { msg: m, parent: null, children: [] };
    if (root === undefined) {
      groups.set(subject, node);
      out.push(node);
    } else {
      node.parent = root;
      root.children.push(node);
    }
  }
  return out;
}

function members(n: Node): string {
  const parts: string[] = [];
  let cur = n;
  for (;;) {
    if (cur.msg !== null) parts.push(String(cur.msg.seq));
    if (cur.children.length === 1) {
      cur = cur.children[0]!;
      continue;
    }
    if (cur.children.length > 1) parts.push(cur.children.map((c) => `(${members(c)})`).join(''));
    return parts.join(' ');
  }
}

/** "(1 2)(3 (4)(5))" for the THREAD response; numbers are what `seq` holds (sequence numbers or UIDs). */
export function formatThreads(roots: Node[]): string {
  return roots.map((r) => `(${members(r)})`).join('');
}
