/**
 * The sizes of every data set, derived from one N and a shape.
 *
 * A shape is a number of keys and a number of versions per key, with about
 * N versions in all, so both shapes store the same amount and differ only in
 * how deep each key's history is:
 *
 * ```
 *   N = 100,000   keys    versions/key   history commits (versions)
 *   shallow       5,000   20             100 of 1,000 writes
 *   deep          1,000   100            100 of 1,000 writes
 *   N = 10,000    shallow 1,000 x 20 (the floor), deep 100 x 100
 *   N = 200       shallow 1,000 x 20 (the unit test: 100 x 20), deep 2 x 100
 * ```
 *
 * The shallow shape keeps at least {@link SCAN_KEYS} keys (W5 scans that
 * many consecutive keys); the deep shape has no floor beyond one key, so a
 * small N stays small (its scans cover all its keys when it has fewer).
 * Commits write distinct keys: 100 writes per timed commit ({@link BATCH}),
 * 1,000 per commit of the untimed history load, fewer when there are fewer
 * keys.
 *
 * Everything is a whole number of commits, so the unit test can run every
 * workload with N = 200 and the full run with N = 100,000 through the same
 * code.
 *
 * @module
 */

import type { ShapeId } from './plan.js';

/** Fixed shape of each entry (the figures). */
export const KEY_BYTES = 16;
export const VALUE_BYTES = 100;
/** Writes per timed commit, and per peer transaction. */
export const BATCH = 100;
/** Keys per W5 scan (so the shallow history holds at least this many keys). */
export const SCAN_KEYS = 1000;
/** Writes per commit when loading a history (untimed, so larger commits only save wall time). */
export const HISTORY_BATCH = 1000;
/** Versions per key of each shape. */
export const DEPTH: Readonly<Record<ShapeId, number>> = Object.freeze({ shallow: 20, deep: 100 });

/** Sizes of one shape's data sets. */
export interface Sizes {
  readonly shape: ShapeId;
  /** Operations of W1-W4 (writes or gets), a multiple of {@link BATCH}. */
  readonly n: number;
  /** Keys of the shape: the history's keys, and the keys W2 and W7 update. */
  readonly keys: number;
  /** Versions per key of the history (W1, W3-W6) and, at most, of W2's keys. */
  readonly depth: number;
  /** Entries of the history: keys x depth. */
  readonly historyEntries: number;
  /** Writes per commit of the history (distinct keys). */
  readonly historyBatch: number;
  /** Versions the history spans: 1..historyVersions (one commit each). */
  readonly historyVersions: number;
  /** Writes per timed commit of W2/W7 (distinct keys): 100, or the keys if fewer. */
  readonly updateBatch: number;
  /** Keys per W5 scan, and scans per W5 run. */
  readonly scanKeys: number;
  readonly scans: number;
}

/**
 * Sizes of `shape` for a given N (at least one commit; whole commits only).
 * `scanKeys` (1,000 as the issue says) is smaller only in the unit test.
 */
export function sizesFor(requested: number, shape: ShapeId, scanKeys: number = SCAN_KEYS): Sizes {
  const n = Math.max(BATCH, Math.ceil(requested / BATCH) * BATCH);
  const depth = DEPTH[shape];
  const keys = shape === 'shallow' ? shallowKeys(n, scanKeys) : deepKeys(n);
  const historyEntries = keys * depth;
  const historyBatch = Math.min(HISTORY_BATCH, keys);
  const width = Math.min(scanKeys, keys);
  return Object.freeze({
    shape,
    n,
    keys,
    depth,
    historyEntries,
    historyBatch,
    historyVersions: historyEntries / historyBatch,
    updateBatch: Math.min(BATCH, keys),
    scanKeys: width,
    scans: Math.max(1, Math.round(n / width)),
  });
}

/** N/20 keys, at least `scanKeys`, in whole commits. */
function shallowKeys(n: number, scanKeys: number): number {
  return wholeCommits(Math.max(Math.ceil(scanKeys / BATCH) * BATCH, n / DEPTH.shallow));
}

/** N/100 keys in whole commits, at least one. */
function deepKeys(n: number): number {
  return wholeCommits(n / DEPTH.deep);
}

/**
 * Round `keys` down so that commits of distinct keys divide them evenly:
 * a multiple of 1,000 (history commits) from 1,000 on, of 100 (timed
 * commits) from 100 on, else any whole number (at least one).
 */
function wholeCommits(keys: number): number {
  for (const unit of [HISTORY_BATCH, BATCH]) {
    if (keys >= unit) return Math.floor(keys / unit) * unit;
  }
  return Math.max(1, Math.floor(keys));
}
