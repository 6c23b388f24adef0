/**
 * The data of the "recovering drops that a crash lost" test (sweep.test.ts),
 * shared by the child that writes it and the test that checks it.
 *
 * Three tables, {@link SWEEP_KEYS} keys each (more than one page of the
 * sweep), six commits. Key `i` is written by commits 1..1+(i % 6), so keys
 * hold 1 to 6 versions: some under their table's limit, most over it. Some
 * versions are tombstones, which count as versions like any other.
 *
 * ```
 *   table  prefix  retention   after the sweep
 *   one    one/    keep 1      the newest version of each key
 *   two    two/    keep 2      the two newest
 *   plain  plain/  -           everything (the sweep must not touch it)
 * ```
 *
 * @module
 */

import type { Delta } from '../../store/deltas.js';
import type { TableDeclaration } from '../../store/options.js';

/** Keys per table. */
export const SWEEP_KEYS = 300;

/** Commits the child makes. */
export const SWEEP_COMMITS = 6;

/** The tables of the test, with the limit their retention sets. */
export const SWEEP_TABLES = Object.freeze([
  Object.freeze({ name: 'one', prefix: 'one/', keep: 1 }),
  Object.freeze({ name: 'two', prefix: 'two/', keep: 2 }),
  Object.freeze({ name: 'plain', prefix: 'plain/', keep: undefined }),
] as const);

/** One of {@link SWEEP_TABLES}. */
export type SweepTable = (typeof SWEEP_TABLES)[number];

/** The declarations `MultiStore.open` gets. */
export const SWEEP_DECLARATIONS: readonly TableDeclaration[] = SWEEP_TABLES.map((table) =>
  table.keep === undefined
    ? { name: table.name, prefix: table.prefix }
    : { name: table.name, prefix: table.prefix, retention: { keepLastVersions: table.keep } },
);

/** The key `i` of `table`. */
export function sweepKey(table: SweepTable, i: number): string {
  return `${table.prefix}${String(i).padStart(3, '0')}`;
}

/** The versions key `i` is written at, newest first. */
export function writtenVersions(i: number): number[] {
  const versions: number[] = [];
  for (let v = 1 + (i % SWEEP_COMMITS); v >= 1; v--) versions.push(v);
  return versions;
}

/** Whether key `i`'s write at `version` is a tombstone (`remove`). */
export function isTombstone(i: number, version: number): boolean {
  return (i + version) % 5 === 0;
}

/** The value key `i` of a table gets at `version` (when not a tombstone). */
export function sweepValue(key: string, version: number): string {
  return `${key}@${version}${'.'.repeat(version)}`;
}

/** The deltas of commit `version`. */
export function sweepCommit(version: number): Delta[] {
  const deltas: Delta[] = [];
  for (const table of SWEEP_TABLES) {
    for (let i = 0; i < SWEEP_KEYS; i++) {
      if (!writtenVersions(i).includes(version)) continue;
      const key = sweepKey(table, i);
      deltas.push(
        isTombstone(i, version)
          ? { type: 'remove', key }
          : { type: 'set', key, value: sweepValue(key, version) },
      );
    }
  }
  return deltas;
}
