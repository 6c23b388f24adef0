/**
 * Drop requests waiting for an open snapshot to end.
 *
 * When an open snapshot still reads a version a drop request would erase,
 * the drop worker erases what it can and parks the rest of the request (and
 * every later request of the same key, so that a key's requests keep their
 * commit order) here, under the snapshot version that holds it back:
 *
 * ```
 *   byKey      "multi\0doc" -> { requests: [keep 1 @7, drop @9], blockedBy: 6 }
 *   byBlocker  6 -> { "multi\0doc", ... }        (versions sorted: CountedVersions)
 *
 *   snapshot at 6 ends ──► wake ──► release: every key blocked by a version no
 *                                   snapshot reads any more goes back to the
 *                                   front of the drop queue, planned again
 * ```
 *
 * A request planned again may erase everything, or park again behind a
 * snapshot opened meanwhile. Parking costs O(log d) (d distinct blocking
 * versions); releasing looks at each distinct blocking version once.
 *
 * Retention requests of one key coalesce while parked: a `keepLastVersions:
 * N` request (N >= 1: keeping none deletes the key, with a horizon up to its
 * own commit version) without `upToVersion` or pending version, queued behind an
 * equal one with a ceiling and a commit version at most as high, erases everything the earlier
 * one would and leaves the same horizon, so it replaces it. A key kept back
 * for long therefore holds one retention request, however many commits
 * write it. The replaced requests are handed to the drop applier
 * ({@link ParkedDrops.takeSuperseded}), which forgets them from the request
 * log as applied.
 *
 * @module
 */

import { bytesToBinaryString } from '../common/bytes.js';
import { CountedVersions } from '../transaction/index.js';
import type { DropRequest } from './drop-batch.js';

/** One parked key. */
interface ParkedKey {
  readonly requests: DropRequest[];
  blockedBy: number;
}

/** Whether a snapshot still reads at a version (the registry answers it). */
export interface BlockingSnapshots {
  /** The lowest version at or above `version` an open snapshot reads at, or `undefined`. */
  atOrAbove(version: number): number | undefined;
}

/** The parked requests of the drop worker. */
export class ParkedDrops {
  readonly #byKey = new Map<string, ParkedKey>();
  readonly #byBlocker = new Map<number, Set<string>>();
  readonly #blockers = new CountedVersions();
  #size = 0;
  /** Requests replaced by a later one of their key since the last `takeSuperseded`. */
  #superseded: DropRequest[] = [];

  /** Requests parked. */
  get size(): number {
    return this.#size;
  }

  /** Every parked request. */
  *requests(): Generator<DropRequest, void, undefined> {
    for (const parked of this.#byKey.values()) yield* parked.requests;
  }

  /** True when a request of this key is parked (later ones must queue behind it). */
  has(table: string, key: Uint8Array): boolean {
    return this.#size > 0 && this.#byKey.has(idOf(table, key));
  }

  /** Park `requests` (one key's, in commit order) behind the snapshot at `blockedBy`. */
  park(requests: readonly DropRequest[], blockedBy: number): void {
    const first = requests[0];
    if (first === undefined) return;
    const id = idOf(first.table, first.key);
    const parked = this.#byKey.get(id);
    if (parked !== undefined) {
      this.append(requests);
      this.#block(id, parked, blockedBy);
      return;
    }
    const created: ParkedKey = { requests: [], blockedBy };
    this.#byKey.set(id, created);
    this.#addBlocker(id, blockedBy);
    for (const request of requests) this.#push(created, request);
  }

  /** Queue `requests` (one key's, in commit order) behind that key's parked ones. */
  append(requests: readonly DropRequest[]): void {
    const first = requests[0];
    if (first === undefined) return;
    const parked = this.#byKey.get(idOf(first.table, first.key));
    if (parked === undefined) throw new Error('append to a key that is not parked');
    for (const request of requests) this.#push(parked, request);
  }

  /**
   * Take out every key whose blocking snapshot version no snapshot reads any
   * more (all of them when `snapshots` is undefined: the store is closing);
   * each key's requests in commit order.
   */
  release(snapshots: BlockingSnapshots | undefined): DropRequest[] {
    if (this.#size === 0) return [];
    const released: DropRequest[] = [];
    for (const [blocker] of [...this.#blockers.entries()]) {
      if (snapshots !== undefined && snapshots.atOrAbove(blocker) === blocker) continue;
      for (const id of this.#byBlocker.get(blocker) ?? []) {
        const parked = this.#byKey.get(id) as ParkedKey;
        this.#byKey.delete(id);
        this.#size -= parked.requests.length;
        for (const request of parked.requests) released.push(request);
      }
      this.#byBlocker.delete(blocker);
      this.#blockers.delete(blocker);
    }
    return released;
  }

  /** The requests replaced since the last call (what they would erase, a later one will). */
  takeSuperseded(): readonly DropRequest[] {
    if (this.#superseded.length === 0) return NONE;
    const taken = this.#superseded;
    this.#superseded = [];
    return taken;
  }

  #push(parked: ParkedKey, request: DropRequest): void {
    const last = parked.requests[parked.requests.length - 1];
    if (last !== undefined && subsumes(request, last)) {
      parked.requests[parked.requests.length - 1] = request;
      this.#superseded.push(last);
      return;
    }
    parked.requests.push(request);
    this.#size++;
  }

  #block(id: string, parked: ParkedKey, blockedBy: number): void {
    if (parked.blockedBy === blockedBy) return;
    this.#removeBlocker(id, parked.blockedBy);
    parked.blockedBy = blockedBy;
    this.#addBlocker(id, blockedBy);
  }

  #addBlocker(id: string, blocker: number): void {
    let ids = this.#byBlocker.get(blocker);
    if (ids === undefined) {
      ids = new Set();
      this.#byBlocker.set(blocker, ids);
      this.#blockers.add(blocker);
    }
    ids.add(id);
  }

  #removeBlocker(id: string, blocker: number): void {
    const ids = this.#byBlocker.get(blocker);
    if (ids === undefined) return;
    ids.delete(id);
    if (ids.size > 0) return;
    this.#byBlocker.delete(blocker);
    this.#blockers.delete(blocker);
  }
}

/**
 * True when `later`, applied right after `earlier` (of the same key), erases
 * everything `earlier` would and leaves the same horizon, so that it can
 * stand for both: both are `keepLastVersions: N` requests (N >= 1) without
 * `upToVersion` or pending version, and `later` judges at least what
 * `earlier` does (a ceiling at least as high). Its commit version is at
 * least as high too: the flush event carries the highest commit version of
 * the requests it applies, and a write into history (below the latest
 * version, with the same ceiling) standing for a later commit's request
 * would lower it.
 */
export function subsumes(later: DropRequest, earlier: DropRequest): boolean {
  // Keeping none deletes the key, and a deletion's horizon ends at its own
  // commit version: a later one would widen it, so it stands for nothing.
  const retention = (r: DropRequest) =>
    r.keepLastVersions !== undefined &&
    r.keepLastVersions >= 1 &&
    r.upToVersion === undefined &&
    r.pendingVersion === undefined;
  return (
    retention(later) &&
    retention(earlier) &&
    later.keepLastVersions === earlier.keepLastVersions &&
    later.ceiling >= earlier.ceiling &&
    later.commitVersion >= earlier.commitVersion
  );
}

const NONE: readonly DropRequest[] = Object.freeze([]);

function idOf(table: string, key: Uint8Array): string {
  return `${table}\u0000${bytesToBinaryString(key)}`;
}
