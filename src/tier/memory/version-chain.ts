/**
 * Every stored version of one key, kept in ascending version order.
 *
 * Two parallel arrays, sorted by version:
 *
 * ```
 *   versions  [ 1,    4,     9   ]
 *   values    [ "x",  (ts),  "y" ]     (ts) = tombstone = undefined
 * ```
 *
 * except for a key written once (every key of an insert), which holds its
 * one version and value in two fields and no array: two one-slot arrays
 * cost two objects (about 110 bytes) per key and a third of the
 * allocations of a new key. Its second version moves both into arrays, for
 * good (a chain trimmed back to one version keeps them: a retention table
 * would otherwise allocate them again at every write).
 *
 * Values are kept as binary strings (one char per byte, see
 * `bytesToBinaryString`): copying bytes into a one-byte string is a cheap
 * allocation on the JavaScript heap, where a `Uint8Array` copy costs an
 * off-heap buffer each, which made copies and GC the bulk of a write. Reads
 * turn them back into fresh `Uint8Array`s the caller owns.
 *
 * Writes nearly always arrive in version order, so `put` appends in O(1) and
 * only an out-of-order version pays a binary search plus a splice. Erasing
 * versions is one compacting pass, O(versions of the key) however many go
 * (a splice per erased version would be O(erased x versions): 100,000 of
 * 200,000 versions took tens of seconds). It moves the survivors down and
 * shortens the arrays rather than splicing the oldest versions off their
 * front: V8 trims such a splice in place, and a retention table's chains
 * (keep 1, 150,000 commits) kept about three times the heap. A trim in
 * the commit (`trimOldest`, keep the N highest) is the same move with no
 * search: an inline version is never trimmed (N is at least 1). Reads at
 * the newest version (the common case) check the last slot first; any other
 * read is a binary search, O(log versions), so a key with 100,000 versions
 * answers in ~17 probes.
 *
 * @module
 */

import { binaryStringToBytes, bytesToBinaryString } from '../../common/bytes.js';
import type { TierEntry, VersionEntry, VersionSize } from '../tier.js';

/**
 * Index of the highest version `<= version` in ascending `versions`, or -1
 * when every version is higher. O(1) when the newest version qualifies, else
 * a binary search.
 */
export function floorIndex(versions: readonly number[], version: number): number {
  let high = versions.length - 1;
  if (high < 0 || (versions[high] as number) <= version) return high;
  let low = 0;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if ((versions[middle] as number) <= version) low = middle + 1;
    else high = middle - 1;
  }
  return high;
}

/** True when `list` never goes down (duplicates allowed). */
function isAscending(list: readonly number[]): boolean {
  for (let at = 1; at < list.length; at++) {
    if ((list[at] as number) < (list[at - 1] as number)) return false;
  }
  return true;
}

/** Bytes the caller owns, as a plain Uint8Array (never a Buffer). */
function ownedBytes(value: string | undefined): Uint8Array | undefined {
  return value === undefined ? undefined : binaryStringToBytes(value);
}

/** The stored value of `bytes`: its binary string, or undefined for a tombstone. */
function storedValue(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : bytesToBinaryString(bytes);
}

/** The versions of one key. */
export class VersionChain {
  /** The key's index string (see key-string.ts); it holds the key's bytes too. */
  readonly id: string;
  // A key written once holds its version inline (`#versions` undefined): the
  // second version moves both into the two arrays, for good.
  #single: number;
  #singleValue: string | undefined;
  #versions: number[] | undefined;
  #values: (string | undefined)[] | undefined;

  /** A chain holding one version (a chain is never empty while its table holds it). */
  constructor(id: string, version: number, value: Uint8Array | undefined) {
    this.id = id;
    this.#single = version;
    this.#singleValue = storedValue(value);
    this.#versions = undefined;
    this.#values = undefined;
  }

  /** The key's bytes, as a new array the caller owns. */
  get key(): Uint8Array {
    return binaryStringToBytes(this.id);
  }

  /** Number of stored versions. */
  get size(): number {
    return this.#versions === undefined ? 1 : this.#versions.length;
  }

