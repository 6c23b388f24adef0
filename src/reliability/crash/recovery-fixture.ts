/**
 * The data of the "nothing acknowledged is lost" test (recovery.test.ts),
 * shared by the child that writes it and the test that checks it.
 *
 * Three tables, {@link RECOVERY_KEYS} keys each (more than a page of the
 * recount), six commits. Key `i` is written by commits 1..1+(i % 6), so keys
 * hold 1 to 6 versions: some under their table's limit, most over it. Some
 * versions are tombstones, which count as versions like any other. The last
 * commit also drops, explicitly, all but the two newest versions of every
 * third key of the plain table.
 *
 * ```
 *   table  prefix  retention   after recovery and a flush
 *   one    one/    keep 1      the newest version of each key
 *   two    two/    keep 2      the two newest
 *   plain  plain/  -           everything, but the two newest of every third key
 * ```
 *
 * @module
 */

import type { Delta } from '../../store/deltas.js';
import type { TableDeclaration } from '../../store/options.js';

/** Keys per table. */
export const RECOVERY_KEYS = 300;

/** Commits the child makes. */
export const RECOVERY_COMMITS = 6;

/** The tables of the test, with the limit their retention sets. */
export const RECOVERY_TABLES = Object.freeze([
  Object.freeze({ name: 'one', prefix: 'one/', keep: 1 }),
  Object.freeze({ name: 'two', prefix: 'two/', keep: 2 }),
  Object.freeze({ name: 'plain', prefix: 'plain/', keep: undefined }),
] as const);

/** One of {@link RECOVERY_TABLES}. */
export type RecoveryTable = (typeof RECOVERY_TABLES)[number];

/** The declarations `MultiStore.open` gets. */
export const RECOVERY_DECLARATIONS: readonly TableDeclaration[] = RECOVERY_TABLES.map((table) =>
  table.keep === undefined
    ? { name: table.name, prefix: table.prefix }
    : { name: table.name, prefix: table.prefix, retention: { keepLastVersions: table.keep } },
);

/** The key `i` of `table`. */
export function recoveryKey(table: RecoveryTable, i: number): string {
  return `${table.prefix}${String(i).padStart(3, '0')}`;
}

/** The versions key `i` is written at, newest first. */
export function writtenVersions(i: number): number[] {
  const versions: number[] = [];
  for (let v = 1 + (i % RECOVERY_COMMITS); v >= 1; v--) versions.push(v);
  return versions;
}

/** Whether the last commit drops all but the two newest versions of plain key `i`. */
export function explicitlyDropped(i: number): boolean {
  return i % 3 === 0;
}

/** The versions key `i` of `table` holds once every request is applied, newest first. */
export function keptVersions(table: RecoveryTable, i: number): number[] {
  const written = writtenVersions(i);
  if (table.keep !== undefined) return written.slice(0, table.keep);
  return explicitlyDropped(i) ? written.slice(0, 2) : written;
}

/** Whether key `i`'s write at `version` is a tombstone (`remove`). */
export function isTombstone(i: number, version: number): boolean {
  return (i + version) % 5 === 0;
}

/** The value key `i` of a table gets at `version` (when not a tombstone). */
export function recoveryValue(key: string, version: number): string {
  return `${key}@${version}${'.'.repeat(version)}`;
}

/** The deltas of commit `version`. */
export function recoveryCommit(version: number): Delta[] {
  const deltas: Delta[] = [];
  for (const table of RECOVERY_TABLES) {
    for (let i = 0; i < RECOVERY_KEYS; i++) {
      const key = recoveryKey(table, i);
      if (writtenVersions(i).includes(version)) {
        deltas.push(
          isTombstone(i, version)
            ? { type: 'remove', key }
            : { type: 'set', key, value: recoveryValue(key, version) },
        );
      }
      if (version === RECOVERY_COMMITS && table.keep === undefined && explicitlyDropped(i))
        deltas.push({ type: 'drop', key, keepLastVersions: 2 });
    }
  }
  return deltas;
}
