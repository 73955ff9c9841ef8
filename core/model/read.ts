import type { BlockManager } from '../block/index.js';
import type { BlockCache } from './block-cache.js';

/** Blocks fetched ahead of the one being sent. */
const READ_AHEAD = 3;

/** A stored block at its byte position in the object. */
export interface PlacedBlock {
  hash: Buffer;
  part: number;
  start: number;
  size: number;
}

/** Where an object's bytes are: inline, or in blocks (ordered by part, then offset). */
export type DataLayout = { inline: Buffer } | { blocks: PlacedBlock[] };

/** Byte range [start, end) of each part of a multipart object, by part number. */
export function partRanges(layout: DataLayout, size: number): Map<number, { start: number; end: number }> {
  const parts = new Map<number, { start: number; end: number }>();
  if ('inline' in layout) return parts.set(1, { start: 0, end: size });
  for (const b of layout.blocks) {
    const r = parts.get(b.part);
    if (r) r.end = b.start + b.size;
    else parts.set(b.part, { start: b.start, end: b.start + b.size });
  }
  return parts;
}

/** A piece of an object's bytes; `whole` when it is exactly the stored block `block`. */
export interface Piece {
  data: Buffer;
  block: PlacedBlock | undefined;
  whole: boolean;
}

/**
 * The bytes [start, end) of an object, block by block, fetching a few blocks ahead;
 * each block is verified once, by the block manager. The consumer's pace (awaiting
 * each yield) is the back-pressure: at most READ_AHEAD blocks are held.
 */
export async function* readPieces(blocks: BlockManager, cache: BlockCache, layout: DataLayout, start: number, end: number): AsyncGenerator<Piece> {
  if (end <= start) return;
  if ('inline' in layout) {
    yield { data: layout.inline.subarray(start, end), block: undefined, whole: false };
    return;
  }
  const wanted = layout.blocks.filter((b) => b.start + b.size > start && b.start < end);
  const queue: Promise<Buffer>[] = [];
  let next = 0;
  const fill = () => {
    while (queue.length < READ_AHEAD && next < wanted.length) {
      const b = wanted[next++]!;
      const cached = cache.get(b.hash);
      const p = cached
        ? Promise.resolve(cached)
        : blocks.get(b.hash, b.size).then((data) => {
            cache.add(b.hash, data);
            return data;
          });
      p.catch(() => undefined); // awaited in order below; handled meanwhile if the reader stops early
      queue.push(p);
    }
  };
  for (const block of wanted) {
    fill();
    const data = await queue.shift()!;
    const from = Math.max(0, start - block.start);
    const to = Math.min(block.size, end - block.start);
    const whole = from === 0 && to === data.length;
    yield { data: whole ? data : data.subarray(from, to), block, whole };
  }
}

export async function* readRange(blocks: BlockManager, cache: BlockCache, layout: DataLayout, start: number, end: number): AsyncGenerator<Buffer> {
  for await (const piece of readPieces(blocks, cache, layout, start, end)) yield piece.data;
}