  /**
   * Store `value` (undefined: tombstone) at `version`, replacing that version
   * if present; true when the version is new to the chain.
   */
  put(version: number, bytes: Uint8Array | undefined): boolean {
    const value = storedValue(bytes);
    if (this.#versions === undefined && this.#single === version) {
      this.#singleValue = value;
      return false;
    }
    const versions = this.#arrays();
    const values = this.#values as (string | undefined)[];
    const at = floorIndex(versions, version);
    if (at >= 0 && versions[at] === version) {
      values[at] = value;
      return false;
    }
    if (at === versions.length - 1) {
      versions.push(version);
      values.push(value);
    } else {
      versions.splice(at + 1, 0, version);
      values.splice(at + 1, 0, value);
    }
    return true;
  }

  /** The versions as an array, moving an inline version into the two arrays first. */
  #arrays(): number[] {
    if (this.#versions !== undefined) return this.#versions;
    this.#versions = [this.#single];
    this.#values = [this.#singleValue];
    this.#singleValue = undefined;
    return this.#versions;
  }

  /**
   * Erase every stored version listed in `erase` (any order; others are
   * ignored), keeping the survivors in order: O(versions of the key), plus a
   * sort when `erase` is not ascending. Returns the versions it erased,
   * ascending.
   */
  removeAll(erase: readonly number[]): number[] {
    const sorted = isAscending(erase) ? erase : erase.slice().sort((a, b) => a - b);
    const versions = this.#arrays();
    // The erased run at the start of the chain.
    let next = 0; // the next candidate of `sorted`
    let at = 0;
    for (; at < versions.length; at++) {
      const version = versions[at] as number;
      while (next < sorted.length && (sorted[next] as number) < version) next++;
      if (next >= sorted.length || sorted[next] !== version) break;
    }
    return this.#removeScattered(sorted, next, at);
  }

