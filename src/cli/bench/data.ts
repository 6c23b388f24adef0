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
 *   counters N increments of 10 distinct random keys per transaction (W9: the shape's
 *            keys, at most N; W10: 50 hot keys)
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
  counters: 7,
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

/** Keys each W9/W10 transaction increments. */
export const INCREMENTS_PER_TRANSACTION = 10;
/** The keys W10's transactions contend for. */
export const HOT_KEYS = 50;

/** W9, W10: transactions of read-modify-writes, each a group of distinct keys. */
export interface CounterData {
  readonly keys: readonly Uint8Array[];
  /** Keys of each transaction, in order (every key a copy, as a caller would pass it). */
  readonly transactions: readonly (readonly Uint8Array[])[];
}

/**
 * N increments: N / 10 transactions of 10 distinct keys drawn at random from
 * the shape's keys (at most N of them) or, `hot`, from {@link HOT_KEYS} keys.
 */
export function counterData(sizes: Sizes, seed: number, hot: boolean): CounterData {
  const random = new SeededRandom(seed, STREAM.counters);
  const keyCount = hot ? HOT_KEYS : Math.min(sizes.keys, sizes.n);
  const keys = arrays(random, Math.max(keyCount, INCREMENTS_PER_TRANSACTION), KEY_BYTES);
  const transactions: Uint8Array[][] = [];
  for (let done = 0; done < sizes.n; done += INCREMENTS_PER_TRANSACTION) {
    const picked = new Set<number>();
    while (picked.size < INCREMENTS_PER_TRANSACTION) picked.add(random.below(keys.length));
    transactions.push([...picked].map((index) => (keys[index] as Uint8Array).slice()));
  }
  return { keys, transactions };
}

/** The counter a W9/W10 value holds: its first four bytes, little-endian (0 for none). */
export function counterOf(value: Uint8Array | undefined): number {
  if (value === undefined || value.length < 4) return 0;
  return (
    ((value[0] as number) |
      ((value[1] as number) << 8) |
      ((value[2] as number) << 16) |
      ((value[3] as number) << 24)) >>>
    0
  );
}

/** A value of {@link VALUE_BYTES} bytes holding `counter` (fresh, as a caller would pass it). */
export function counterValue(counter: number): Uint8Array {
  const value = new Uint8Array(VALUE_BYTES);
  value[0] = counter & 0xff;
  value[1] = (counter >>> 8) & 0xff;
  value[2] = (counter >>> 16) & 0xff;
  value[3] = (counter >>> 24) & 0xff;
  value.fill(counter & 0xff, 4);
  return value;
}
