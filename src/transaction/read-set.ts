/**
 * What a transaction read: keys, and key ranges kept merged.
 *
 * A serializable transaction must fail if a newer commit wrote anything it
 * read: a key it got, or any key inside a range it scanned (a key that
 * appeared there is a phantom). Ranges are kept sorted and merged (in a B+
 * tree ordered by start), so the set stays small however many overlapping
 * scans a transaction makes, adding a scan costs O(log n) however many
 * disjoint ones it made before (each kept range is merged away at most once),
 * and asking "is this written key inside something I read" is one search:
 *
 * ```
 *   scans:   [b, d)   [c, f)   [k, m]   (x, ∞)
 *   kept:    [b,      f)       [k, m]   (x, ∞)     sorted by start, disjoint
 *   add [d, l)   -> the last range starting at or before d, [b, f), reaches d:
                   it and the ranges after it that start before l merge: [b, m]
   covers("e")  -> search the last range starting at or before "e": [b, f) -> yes
 *   covers("h")  -> [b, f) ends before "h" -> no
 * ```
 *
 * A scan of every key sets one flag instead (any written key is then covered).
 * A range written as a whole (a range drop, see conflicts.ts) is met the same
 * way: {@link ReadSet.firstOverlap} looks at two neighbours of its start.
 *
 * @module
 */

import BTreeModule from 'sorted-btree';
import {
  compareStarts,
  endReachesStart,
  inRange,
  isEmptyRange,
  type KeyBound,
  type KeyId,
  type KeyRange,
  laterEnd,
  overlap,
} from './keys.js';

const BTree = BTreeModule.default;
type BTree<K, V> = InstanceType<typeof BTreeModule.default<K, V>>;

/** The keys and ranges one transaction read. */
export class ReadSet {
  readonly #keys = new Set<KeyId>();
  /** Disjoint, not touching, by start. */
  #ranges: BTree<KeyBound, KeyRange> = new BTree(undefined, compareStarts);
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
      this.#ranges = new BTree(undefined, compareStarts);
      return;
    }
    this.#merge(range);
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

  /**
   * The keys `range` shares with the first range read that it meets (all of
   * `range` when everything was read); `undefined` when it meets none. One
   * search: only the last range read starting at or before `range`, and the
   * first one starting after it, can meet it (the ones read are disjoint).
   */
  firstOverlap(range: KeyRange): KeyRange | undefined {
    if (this.#everything) return isEmptyRange(range) ? undefined : range;
    const before = this.#ranges.getPairOrNextLower(range.start)?.[1];
    const found = before === undefined ? undefined : overlap(before, range);
    if (found !== undefined) return found;
    const next = this.#ranges.nextHigherPair(range.start)?.[1];
    return next === undefined ? undefined : overlap(next, range);
  }

  /** True when nothing was read. */
  get empty(): boolean {
    return !this.#everything && this.#keys.size === 0 && this.#ranges.size === 0;
  }

  /** True when a range of every key was read. */
  get everything(): boolean {
    return this.#everything;
  }

  /** The keys read directly. */
  get keys(): ReadonlySet<KeyId> {
    return this.#keys;
  }

  /** The merged ranges read, sorted (empty when {@link everything}); a fresh array. */
  get ranges(): readonly KeyRange[] {
    return this.#ranges.valuesArray();
  }

  #inSomeRange(key: KeyId): boolean {
    // The last range whose start is at or before the key is the only candidate.
    const candidate = this.#ranges.getPairOrNextLower({ kind: 'included', key });
    return candidate !== undefined && inRange(key, candidate[1]);
  }

  /**
   * Merge `range` with the kept ranges it overlaps or touches: they follow
   * one another, from the last one starting at or before it (when that one
   * reaches it) up to the first one starting after its end.
   */
  #merge(range: KeyRange): void {
    const ranges = this.#ranges;
    let start = range.start;
    let end = range.end;
    const before = ranges.getPairOrNextLower(range.start)?.[1];
    let next = before;
    if (before === undefined || !endReachesStart(before.end, range.start)) {
      next = ranges.nextHigherPair(range.start)?.[1];
    }
    while (next !== undefined && endReachesStart(end, next.start)) {
      if (compareStarts(next.start, start) < 0) start = next.start;
      end = laterEnd(end, next.end);
      ranges.delete(next.start);
      next = ranges.nextHigherPair(next.start)?.[1];
    }
    ranges.set(start, start === range.start && end === range.end ? range : { start, end });
  }
}
