/**
 * The stored history as the conflict check asks about it (conflict-check.ts):
 * when did a key, or any key of a range, last change?
 *
 * A key changed at its newest stored version (a tombstone counts), at the
 * `readableFrom` of its horizon (an erasure changed reads up to there; a
 * deletion's is its commit version), and at the commit version of a drop
 * request not applied yet. A range drop not applied yet (waiting in the
 * queue, or part-way) counts as a write of every key of its range at its
 * commit version, as in the conflict tracker; once applied to a key, what it
 * erased is in the key's horizon like any erasure. Reads go through the tier
 * at the highest version, one lookup per key; a range is paged through every
 * table it meets, tombstones included, and through its horizons.
 *
 * ```
 *   queued: [u1 keep 1 @5] [range [u, v) @6]
 *   lastChange(u1) = max(stored, horizon, 5, 6)      u1 in [u, v)
 *   changedIn([t, ub), 4) = u @6                      [u, v) overlaps it from u
 * ```
 *
 * @module
 */

import { binaryStringToBytes } from '../common/bytes.js';
import { MAX_VERSION } from '../common/version.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { horizonPages, pages } from '../tier/paging.js';
import type { Bound } from '../tier/tier.js';
import { UNBOUNDED } from '../tier/tier.js';
import type { KeyBound, KeyId, KeyRange } from '../transaction/index.js';
import { firstKeyOf, inRange, keyIdOf, overlap } from '../transaction/index.js';
import type { QueuedDrop } from './commit-requests.js';
import type { StoredHistory } from './conflict-check.js';
import { RangeDrop } from './range-drops.js';
import type { TableRouter } from './routing.js';

const PAGE = 256;

/** The history of `tier`, whose keys `router` places in tables; `queued` lists drops not applied yet. */
export function storedHistory(
  tier: AbstractTier,
  router: TableRouter,
  queued: () => Iterable<QueuedDrop>,
): StoredHistory {
  return {
    lastChange(id: KeyId): number | undefined {
      const key = binaryStringToBytes(id);
      const table = router.route(key).name;
      let last = tier.get(table, key, MAX_VERSION)?.version;
      const horizon = tier.readableFloor(table) > 0 ? tier.horizon(table, key) : undefined;
      if (horizon !== undefined) last = Math.max(last ?? 0, horizon.readableFrom);
      for (const request of queued()) {
        if (covers(request, table, id)) last = Math.max(last ?? 0, commitVersionOf(request));
      }
      return last;
    },
    changedIn(range: KeyRange, version: number) {
      const start = boundOf(range.start);
      const end = boundOf(range.end);
      const keyOf = (bound: Bound) => (bound.kind === 'unbounded' ? undefined : bound.key);
      for (const table of router.tablesMeeting(keyOf(start), keyOf(end))) {
        const found = changedInTable(tier, table.name, { start, end }, version);
        if (found !== undefined) return found;
      }
      for (const request of queued()) {
        if (commitVersionOf(request) <= version) continue;
        const found = queuedIn(request, range);
        if (found !== undefined) return found;
      }
      return undefined;
    },
  };
}

/** True when a queued request drops `id` (in `table`): its key, or a range holding it. */
function covers(request: QueuedDrop, table: string, id: KeyId): boolean {
  if (request instanceof RangeDrop) return inRange(id, request.keys);
  return request.table === table && keyIdOf(request.key) === id;
}

function commitVersionOf(request: QueuedDrop): number {
  return request instanceof RangeDrop ? request.spec.commitVersion : request.commitVersion;
}

/** The (first) key of `range` a queued request drops, with its commit version, if any. */
function queuedIn(
  request: QueuedDrop,
  range: KeyRange,
): { key: KeyId; version: number } | undefined {
  const version = commitVersionOf(request);
  if (request instanceof RangeDrop) {
    const shared = overlap(request.keys, range);
    return shared === undefined ? undefined : { key: firstKeyOf(shared), version };
  }
  const id = keyIdOf(request.key);
  return inRange(id, range) ? { key: id, version } : undefined;
}

/** The first key of one table's part of a range that changed above `version`. */
function changedInTable(
  tier: AbstractTier,
  table: string,
  bounds: { readonly start: Bound; readonly end: Bound },
  version: number,
): { key: KeyId; version: number } | undefined {
  const request = { ...bounds, version: MAX_VERSION, limit: PAGE };
  for (const page of pages(tier, table, request)) {
    const entry = page.entries.find((e) => e.version > version);
    if (entry !== undefined) return { key: keyIdOf(entry.key), version: entry.version };
  }
  if (tier.readableFloor(table) <= version) return undefined;
  // A horizon reaching above the version (erased, or deleted, after it) refuses reads at it.
  for (const page of horizonPages(tier, table, { ...request, version })) {
    const entry = page.entries[0];
    if (entry !== undefined)
      return { key: keyIdOf(entry.key), version: entry.horizon.readableFrom };
  }
  return undefined;
}

function boundOf(bound: KeyBound): Bound {
  return bound.kind === 'unbounded'
    ? UNBOUNDED
    : { kind: bound.kind, key: binaryStringToBytes(bound.key) };
}
