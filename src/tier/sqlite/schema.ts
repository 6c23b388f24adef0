/**
 * The SQLite schema: one SQL table per store table, plus the tier's own.
 *
 * ```
 *   multistore_meta (name TEXT PRIMARY KEY, value INTEGER)
 *       format          3 (migrations.ts: 2 added horizons, 3 figures and log)
 *       latest_version  highest version ever passed to set
 *       readable_floor:6d756c7469   the table's highest readable_from
 *       erased_top:6d756c7469       the table's erased top (absent in files written
 *                                   before it existed: the floor stands in for it)
 *   multistore_settings (name TEXT PRIMARY KEY, value TEXT)
 *       tables          the store's table declarations (JSON), and other settings
 *   multistore_figures (name TEXT PRIMARY KEY, current_count, current_key_bytes,
 *                       current_value_bytes, historical_count, historical_key_bytes,
 *                       historical_value_bytes)
 *       one row per store table: its statistics figures, kept by set and drop
 *   multistore_log (seq INTEGER PRIMARY KEY, record BLOB)
 *       the store's drop requests, acknowledged and not yet applied
 *   t_6d756c7469 (key BLOB, version INTEGER, value BLOB NULL,
 *                 PRIMARY KEY (key, version)) STRICT, WITHOUT ROWID
 *       ^ "multi" as hex of its UTF-8 bytes         value NULL = tombstone
 *   v_6d756c7469 ON t_6d756c7469 (version, key)   the table's index by version
 *                 (change pages; created with the table, or by the upgrade to format 3
 *                 for a table an older file holds)
 *   h_6d756c7469 (key BLOB PRIMARY KEY, erased_from INTEGER, readable_from INTEGER)
 *                 STRICT, WITHOUT ROWID       the table's horizons, created with the first horizon
 * ```
 *
 * A store table name never reaches SQL as an identifier: its SQL identifier
 * is `t_` followed by the lower-case hex of the name's UTF-8 bytes, a string
 * of `[t_0-9a-f]` only, so no name (quotes, `"; DROP TABLE`, unicode, 256
 * bytes) can change a statement or reach another table. The mapping is
 * one-to-one, and being lower-case it cannot collide under SQLite's
 * case-insensitive identifiers. Reopening lists the store tables by decoding
 * these identifiers back. (In `multistore_figures` the name is a value bound
 * as a parameter, never spliced into SQL.)
 *
 * WITHOUT ROWID stores rows in primary-key order, so the rows of a key are
 * adjacent and sorted by version: "newest version <= V" and "next key after
 * K" are each one B-tree seek.
 *
 * @module
 */

import { isStoreError } from '../../common/errors.js';
import { checkTableName } from '../validate.js';
import type { Connection } from './load.js';

/** The table holding the tier's own metadata. */
export const META_TABLE = 'multistore_meta';

/** The table holding settings the store keeps beside its data. */
export const SETTINGS_TABLE = 'multistore_settings';

/** The table holding the statistics figures of each store table. */
export const FIGURES_TABLE = 'multistore_figures';

/** The table holding the store's log records. */
export const LOG_TABLE = 'multistore_log';

/** The figure columns, in the order of `FIGURE_FIELDS` (tier.ts). */
export const FIGURE_COLUMNS = Object.freeze([
  'current_count',
  'current_key_bytes',
  'current_value_bytes',
  'historical_count',
  'historical_key_bytes',
  'historical_value_bytes',
] as const);

/** Statements on the tier's own tables, by name (prepared once per connection). */
export const STATE_SQL = Object.freeze({
  readMeta: `SELECT value FROM ${META_TABLE} WHERE name = ?`,
  raiseLatest:
    `INSERT INTO ${META_TABLE} (name, value) VALUES ('latest_version', ?) ` +
    'ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)',
  readSetting: `SELECT value FROM ${SETTINGS_TABLE} WHERE name = ?`,
  writeSetting:
    `INSERT INTO ${SETTINGS_TABLE} (name, value) VALUES (?, ?) ` +
    'ON CONFLICT (name) DO UPDATE SET value = excluded.value',
  readFigures: `SELECT name, ${FIGURE_COLUMNS.join(', ')} FROM ${FIGURES_TABLE}`,
  writeFigures:
    `INSERT INTO ${FIGURES_TABLE} (name, ${FIGURE_COLUMNS.join(', ')}) VALUES (?, ?, ?, ?, ?, ?, ?) ` +
    `ON CONFLICT (name) DO UPDATE SET ${FIGURE_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')}`,
  forgetFigures: `DELETE FROM ${FIGURES_TABLE} WHERE name = ?`,
  readLog: `SELECT seq, record FROM ${LOG_TABLE} ORDER BY seq`,
  keepRecord: `INSERT OR REPLACE INTO ${LOG_TABLE} (seq, record) VALUES (?, ?)`,
  forgetRecord: `DELETE FROM ${LOG_TABLE} WHERE seq = ?`,
  listTables: "SELECT name FROM sqlite_schema WHERE type = 'table'",
  hasTable: "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?",
});

