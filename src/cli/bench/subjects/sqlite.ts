/**
 * The SQLite peer: raw better-sqlite3 on the schema of multistore's SQLite
 * tier and with its settings, so that the tier's ratio to it is the price of
 * the store itself (routing, figures, drop requests, horizons), not of a
 * different schema or configuration:
 *
 * - schema: the store table's SQL table and its index by version, from the
 *   tier's own DDL (tier/sqlite/schema.ts), so the two cannot drift apart;
 * - settings: WAL, `synchronous = NORMAL`, a checkpoint every
 *   {@link WAL_CHECKPOINT_PAGES} WAL pages, the WAL cut back to
 *   {@link WAL_SIZE_LIMIT_BYTES} when it starts over, and the tier's default
 *   normal locking (the WAL index in shared memory, as readers beside a
 *   writer need);
 * - the same batch size (one transaction per 100 writes), every statement
 *   prepared once.
 *
 * ```
 *   t_6d756c7469 (key BLOB, version INTEGER, value BLOB, PRIMARY KEY (key, version)) STRICT, WITHOUT ROWID
 *   v_6d756c7469 ON t_6d756c7469 (version, key)         the change feed's index
 *   get      key = ? AND version <= ? ORDER BY version DESC LIMIT 1      one seek
 *   scan     one recursive statement: hop to the next key, newest <= V  index seeks per key
 *   dropOld  DELETE key = ? AND version < (newest version of key)        100 keys per transaction
 * ```
 *
 * Two variants change one thing each ({@link RAW_SQLITE_VARIANTS}):
 * `better-sqlite3-exclusive` takes exclusive locking (the WAL index in the
 * connection's heap), the peer of the tier opened with `sqlite: { locking:
 * 'exclusive' }`; `better-sqlite3-no-index` leaves out the index by version,
 * which shows what that index costs the writes.
 *
 * The scan is one statement that hops from key to key (a "skip scan"
 * written as a recursive common table expression, since SQLite only skips
 * through an index on its own with ANALYZE statistics, and not for this
 * shape), then takes each key's newest version at or below V by seeks:
 *
 * ```
 *   walk(key): first key >= start, then the first key > the last one, up to end
 *   row:       the key's row at (SELECT max(version) ... WHERE key = walk.key AND version <= V)
 * ```
 *
 * Of the three normal ways measured on 2026-11-29 (bench children at
 * N = 100,000, 5 interleaved rounds on the loaded 2-core machine), it was
 * the fastest on both shapes: `GROUP BY key` with `max(version)` (where the
 * bare `value` column comes from the row holding the maximum) reads every
 * version at or below V of every key, ~V rows per key, and ran at about
 * half its speed on the deep shape (100 versions per key) and a little
 * slower on the shallow one; one seek per key from JavaScript, inside one
 * read transaction, came close but behind (a call into the driver per
 * seek); the same seeks outside a transaction pay a read transaction each
 * and ran at a third of its speed.
 *
 * @module
 */

import { join } from 'node:path';
import Database from 'better-sqlite3';
import { WAL_CHECKPOINT_PAGES, WAL_SIZE_LIMIT_BYTES } from '../../../tier/sqlite/load.js';
import {
  createTableSql,
  createVersionIndexSql,
  sqlTableName,
} from '../../../tier/sqlite/schema.js';
import { DEFAULT_TABLE } from '../../../tier/tier.js';
import type { WriteBatch } from '../data.js';
import type { BenchSubject, ScanResult, SubjectOptions } from '../subject.js';

/** The implementation ids of the raw SQLite peer. */
export type RawSqliteImpl =
  | 'better-sqlite3'
  | 'better-sqlite3-exclusive'
  | 'better-sqlite3-no-index';

/** What a variant of the peer sets up. */
interface RawSqliteVariant {
  /** SQLite's locking mode: `normal` (the tier's default) or `exclusive`. */
  readonly locking: 'normal' | 'exclusive';
  /** Whether the table has the tier's index by version. */
  readonly versionIndex: boolean;
}

/** The peer and its variants. */
export const RAW_SQLITE_VARIANTS: Readonly<Record<RawSqliteImpl, RawSqliteVariant>> = Object.freeze(
  {
    'better-sqlite3': { locking: 'normal', versionIndex: true },
    'better-sqlite3-exclusive': { locking: 'exclusive', versionIndex: true },
    'better-sqlite3-no-index': { locking: 'normal', versionIndex: false },
  },
);

/** The SQL table every write goes to: the tier's table for its default store table. */
const TABLE = `"${sqlTableName(DEFAULT_TABLE)}"`;

