import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tree } from '../db/index.js';
import type { DataDirConfig } from '../util/config.js';
import { DataDirError } from '../util/errors.js';

/** The file that identifies a data directory (the disk mounted there). */
export const MARKER_FILE = 'aerogramme-marker';

interface Marker {
  /** Random, chosen when the directory was first used. */
  id: string;
  /** Where it was first used (for messages). */
  path: string;
}

function readMarker(dir: string): Marker | undefined {
  const file = join(dir, MARKER_FILE);
  if (!existsSync(file)) return undefined;
  let marker: Partial<Marker>;
  try {
    marker = JSON.parse(readFileSync(file, 'utf8')) as Partial<Marker>;
  } catch (err) {
    throw new DataDirError(`${file} is not a marker aerogramme wrote (${(err as Error).message})`);
  }
  if (typeof marker.id !== 'string' || typeof marker.path !== 'string') throw new DataDirError(`${file} is not a marker aerogramme wrote`);
  return { id: marker.id, path: marker.path };
}

/**
 * Checks every data directory against the markers this node recorded (`known`: path →
 * marker id, in the metadata database), so that blocks are never written to, or looked
 * for on, the wrong disk:
 *  - a recorded directory without its marker is a disk that is not mounted;
 *  - a marker recorded for another path is a disk mounted in the wrong place.
 * A writable directory seen for the first time gets a marker; the pairs to record are returned.
 */
export function checkDataDirs(dirs: readonly DataDirConfig[], known: Tree): [path: string, id: string][] {
  const recorded = new Map<string, string>();
  for (const { key, value } of known.range()) recorded.set(key.toString('utf8'), value.toString('utf8'));
  const fresh: [string, string][] = [];
  for (const { path, readOnly } of dirs) {
    const marker = readMarker(path);
    const expected = recorded.get(path);
    if (marker === undefined) {
      if (expected !== undefined) {
        throw new DataDirError(`data directory ${path} has no ${MARKER_FILE} file any more: is its disk mounted? (start again once it is)`);
      }
      // Nothing is ever written to a read-only directory (it may be mounted read-only).
      if (readOnly) continue;
      mkdirSync(path, { recursive: true });
      const created: Marker = { id: randomBytes(16).toString('hex'), path };
      writeFileSync(join(path, MARKER_FILE), `${JSON.stringify(created)}\n`, { flag: 'wx' });
      fresh.push([path, created.id]);
      continue;
    }
    const owner = [...recorded].find(([, id]) => id === marker.id)?.[0];
    if ((expected !== undefined && expected !== marker.id) || (owner !== undefined && owner !== path)) {
      throw new DataDirError(
        `data directory ${path} holds the disk first used as ${owner ?? marker.path}: a disk is mounted in the wrong place (fix the mounts or data_dir)`,
      );
    }
    if (expected === undefined) fresh.push([path, marker.id]);
  }
  return fresh;
}
