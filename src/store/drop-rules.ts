/**
 * Which stored versions a drop request erases.
 *
 * This is the heart of the drop semantics (README, "Semantics", and
 * docs/architecture.md, "The drop path"), kept
 * as one pure function so that the drop worker, the tests and the model all
 * agree. For one request, list the key's versions newest first, tombstones
 * included; the request's *pending version* (the version its own commit wrote
 * the key at, if it did) is in the list even if the tier has not stored it.
 * Then a version is dropped when every given constraint says so:
 *
 * ```
 *   versions, newest first:   100   20   10    5    1
 *   index:                      0    1    2    3    4
 *
 *   upToVersion=15              .    .    x    x    x     version < 15
 *   keepLastVersions=3          .    .    .    x    x     index >= 3
 *   both                        .    .    .    x    x     AND of the two
 *   neither                     x    x    x    x    x     the whole history
 * ```
 *
 * The pending version is never dropped by its own request. Only explicit drop
 * deltas have one: the implicit drop of a retention table has none, so it
 * keeps the N highest versions whichever commit wrote them (an out-of-order
 * write below them goes at once, instead of surviving as an (N+1)th version
 * for good). A request only sees versions at or below its
 * *ceiling* (the latest version once its own commit was written, before any
 * listener ran): versions written by later commits are not its business, so
 * a queued "drop everything below 10^6" cannot erase a write that came after
 * it. The requests of one flush are applied in commit order, each judged on
 * what the earlier ones left (drop-batch.ts).
 *
 * @module
 */

/** The constraints of one drop request. */
export interface DropConstraints {
  /** Drop only versions strictly below this one. */
  readonly upToVersion?: number | undefined;
  /** Keep this many newest versions (the pending one included). */
  readonly keepLastVersions?: number | undefined;
  /** The version the request's own commit wrote the key at, if it did. */
  readonly pendingVersion?: number | undefined;
  /** Ignore stored versions above this one (written after the request). */
  readonly ceiling: number;
}

/**
 * The versions to erase, given the key's stored versions newest first
 * (`stored` must be sorted descending, without duplicates), in that order.
 * No copy, and the versions above the ceiling are stepped over with a binary
 * search: this runs for every key a retention table writes, and for every
 * request of a flush (a hot key can have thousands of requests in one flush,
 * most of its versions above the ceiling of each).
 */
export function versionsToDrop(stored: readonly number[], request: DropConstraints): number[] {
  const { upToVersion, keepLastVersions, pendingVersion, ceiling } = request;
  const dropped: number[] = [];
  let index = 0; // the version's index in the listed versions, pending one included
  let pendingPlaced = pendingVersion === undefined;
  for (let at = firstAtOrBelow(stored, ceiling); at < stored.length; at++) {
    const version = stored[at] as number;
    if (!pendingPlaced && (pendingVersion as number) >= version) {
      pendingPlaced = true;
      if (pendingVersion === version) {
        index++;
        continue;
      }
      index++; // the pending version, not stored yet, sorts before this one
    }
    const belowThreshold = upToVersion === undefined || version < upToVersion;
    const beyondKept = keepLastVersions === undefined || index >= keepLastVersions;
    if (belowThreshold && beyondKept) dropped.push(version);
    index++;
  }
  return dropped;
}

/** The index of the first version at or below `version` in descending `stored` (its length if none). */
export function firstAtOrBelow(stored: readonly number[], version: number): number {
  let low = 0;
  let high = stored.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((stored[middle] as number) > version) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * How many of the oldest of the first `length` versions of `stored` (newest
 * first) `request` drops, when it judges all of them (its ceiling at or
 * above `stored[0]`) and has no pending version: those it drops are then
 * always the oldest ones (both constraints select from the old end), so a
 * count says it, in O(log versions) without a copy. Equal to the length of
 * {@link versionsToDrop} on those versions.
 */
export function oldestToDrop(
  stored: readonly number[],
  length: number,
  request: DropConstraints,
): number {
  const { upToVersion, keepLastVersions } = request;
  const count = keepLastVersions === undefined ? length : Math.max(0, length - keepLastVersions);
  if (upToVersion === undefined || count === 0) return count;
  // The first of the versions below upToVersion (descending: they come last).
  let low = 0;
  let high = length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((stored[middle] as number) >= upToVersion) low = middle + 1;
    else high = middle;
  }
  return Math.min(count, length - low);
}
