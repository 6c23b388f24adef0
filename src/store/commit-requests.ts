/**
 * What a written commit hands on: its drop requests (to the drop worker) and
 * its keys (to the conflict tracker).
 *
 * ```
 *   plan { writes: a=1 (sessions, keep 1), b=2 ; drops: b keep 1 }   at version 7, latest 7
 *     ─► drop b keep 1, pending 7, ceiling 7        (the commit wrote b: 7 is its pending version)
 *     ─► drop a keep 1, ceiling 7                   (retention: no pending version)
 *     keys { a, b }
 * ```
 *
 * A range drop delta becomes one {@link RangeDrop} (range-drops.ts), queued
 * after the commit's per-key drops and before its retention requests; it
 * remembers the keys the commit wrote inside its range, their pending
 * version being the commit's. (Each request only ever erases a key's oldest
 * versions, so the order of one commit's requests does not change what goes.)
 * For the conflict checks a range drop counts as a write of every key of its
 * range: the commit hands its range to the tracker ({@link rangesOf}) beside
 * its keys.
 *
 * @module
 */

import { bytesToBinaryString } from '../common/bytes.js';
import { type KeyId, type KeyRange, keyIdOf, keyRangeOf } from '../transaction/index.js';
import type { CommitPlan } from './deltas.js';
import type { DropRequest } from './drop-batch.js';
import { inBounds, RangeDrop } from './range-drops.js';
import type { TableRouter } from './routing.js';

/** What a commit queues for the drop worker: per-key requests and range drops. */
export type QueuedDrop = DropRequest | RangeDrop;

/**
 * Explicit drops (with the commit's version as pending version when the
 * commit wrote the key), then an implicit `keepLastVersions` drop per key
 * written to a retention table. `ceiling` is the latest version once the
 * commit is written (before any listener ran). Every request carries the
 * commit's request-log record number, taken from `reserve` only when the
 * commit makes a request (request-log.ts).
 */
export function dropRequestsOf(
  plan: CommitPlan,
  version: number,
  ceiling: number,
  reserve: () => number,
  retention = true,
): DropRequest[] {
  const requests: DropRequest[] = [];
  let reserved: number | undefined;
  const seqOf = () => {
    reserved ??= reserve();
    return reserved;
  };
  if (plan.drops.length > 0) {
    const written = new Set(plan.writes.map((write) => bytesToBinaryString(write.key)));
    for (const drop of plan.drops) {
      const pendingVersion = written.has(bytesToBinaryString(drop.key)) ? version : undefined;
      const { upToVersion, keepLastVersions } = drop;
      requests.push({
        table: drop.table.name,
        key: drop.key,
        upToVersion,
        keepLastVersions,
        pendingVersion,
        ceiling,
        commitVersion: version,
        seq: seqOf(),
      });
    }
  }
  // Retention keeps the N highest versions, whichever commit wrote them: no
  // pending version, so an out-of-order write below them goes too. (None
  // when the tier trims them in the commit's own step: store-writer.ts.)
  if (!retention) return requests;
  for (const write of plan.writes) {
    const keepLastVersions = write.table.keepLastVersions;
    if (keepLastVersions === undefined) continue;
    requests.push({
      table: write.table.name,
      key: write.key,
      keepLastVersions,
      ceiling,
      commitVersion: version,
      seq: seqOf(),
    });
  }
  return requests;
}

/** The range drops of a commit (in its log record `seq`), with the keys it wrote inside each range. */
export function rangeDropsOf(
  plan: CommitPlan,
  version: number,
  ceiling: number,
  router: TableRouter,
  seq: number,
): RangeDrop[] {
  return plan.rangeDrops.map(({ range, upToVersion, keepLastVersions }) => {
    const written = new Set<string>();
    for (const write of plan.writes) {
      if (inBounds(write.key, range.start, range.end)) written.add(bytesToBinaryString(write.key));
    }
    const spec = {
      ...range,
      upToVersion,
      keepLastVersions,
      ceiling,
      commitVersion: version,
      written,
    };
    return RangeDrop.of(spec, router, seq);
  });
}

/**
 * Everything a commit queues, in order: per-key drops, range drops,
 * retention (unless `retention` is false: the commit trims in its tier
 * step); all in one log record, reserved only when there is any.
 */
export function queuedDropsOf(
  plan: CommitPlan,
  version: number,
  ceiling: number,
  router: TableRouter,
  reserve: () => number,
  retention = true,
): QueuedDrop[] {
  let reserved: number | undefined;
  const seqOf = () => {
    reserved ??= reserve();
    return reserved;
  };
  const requests = dropRequestsOf(plan, version, ceiling, seqOf, retention);
  if (plan.rangeDrops.length === 0) return requests;
  const explicit = plan.drops.length;
  const ranges = rangeDropsOf(plan, version, ceiling, router, seqOf());
  return [...requests.slice(0, explicit), ...ranges, ...requests.slice(explicit)];
}

/** The keys a commit writes or drops. */
export function keysOf(plan: CommitPlan): Set<KeyId> {
  const keys = new Set<KeyId>();
  for (const write of plan.writes) keys.add(keyIdOf(write.key));
  for (const drop of plan.drops) keys.add(keyIdOf(drop.key));
  return keys;
}

/** The ranges of a commit's range drops: each counts as a write of every key inside it. */
export function rangesOf(plan: CommitPlan): KeyRange[] {
  return plan.rangeDrops.map(({ range }) => keyRangeOf(range.start, range.end));
}
