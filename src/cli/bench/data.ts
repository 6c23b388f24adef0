/**
 * Deterministic benchmark data: every byte derives from a seed.
 *
 * Each child process regenerates the data its workload needs from the seed,
 * so the implementations of a group see exactly the same keys, values,
 * versions and read positions without shipping data between processes.
 * Each data set draws from its own stream (seed mixed with a tag), so a
 * workload's data does not depend on which other data sets were generated.
 *
 * ```
 *   history  the shape's keys x versions, round-robin in commits of 1,000 (untimed):
 *            what W1 inserts beside, and what W3-W6 read or drop
 *   insert   N new keys, commit c = writes 100c..100c+99 at version first + c
 *   update   N writes over the shape's keys (at most N), round-robin in commits of 100
 * ```
 *
 * Keys are 16 random bytes (update keys start with a fixed byte, the prefix
 * of W7's retention table), values 100 random bytes; each is its own array,
 * as a caller would pass them.
 *
 * @module
 */

import { SeededRandom } from '../../common/random.js';
import { BATCH, KEY_BYTES, type Sizes, VALUE_BYTES } from './sizes.js';

/** `count` fresh arrays of `size` random bytes. */
function arrays(random: SeededRandom, count: number, size: number): Uint8Array[] {
  return Array.from({ length: count }, () => random.bytes(size));
}

/** The first byte of every update key: the prefix of W7's retention table. */
export const UPDATE_PREFIX = 0x72;

/** One commit's worth of writes: distinct keys and their values, at one version. */
export interface WriteBatch {
  readonly version: number;
  readonly keys: readonly Uint8Array[];
  readonly values: readonly Uint8Array[];
}

/** Writes grouped in commits, and the distinct keys they touch. */
export interface WriteData {
  readonly keys: readonly Uint8Array[];
  readonly batches: readonly WriteBatch[];
}

/** Stream tags, one per data set. */
const STREAM = Object.freeze({
  insert: 1,
  update: 2,
  history: 3,
  latest: 4,
  historical: 5,
  scans: 6,
});

/** W1: N new keys, each written once, the first commit at `firstVersion`. */
export function insertData(sizes: Sizes, seed: number, firstVersion: number): WriteData {
  const random = new SeededRandom(seed, STREAM.insert);
  const keys = arrays(random, sizes.n, KEY_BYTES);
  return roundRobin(keys, arrays(random, sizes.n, VALUE_BYTES), BATCH, firstVersion);
}

/** W2 and W7: N writes over the shape's keys (at most N of them), round-robin. */
export function updateData(sizes: Sizes, seed: number): WriteData {
  const random = new SeededRandom(seed, STREAM.update);
  const keys = arrays(random, Math.min(sizes.keys, sizes.n), KEY_BYTES);
  for (const key of keys) key[0] = UPDATE_PREFIX;
  return roundRobin(keys, arrays(random, sizes.n, VALUE_BYTES), sizes.updateBatch);
}

/**
 * The shape's history: `depth` writes per key, round-robin in commits of
 * 1,000 writes (fewer with fewer keys). It is loaded untimed, and larger
 * commits load it faster into every implementation.
 */
export function historyData(sizes: Sizes, seed: number): WriteData {
  const random = new SeededRandom(seed, STREAM.history);
  const keys = arrays(random, sizes.keys, KEY_BYTES);
  return roundRobin(keys, arrays(random, sizes.historyEntries, VALUE_BYTES), sizes.historyBatch);
}

/**
 * Commit c writes values `size * c`.. to the next `size` keys (there is a
 * multiple of `size` keys) at version `firstVersion + c`. Each write gets
 * its own copy of its key, as a caller encoding keys per commit would pass
 * them.
 */
function roundRobin(
  keys: Uint8Array[],
  values: Uint8Array[],
  size: number,
  firstVersion = 1,
): WriteData {
  const batches: WriteBatch[] = [];
  for (let start = 0; start < values.length; start += size) {
    const first = start % keys.length;
    batches.push({
      version: start / size + firstVersion,
      keys: keys.slice(first, first + size).map((key) => key.slice()),
      values: values.slice(start, start + size),
    });
  }
  return { keys, batches };
}

/** Point reads: which key, at which version. */
export interface PointReads {
  readonly keys: readonly Uint8Array[];
  readonly versions: Int32Array;
}

/** W3 (`latest`) or W4: N reads of random history keys at the latest or a random version. */
export function pointReads(
  sizes: Sizes,
  seed: number,
  history: WriteData,
  latest: boolean,
): PointReads {
  const random = new SeededRandom(seed, latest ? STREAM.latest : STREAM.historical);
  const keys = new Array<Uint8Array>(sizes.n);
  const versions = new Int32Array(sizes.n);
  for (let i = 0; i < sizes.n; i++) {
    keys[i] = history.keys[random.below(history.keys.length)] as Uint8Array;
    versions[i] = latest ? sizes.historyVersions : 1 + random.below(sizes.historyVersions);
  }
  return { keys, versions };
}

/** One W5 scan: keys in `[start, end)` (`end` undefined: to the last key) at `version`. */
export interface Scan {
  readonly start: Uint8Array;
  readonly end: Uint8Array | undefined;
  readonly version: number;
}

/** W5: scans of 1,000 consecutive history keys (all of them if fewer), each at a random version. */
export function scanPlan(sizes: Sizes, seed: number, history: WriteData): Scan[] {
  const random = new SeededRandom(seed, STREAM.scans);
  const sorted = [...history.keys].sort(Buffer.compare);
  const scans: Scan[] = [];
  for (let i = 0; i < sizes.scans; i++) {
    const first = random.below(sorted.length - sizes.scanKeys + 1);
    const start = sorted[first] as Uint8Array;
    scans.push({
      start,
      end: sorted[first + sizes.scanKeys],
      version: 1 + random.below(sizes.historyVersions),
    });
  }
  return scans;
}

/** W6: the history keys in groups of 100 (one commit of drop deltas, or one peer transaction). */
export function dropGroups(history: WriteData): Uint8Array[][] {
  const groups: Uint8Array[][] = [];
  for (let i = 0; i < history.keys.length; i += BATCH)
    groups.push(history.keys.slice(i, i + BATCH));
  return groups;
}