/** The name of a statement of {@link STATE_SQL}. */
export type StateStatement = keyof typeof STATE_SQL;

const SQL_NAME = /^t_(?:[0-9a-f]{2})+$/;

/** The hex of a store table name's UTF-8 bytes: the stem of its SQL names. */
function hexOf(table: string): string {
  return Buffer.from(table, 'utf8').toString('hex');
}

/** The SQL identifier (unquoted; only `[t_0-9a-f]`) of a store table. */
export function sqlTableName(table: string): string {
  return `t_${hexOf(table)}`;
}

/** The SQL identifier (unquoted; only `[h_0-9a-f]`) of a store table's horizons. */
export function sqlHorizonTableName(table: string): string {
  return `h_${hexOf(table)}`;
}

/** The SQL identifier (unquoted; only `[v_0-9a-f]`) of a store table's index by version. */
export function sqlVersionIndexName(table: string): string {
  return `v_${hexOf(table)}`;
}

/**
 * DDL creating the index by version of a store table's SQL table: run with
 * the table's creation, and by the upgrade to format 3 for each table of an
 * older file (migrations.ts), so that every table of a current file has it
 * and a read-only open never needs to create it.
 */
export function createVersionIndexSql(table: string): string {
  return `CREATE INDEX IF NOT EXISTS "${sqlVersionIndexName(table)}" ON "${sqlTableName(table)}" (version, key)`;
}

/** The meta row holding a store table's readable floor. */
export function floorMetaName(table: string): string {
  return `readable_floor:${hexOf(table)}`;
}

/** The meta row holding a store table's erased top (see abstract-tier.ts). */
export function erasedTopMetaName(table: string): string {
  return `erased_top:${hexOf(table)}`;
}

/** DDL creating the horizon table of a store table (on its first horizon). */
export function createHorizonTableSql(table: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS "${sqlHorizonTableName(table)}" ` +
    '(key BLOB NOT NULL PRIMARY KEY, erased_from INTEGER NOT NULL, ' +
    'readable_from INTEGER NOT NULL) STRICT, WITHOUT ROWID'
  );
}

/** Upsert raising a table's readable floor or erased top (bound: the meta name, the value). */
export const RAISE_FLOOR_SQL =
  `INSERT INTO ${META_TABLE} (name, value) VALUES (?, ?) ` +
  'ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)';

/** The store table an SQL identifier stands for, or `undefined` if it is none of ours. */
export function storeTableName(sqlName: string): string | undefined {
  if (!SQL_NAME.test(sqlName)) return undefined;
  const table = Buffer.from(sqlName.slice(2), 'hex').toString('utf8');
  if (sqlTableName(table) !== sqlName) return undefined;
  try {
    return checkTableName(table);
  } catch (error) {
    if (isStoreError(error)) return undefined;
    throw error;
  }
}

/** DDL creating the SQL table of a store table. */
export function createTableSql(table: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS "${sqlTableName(table)}" ` +
    '(key BLOB NOT NULL, version INTEGER NOT NULL, value BLOB, PRIMARY KEY (key, version)) ' +
    'STRICT, WITHOUT ROWID'
  );
}

/** The store tables of a database, from its SQL schema. */
export function listStoreTables(db: Connection): string[] {
  const names = db.prepare(STATE_SQL.listTables).pluck().all() as string[];
  const tables: string[] = [];
  for (const name of names) {
    const table = storeTableName(name);
    if (table !== undefined) tables.push(table);
  }
  return tables;
}