  /**
   * `removeAll` past an erased run of `run` versions (the usual erasure, the
   * oldest versions, is all run): one compacting pass from `run` on,
   * `sorted[next]` the first candidate not yet passed.
   */
  #removeScattered(sorted: readonly number[], next: number, run: number): number[] {
    const versions = this.#versions as number[];
    const values = this.#values as (string | undefined)[];
    const erased = versions.slice(0, run);
    let kept = 0;
    for (let at = run; at < versions.length; at++) {
      const version = versions[at] as number;
      while (next < sorted.length && (sorted[next] as number) < version) next++;
      if (next < sorted.length && sorted[next] === version) {
        erased.push(version);
        continue;
      }
      versions[kept] = version;
      values[kept] = values[at];
      kept++;
    }
    versions.length = kept;
    values.length = kept;
    return erased;
  }

  /** Index of the newest version at or below `version`, or -1 (see `floorIndex`). */
  #floor(version: number): number {
    if (this.#versions === undefined) return this.#single <= version ? 0 : -1;
    return floorIndex(this.#versions, version);
  }

  /** Index of exactly `version`, or -1. */
  #indexOf(version: number): number {
    const at = this.#floor(version);
    return at >= 0 && this.#versionAt(at) === version ? at : -1;
  }

  #versionAt(at: number): number {
    return this.#versions === undefined ? this.#single : (this.#versions[at] as number);
  }

  #valueAt(at: number): string | undefined {
    return this.#values === undefined ? this.#singleValue : this.#values[at];
  }

  /**
   * Erase every version but the `keep` highest (the oldest ones, the head of
   * the arrays), moving the kept ones down; returns their sizes, ascending.
   * Nothing when the chain holds `keep` versions or fewer, which is always
   * the case of an inline version (`keep` is at least 1 for a trim; a `keep`
   * of 0 empties the chain as `removeAll` would). A chain trimmed to one
   * version keeps its arrays, as after `removeAll`.
   */
  trimOldest(keep: number): VersionSize[] {
    const count = this.size - keep;
    if (count <= 0) return [];
    const versions = this.#arrays();
    const values = this.#values as (string | undefined)[];
    const erased: VersionSize[] = [];
    for (let at = 0; at < count; at++) erased.push(this.#sizeAt(at));
    // Move the kept ones down in place: no splice, no new array.
    for (let at = 0; at < keep; at++) {
      versions[at] = versions[count + at] as number;
      values[at] = values[count + at];
    }
    // `pop` rather than setting `length`, which V8 handles far slower.
    for (let at = 0; at < count; at++) {
      versions.pop();
      values.pop();
    }
    return erased;
  }

  /** How many stored versions are below `below` (the oldest ones): O(log versions). */
  countBelow(below: number): number {
    return this.#floor(below - 1) + 1;
  }

  /** The version at index `at` (0: the oldest). */
  versionAt(at: number): number {
    return this.#versionAt(at);
  }

  /** The value size of the version at index `at` (`undefined`: a tombstone). */
  valueBytesAt(at: number): number | undefined {
    return this.#valueAt(at)?.length;
  }

  /**
   * Erase the `count` oldest versions (at most `size`), moving the others
   * down as `trimOldest` does; returns the erased versions, ascending.
   */
  removeOldest(count: number): number[] {
    const versions = this.#arrays();
    const values = this.#values as (string | undefined)[];
    const erased = versions.slice(0, count);
    const keep = versions.length - count;
    for (let at = 0; at < keep; at++) {
      versions[at] = versions[count + at] as number;
      values[at] = values[count + at];
    }
    // Setting `length`, as `removeAll` does: it gives the spare capacity back
    // (popping keeps it, and a retention table's chains then held three
    // times the heap over 150,000 commits: reliability/lifecycle).
    versions.length = keep;
    values.length = keep;
    return erased;
  }

  /** Every stored version, newest first, in a fresh array. */
  versionsNewestFirst(): number[] {
    const size = this.size;
    const list = new Array<number>(size);
    for (let at = 0; at < size; at++) list[at] = this.#versionAt(size - 1 - at);
    return list;
  }

  /** The oldest stored version (a chain is never empty while its table holds it). */
  get oldest(): number {
    return this.#versionAt(0);
  }

  /**
   * The newest entry at or below `version`, key and value copied for the
   * caller. A point read passes the key it looked the chain up with (the
   * same bytes): copying that array is cheaper than decoding `id`.
   */
  visible(version: number, key?: Uint8Array): TierEntry | undefined {
    const at = this.#floor(version);
    if (at < 0) return undefined;
    const value = ownedBytes(this.#valueAt(at));
    const copy = key === undefined ? this.key : new Uint8Array(key);
    return { key: copy, version: this.#versionAt(at), value };
  }

  /** The entry stored at exactly `version`, key and value copied for the caller, if any. */
  at(version: number): TierEntry | undefined {
    const at = this.#indexOf(version);
    if (at < 0) return undefined;
    return { key: this.key, version, value: ownedBytes(this.#valueAt(at)) };
  }

  /** True when exactly `version` is stored. */
  has(version: number): boolean {
    return this.#indexOf(version) >= 0;
  }

  /** The newest version's size, if any. */
  newestSize(): VersionSize | undefined {
    const at = this.size - 1;
    return at < 0 ? undefined : this.#sizeAt(at);
  }

  /** The size of exactly `version`, if stored. */
  sizeOf(version: number): VersionSize | undefined {
    const at = this.#indexOf(version);
    return at < 0 ? undefined : this.#sizeAt(at);
  }

  /** Every version's size, newest first (nothing copied). */
  sizes(): VersionSize[] {
    const list: VersionSize[] = [];
    for (let at = this.size - 1; at >= 0; at--) list.push(this.#sizeAt(at));
    return list;
  }

  #sizeAt(at: number): VersionSize {
    return { version: this.#versionAt(at), valueBytes: this.#valueAt(at)?.length };
  }

  /** Every version, newest first, copied for the caller. */
  allVersions(): VersionEntry[] {
    const list: VersionEntry[] = [];
    for (let at = this.size - 1; at >= 0; at--) {
      list.push({ version: this.#versionAt(at), value: ownedBytes(this.#valueAt(at)) });
    }
    return list;
  }
}
