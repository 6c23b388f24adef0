/**
 * The data of range-recovery.test.ts, shared by its child: {@link RANGE_KEYS}
 * keys `r/000`... written at versions 1, 2 and 3 (every fifth one deleted at
 * 3), then a drop of prefix `r/` keeping one version, committed at 4. Once
 * it is applied, each key holds exactly its version 3.
 *
 * @module
 */

import type { Delta } from '../../store/deltas.js';

/** Keys under the prefix. */
export const RANGE_KEYS = 200;

/** Steps the `partway` child applies before it is killed (one key each). */
export const PARTWAY_STEPS = 20;

/** Key `i`. */
export function rangeKey(i: number): string {
  return `r/${String(i).padStart(3, '0')}`;
}

/** Whether key `i` is deleted at version 3. */
export function deletedAtThree(i: number): boolean {
  return i % 5 === 0;
}

/** The deltas of commit `version` (1 to 3). */
export function rangeRecoveryCommit(version: number): Delta[] {
  return Array.from({ length: RANGE_KEYS }, (_, i) =>
    version === 3 && deletedAtThree(i)
      ? { type: 'remove', key: rangeKey(i) }
      : { type: 'set', key: rangeKey(i), value: `${i}@${version}` },
  );
}
