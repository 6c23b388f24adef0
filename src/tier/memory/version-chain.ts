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
 * 200,000 versions took tens of seconds). Reads at
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

/** The versions of one key. */
export class VersionChain {
  /** The key's index string (see key-string.ts); it holds the key's bytes too. */
  readonly id: string;
  // Created with their first element, so a key written once holds two
  // one-slot arrays rather than two default-sized ones.
  readonly #versions: number[];
  readonly #values: (string | undefined)[];

  /** A chain holding one version (a chain is never empty). */
  constructor(id: string, version: number, value: Uint8Array | undefined) {
    this.id = id;
    this.#versions = [version];
    this.#values = [value === undefined ? undefined : bytesToBinaryString(value)];
  }

  /** The key's bytes, as a new array the caller owns. */
  get key(): Uint8Array {
    return binaryStringToBytes(this.id);
  }

  /** Number of stored versions. */
  get size(): number {
    return this.#versions.length;
  }

  /**
   * Store `value` (undefined: tombstone) at `version`, replacing that version
   * if present; true when the version is new to the chain.
   */
  put(version: number, bytes: Uint8Array | undefined): boolean {
    const value = bytes === undefined ? undefined : bytesToBinaryString(bytes);
    const at = floorIndex(this.#versions, version);
    if (at >= 0 && this.#versions[at] === version) {
      this.#values[at] = value;
      return false;
    }
    if (at === this.#versions.length - 1) {
      this.#versions.push(version);
      this.#values.push(value);
    } else {
      this.#versions.splice(at + 1, 0, version);
      this.#values.splice(at + 1, 0, value);
    }
    return true;
  }

  /**
   * Erase every stored version listed in `erase` (any order; others are
   * ignored), in one pass that keeps the survivors in order: O(versions of
   * the key), plus a sort when `erase` is not ascending. Returns the versions
   * it erased, ascending.
   */
  removeAll(erase: readonly number[]): number[] {
    const sorted = isAscending(erase) ? erase : erase.slice().sort((a, b) => a - b);
    const versions = this.#versions;
    const values = this.#values;
    const erased: number[] = [];
    let next = 0; // the next candidate of `sorted`
    let kept = 0;
    for (let at = 0; at < versions.length; at++) {
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

  /**
   * Erase every version but the `keep` highest (the oldest ones, the head of
   * the arrays), moving the kept ones down; returns their sizes, ascending. Nothing
   * when the chain holds `keep` versions or fewer.
   */
  trimOldest(keep: number): VersionSize[] {
    const count = this.#versions.length - keep;
    if (count <= 0) return [];
    const erased: VersionSize[] = [];
    for (let at = 0; at < count; at++) erased.push(this.#sizeAt(at));
    // Move the kept ones down in place: no splice, no new array.
    const versions = this.#versions;
    const values = this.#values;
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

  /** The oldest stored version (a chain is never empty). */
  get oldest(): number {
    return this.#versions[0] as number;
  }

  /**
   * The newest entry at or below `version`, key and value copied for the
   * caller. A point read passes the key it looked the chain up with (the
   * same bytes): copying that array is cheaper than decoding `id`.
   */
  visible(version: number, key?: Uint8Array): TierEntry | undefined {
    const at = floorIndex(this.#versions, version);
    if (at < 0) return undefined;
    const value = ownedBytes(this.#values[at]);
    const copy = key === undefined ? this.key : new Uint8Array(key);
    return { key: copy, version: this.#versions[at] as number, value };
  }

  /** The entry stored at exactly `version`, key and value copied for the caller, if any. */
  at(version: number): TierEntry | undefined {
    const at = floorIndex(this.#versions, version);
    if (at < 0 || this.#versions[at] !== version) return undefined;
    return { key: this.key, version, value: ownedBytes(this.#values[at]) };
  }

  /** True when exactly `version` is stored. */
  has(version: number): boolean {
    const at = floorIndex(this.#versions, version);
    return at >= 0 && this.#versions[at] === version;
  }

  /** The newest version's size, if any. */
  newestSize(): VersionSize | undefined {
    const at = this.#versions.length - 1;
    return at < 0 ? undefined : this.#sizeAt(at);
  }

  /** The size of exactly `version`, if stored. */
  sizeOf(version: number): VersionSize | undefined {
    const at = floorIndex(this.#versions, version);
    return at >= 0 && this.#versions[at] === version ? this.#sizeAt(at) : undefined;
  }

  /** Every version's size, newest first (nothing copied). */
  sizes(): VersionSize[] {
    const list: VersionSize[] = [];
    for (let at = this.#versions.length - 1; at >= 0; at--) list.push(this.#sizeAt(at));
    return list;
  }

  #sizeAt(at: number): VersionSize {
    return { version: this.#versions[at] as number, valueBytes: this.#values[at]?.length };
  }

  /** Every version, newest first, copied for the caller. */
  allVersions(): VersionEntry[] {
    const list: VersionEntry[] = [];
    for (let at = this.#versions.length - 1; at >= 0; at--) {
      list.push({ version: this.#versions[at] as number, value: ownedBytes(this.#values[at]) });
    }
    return list;
  }
}
