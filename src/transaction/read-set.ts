/**
 * What a transaction read: keys, and key ranges kept merged.
 *
 * A serializable transaction must fail if a newer commit wrote anything it
 * read: a key it got, or any key inside a range it scanned (a key that
 * appeared there is a phantom). Ranges are kept sorted and merged, so the set
 * stays small however many overlapping scans a transaction makes, and asking
 * "is this written key inside something I read" is a binary search:
 *
 * ```
 *   scans:   [b, d)   [c, f)   [k, m]   (x, ∞)
 *   kept:    [b,      f)       [k, m]   (x, ∞)     sorted by start, disjoint
 *   covers("e")  -> search the last range starting at or before "e": [b, f) -> yes
 *   covers("h")  -> [b, f) ends before "h" -> no
 * ```
 *
 * A scan of every key sets one flag instead (any written key is then covered).
 *
 * @module
 */

import {
  compareStarts,
  endReachesStart,
  inRange,
  isEmptyRange,
  type KeyId,
  type KeyRange,
  laterEnd,
} from './keys.js';

/** The keys and ranges one transaction read. */
export class ReadSet {
  readonly #keys = new Set<KeyId>();
  /** Disjoint, not touching, sorted by start. */
  #ranges: KeyRange[] = [];
  #everything = false;

  /** Remember that `key` was read. */
  addKey(key: KeyId): void {
    this.#keys.add(key);
  }

  /** Remember that every key of `range` was read (merged with the ranges already read). */
  addRange(range: KeyRange): void {
    if (this.#everything || isEmptyRange(range)) return;
    if (range.start.kind === 'unbounded' && range.end.kind === 'unbounded') {
      this.#everything = true;
      this.#ranges = [];
      return;
    }
    this.#ranges = mergeInto(this.#ranges, range);
  }

  /** True when `key` was read, directly or inside a range. */
  covers(key: KeyId): boolean {
    return this.#everything || this.#keys.has(key) || this.#inSomeRange(key);
  }

  /** True when `key` was read directly (with `get`/`contains`). */
  hasKey(key: KeyId): boolean {
    return this.#keys.has(key);
  }

  /** True when `key` lies inside a range read (or everything was read). */
  inRanges(key: KeyId): boolean {
    return this.#everything || this.#inSomeRange(key);
  }

  /** True when nothing was read. */
  get empty(): boolean {
    return !this.#everything && this.#keys.size === 0 && this.#ranges.length === 0;
  }

  /** True when a range of every key was read. */
  get everything(): boolean {
    return this.#everything;
  }

  /** The keys read directly. */
  get keys(): ReadonlySet<KeyId> {
    return this.#keys;
  }

  /** The merged ranges read, sorted (empty when {@link everything}). */
  get ranges(): readonly KeyRange[] {
    return this.#ranges;
  }

  #inSomeRange(key: KeyId): boolean {
    const ranges = this.#ranges;
    // The last range whose start is at or before the key is the only candidate.
    let low = 0;
    let high = ranges.length - 1;
    let candidate = -1;
    const point: KeyRange['start'] = { kind: 'included', key };
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (compareStarts((ranges[middle] as KeyRange).start, point) <= 0) {
        candidate = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return candidate >= 0 && inRange(key, ranges[candidate] as KeyRange);
  }
}

/** `ranges` (sorted, disjoint) with `range` merged in, as a new array. */
function mergeInto(ranges: readonly KeyRange[], range: KeyRange): KeyRange[] {
  const merged: KeyRange[] = [];
  let current = range;
  let placed = false;
  for (const existing of ranges) {
    if (placed) {
      merged.push(existing);
    } else if (!endReachesStart(existing.end, current.start)) {
      merged.push(existing); // entirely before the new range
    } else if (!endReachesStart(current.end, existing.start)) {
      merged.push(current, existing); // entirely after it: the new range goes here
      placed = true;
    } else {
      const start =
        compareStarts(existing.start, current.start) <= 0 ? existing.start : current.start;
      current = { start, end: laterEnd(existing.end, current.end) };
    }
  }
  if (!placed) merged.push(current);
  return merged;
}
