/**
 * The conflict check of a committing transaction: first committer wins.
 *
 * The conflict tracker (transaction core) holds the keys of every commit
 * above its floor and answers most checks alone. A read-write transaction
 * begun as of a version below the floor (`begin({ asOf })` into the past) is
 * the exception: the commits between its base and the floor were forgotten
 * before it began. For it the tracker answers `verify (base, floor]`, and the
 * check asks the stored history instead: every key the transaction writes
 * (serializable: reads, and every key of the ranges it read) must not have
 * changed above its base.
 *
 * ```
 *   base 4           floor 9          latest 12
 *     |── forgotten ──|── tracked ─────|
 *   tracker: commits 10..12 wrote a key it writes?        -> conflict
 *   history: the key's last change (stored version, erasure, queued drop) > 4?  -> conflict
 * ```
 *
 * Changes above the floor are all tracked, so when the tracker finds none,
 * "changed above the base" can only mean "changed in (base, floor]": the
 * history check is exact for writes and conservative for erasures (an
 * erasure counts from the version it made readable again). A drop not
 * applied yet counts at its commit version, a range drop for every key of
 * its range (the tracker's rule: a range drop writes every key inside it);
 * once applied, a drop counts where it erased something, per key.
 *
 * @module
 */

import { binaryStringToBytes } from '../common/bytes.js';
import { type ConflictReason, TransactionConflictError } from '../common/errors.js';
import type { ConflictTracker, KeyId, KeyRange, ReadSet } from '../transaction/index.js';

/** What the history check reads from the store. */
export interface StoredHistory {
  /** The newest version at which `key` changed (written, erased or queued to be), if ever. */
  lastChange(key: KeyId): number | undefined;
  /** The first key of `range` (and when it changed) that changed above `version`, if any. */
  changedIn(range: KeyRange, version: number): { key: KeyId; version: number } | undefined;
}

/** What a committing transaction is checked on. */
export interface ConflictSubject {
  readonly base: number;
  readonly writes: ReadonlySet<KeyId>;
  /** Serializable transactions only. */
  readonly reads: ReadSet | undefined;
}

/** Throw `TRANSACTION_CONFLICT` if a commit above the base conflicts with `subject`. */
export function checkConflicts(
  tracker: ConflictTracker,
  subject: ConflictSubject,
  history: StoredHistory,
): void {
  const verdict = tracker.check(subject);
  if (verdict.kind === 'clear') return;
  const found =
    verdict.kind === 'conflict' ? verdict : checkHistory(subject, history, verdict.above);
  if (found !== undefined) {
    throw new TransactionConflictError(found.reason, found.version, binaryStringToBytes(found.key));
  }
}

/** A conflict found in stored history: why, which key, and the newer version. */
export interface Found {
  readonly reason: ConflictReason;
  readonly key: KeyId;
  readonly version: number;
}

/**
 * Judge `subject` on stored history above `base`: its writes first, then its
 * read keys, then its read ranges (serializable). Pure given `history`, so an
 * asynchronous shell can fetch what `history` answers first.
 */
export function checkHistory(
  subject: ConflictSubject,
  history: StoredHistory,
  base: number,
): Found | undefined {
  const changed = (key: KeyId) => {
    const version = history.lastChange(key);
    return version !== undefined && version > base ? version : undefined;
  };
  for (const key of subject.writes) {
    const version = changed(key);
    if (version !== undefined) return { reason: 'write', key, version };
  }
  const reads = subject.reads;
  if (reads === undefined) return undefined;
  for (const key of reads.keys) {
    const version = changed(key);
    if (version !== undefined) return { reason: 'read', key, version };
  }
  const ranges: readonly KeyRange[] = reads.everything ? [EVERYTHING] : reads.ranges;
  for (const range of ranges) {
    const found = history.changedIn(range, base);
    if (found !== undefined) return { reason: 'range', ...found };
  }
  return undefined;
}

const EVERYTHING: KeyRange = Object.freeze({
  start: Object.freeze({ kind: 'unbounded' }),
  end: Object.freeze({ kind: 'unbounded' }),
});
