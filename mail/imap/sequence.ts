/**
 * Sequence sets (RFC 3501 §9 sequence-set, RFC 5182 "$"): parsed form, resolution
 * against a mailbox view, and the compact text form of a set of numbers.
 */

/** '*' is the largest number in use. */
export type SeqNumber = number | '*';

export interface SeqRange {
  from: SeqNumber;
  to: SeqNumber;
}

/** A list of ranges, or "$": the result of the last SEARCH ... RETURN (SAVE). */
export type SequenceSet = { kind: 'ranges'; ranges: SeqRange[] } | { kind: 'saved' };

/** Sorted, distinct numbers in a "1:3,5" set; `max` stands for '*'. Ranges are unordered (5:2 = 2:5). */
export function expandRanges(ranges: readonly SeqRange[], max: number): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const r of ranges) {
    const a = r.from === '*' ? max : r.from;
    const b = r.to === '*' ? max : r.to;
    spans.push(a <= b ? [a, b] : [b, a]);
  }
  spans.sort((x, y) => x[0] - y[0]);
  const merged: Array<[number, number]> = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last !== undefined && s[0] <= last[1] + 1) last[1] = Math.max(last[1], s[1]);
    else merged.push([s[0], s[1]]);
  }
  return merged;
}

/** Ascending numbers seen through an accessor (the UIDs of a list of messages, without copying them out). */
export interface SortedNumbers {
  readonly length: number;
  at(i: number): number;
}

/** First index i with at(i) >= value. */
export function lowerBound(list: SortedNumbers, value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list.at(mid) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Indices (0-based, ascending) of the sorted UIDs that a UID set designates. */
export function uidIndices(ranges: readonly SeqRange[], uids: SortedNumbers): number[] {
  if (uids.length === 0) return [];
  const out: number[] = [];
  for (const [a, b] of expandRanges(ranges, uids.at(uids.length - 1))) {
    for (let i = lowerBound(uids, a); i < uids.length && uids.at(i) <= b; i++) out.push(i);
  }
  return out;
}

/** Indices (0-based, ascending) that a message-sequence-number set designates in a mailbox of `count` messages. */
export function seqIndices(ranges: readonly SeqRange[], count: number): number[] {
  const out: number[] = [];
  if (count === 0) return out;
  for (const [a, b] of expandRanges(ranges, count)) {
    for (let n = Math.max(a, 1); n <= Math.min(b, count); n++) out.push(n - 1);
  }
  return out;
}

/**
 * Whether a sequence set names a number above `count` (RFC 3501: BAD). Ranges with
 * "*" are let through: "1:*" on an empty mailbox must work (Gmail and Outlook apps).
 */
export function seqOutOfRange(ranges: readonly SeqRange[], count: number): boolean {
  return ranges.some((r) => r.from !== '*' && r.to !== '*' && Math.max(r.from, r.to) > count);
}

/** "1:3,5,7:8" for ascending distinct numbers; "" for none. */
export function compactSet(sorted: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
