/**
 * A sorted multiset of versions: how many open snapshots sit at each version.
 *
 * Many transactions share a version (everything begun since the last commit
 * reads at the same latest version), so the set keeps each distinct version
 * once, with a count, in a sorted array:
 *
 * ```
 *   versions  [ 3, 7, 12 ]        add(7) -> counts 7: 2      lowest()      -> 3
 *   counts    { 3: 1, 7: 1, 12: 4 }                           atOrAbove(5) -> 7
 * ```
 *
 * Lookups are binary searches, O(log d) for d distinct versions; adding or
 * removing a distinct version moves the array tail, O(d), which stays small
 * (d is the number of distinct versions open at once, not of snapshots).
 *
 * @module
 */

/** A sorted multiset of versions. */
export class CountedVersions {
  readonly #sorted: number[] = [];
  readonly #counts = new Map<number, number>();
  #size = 0;

  /** Add one occurrence of `version`. */
  add(version: number): void {
    const count = this.#counts.get(version);
    if (count === undefined) this.#sorted.splice(this.#indexAtOrAbove(version), 0, version);
    this.#counts.set(version, (count ?? 0) + 1);
    this.#size++;
  }

  /** Remove one occurrence of `version`; false when it was not there. */
  delete(version: number): boolean {
    const count = this.#counts.get(version);
    if (count === undefined) return false;
    if (count === 1) {
      this.#counts.delete(version);
      this.#sorted.splice(this.#indexAtOrAbove(version), 1);
    } else {
      this.#counts.set(version, count - 1);
    }
    this.#size--;
    return true;
  }

  /** How many occurrences there are in all. */
  get size(): number {
    return this.#size;
  }

  /** How many occurrences of `version` there are. */
  count(version: number): number {
    return this.#counts.get(version) ?? 0;
  }

  /** The lowest version, or `undefined` when empty. */
  lowest(): number | undefined {
    return this.#sorted[0];
  }

  /** The highest version, or `undefined` when empty. */
  highest(): number | undefined {
    return this.#sorted[this.#sorted.length - 1];
  }

  /** The lowest version at or above `version`, or `undefined`. */
  atOrAbove(version: number): number | undefined {
    return this.#sorted[this.#indexAtOrAbove(version)];
  }

  /** The highest version strictly below `version`, or `undefined`. */
  below(version: number): number | undefined {
    return this.#sorted[this.#indexAtOrAbove(version) - 1];
  }

  /** Distinct versions, ascending, with their counts. */
  *entries(): Generator<[version: number, count: number], void, undefined> {
    for (const version of this.#sorted) yield [version, this.#counts.get(version) as number];
  }

  /** Index of the first distinct version `>= version` (the length when none). */
  #indexAtOrAbove(version: number): number {
    const sorted = this.#sorted;
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((sorted[middle] as number) < version) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