/**
 * The scan: the keys from `@start` (below `@end` when `bounded`), each with
 * its newest row at or below `@version` (in the walk's order, the key order,
 * though no ORDER BY promises it: the scan only counts and sums).
 * The walk ends on a NULL key (no next key in the range), which joins no
 * row. `CROSS JOIN` keeps the walk the outer loop: the planner would
 * otherwise scan the table and look each row up in the walk.
 */
function skipScanSql(bounded: boolean): string {
  const below = bounded ? ' AND key < @end' : '';
  return (
    'WITH RECURSIVE walk(key) AS (' +
    `SELECT (SELECT key FROM ${TABLE} WHERE key >= @start${below} ORDER BY key LIMIT 1) ` +
    `UNION ALL SELECT (SELECT key FROM ${TABLE} WHERE key > walk.key${below} ORDER BY key LIMIT 1) ` +
    'FROM walk WHERE walk.key IS NOT NULL) ' +
    `SELECT r.key, r.version, r.value FROM walk CROSS JOIN ${TABLE} AS r ` +
    'ON r.key = walk.key AND r.version = ' +
    `(SELECT max(version) FROM ${TABLE} WHERE key = walk.key AND version <= @version)`
  );
}

const SQL = Object.freeze({
  put: `INSERT OR REPLACE INTO ${TABLE} (key, version, value) VALUES (?, ?, ?)`,
  newest: `SELECT version, value FROM ${TABLE} WHERE key = ? AND version <= ? ORDER BY version DESC LIMIT 1`,
  scan: skipScanSql(true),
  scanToEnd: skipScanSql(false),
  dropOld: `DELETE FROM ${TABLE} WHERE key = ? AND version < (SELECT max(version) FROM ${TABLE} WHERE key = ?)`,
  count: `SELECT count(*) FROM ${TABLE} WHERE key = ?`,
});

/** Open a raw better-sqlite3 database in `dir`, as `impl` sets it up. */
export function openRawSqlite(impl: RawSqliteImpl, options: SubjectOptions): BenchSubject {
  const { locking, versionIndex } = RAW_SQLITE_VARIANTS[impl];
  const db = new Database(join(options.dir, 'raw.db'));
  // Before the journal mode, as the tier does: the WAL index goes to the heap.
  if (locking === 'exclusive') db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  db.exec(createTableSql(DEFAULT_TABLE));
  if (versionIndex) db.exec(createVersionIndexSql(DEFAULT_TABLE));
  return new RawSqliteSubject(db);
}

type Statement = Database.Statement<unknown[], unknown>;
type Row = [Uint8Array, number, Uint8Array | null];

class RawSqliteSubject implements BenchSubject {
  readonly #db: Database.Database;
  readonly #newest: Statement;
  readonly #scan: Statement;
  readonly #scanToEnd: Statement;
  readonly #count: Statement;
  readonly #writeBatch: (batch: WriteBatch) => void;
  readonly #dropOld: (keys: readonly Uint8Array[]) => void;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#newest = db.prepare(SQL.newest).raw(true);
    this.#scan = db.prepare(SQL.scan).raw(true);
    this.#scanToEnd = db.prepare(SQL.scanToEnd).raw(true);
    this.#count = db.prepare(SQL.count).pluck(true);
    const put = db.prepare(SQL.put);
    this.#writeBatch = db.transaction((batch: WriteBatch) => {
      const { keys, values, version } = batch;
      for (let i = 0; i < keys.length; i++) put.run(keys[i], version, values[i]);
    });
    const dropOld = db.prepare(SQL.dropOld);
    this.#dropOld = db.transaction((keys: readonly Uint8Array[]) => {
      for (const key of keys) dropOld.run(key, key);
    });
  }

  write(batch: WriteBatch): void {
    this.#writeBatch(batch);
  }

  get(key: Uint8Array, version: number): number {
    const row = this.#newest.get(key, version) as [number, Uint8Array | null] | undefined;
    return row === undefined || row[1] === null ? -1 : row[0];
  }

  scan(start: Uint8Array, end: Uint8Array | undefined, version: number): ScanResult {
    const rows = (
      end === undefined
        ? this.#scanToEnd.all({ start, version })
        : this.#scan.all({ start, end, version })
    ) as Row[];
    let entries = 0;
    let versionSum = 0;
    for (const row of rows) {
      if (row[2] === null) continue;
      entries++;
      versionSum += row[1];
    }
    return { entries, versionSum };
  }

  dropOld(keys: readonly Uint8Array[]): void {
    this.#dropOld(keys);
  }

  settle(): Promise<void> {
    return Promise.resolve();
  }

  versionCount(key: Uint8Array): number {
    return this.#count.get(key) as number;
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}
