/**
 * The SQLite schema: one SQL table per store table, plus one meta table.
 *
 * ```
 *   multistore_meta (name TEXT PRIMARY KEY, value INTEGER)
 *       format          1, or 2 once a horizon was written
 *       latest_version  highest version ever passed to set
 *       readable_floor:6d756c7469   the table's highest readable_from
 *   multistore_settings (name TEXT PRIMARY KEY, value TEXT)
 *       tables          the store's table declarations (JSON)
 *   t_6d756c7469 (key BLOB, version INTEGER, value BLOB NULL,
 *                 PRIMARY KEY (key, version)) STRICT, WITHOUT ROWID
 *       ^ "multi" as hex of its UTF-8 bytes         value NULL = tombstone
 *   v_6d756c7469 ON t_6d756c7469 (version, key)   the table's index by version
 *                 (change pages; created with the table, or by the first change page
 *                 of a table an older file holds)
 *   h_6d756c7469 (key BLOB PRIMARY KEY, erased_from INTEGER, readable_from INTEGER)
 *                 STRICT, WITHOUT ROWID       the table's horizons, created with the first
 * ```
 *
 * A store table name never reaches SQL: its SQL identifier is `t_` followed
 * by the lower-case hex of the name's UTF-8 bytes, a string of `[t_0-9a-f]`
 * only, so no name (quotes, `"; DROP TABLE`, unicode, 256 bytes) can change
 * a statement or reach another table. The mapping is one-to-one, and being
 * lower-case it cannot collide under SQLite's case-insensitive identifiers.
 * Reopening lists the store tables by decoding these identifiers back.
 *
 * WITHOUT ROWID stores rows in primary-key order, so the rows of a key are
 * adjacent and sorted by version: "newest version <= V" and "next key after
 * K" are each one B-tree seek.
 *
 * @module
 */

import { isStoreError, TierIoError } from '../../common/errors.js';
import { checkTableName } from '../validate.js';
import type { Connection } from './load.js';

/** The table holding the tier's own metadata. */
export const META_TABLE = 'multistore_meta';

/** The table holding settings the store keeps beside its data. */
export const SETTINGS_TABLE = 'multistore_settings';

/** Read one setting. */
export const READ_SETTING_SQL = `SELECT value FROM ${SETTINGS_TABLE} WHERE name = ?`;

/** Write one setting. */
export const WRITE_SETTING_SQL =
  `INSERT INTO ${SETTINGS_TABLE} (name, value) VALUES (?, ?) ` +
  'ON CONFLICT (name) DO UPDATE SET value = excluded.value';

/** The layout of a file without horizons: what a new file starts as. */
export const BASE_FORMAT = 1;

/**
 * The layout of a file that holds horizons (and the newest this code reads).
 * The first horizon written raises a file to it, in the same transaction, so
 * that code which knows nothing of horizons (and would read erased history
 * as absent) refuses the file instead.
 */
export const FORMAT_VERSION = 2;

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
 * the table's creation, and by the first change page of a table found in a
 * file (a file written before the index existed gets it then, once, built
 * from its rows; opening writes nothing for it, and the format stays the
 * same, since code without change reads simply never uses it).
 */
export function createVersionIndexSql(table: string): string {
  return `CREATE INDEX IF NOT EXISTS "${sqlVersionIndexName(table)}" ON "${sqlTableName(table)}" (version, key)`;
}

/** The meta row holding a store table's readable floor. */
export function floorMetaName(table: string): string {
  return `readable_floor:${hexOf(table)}`;
}

/** DDL creating the horizon table of a store table (on its first horizon). */
export function createHorizonTableSql(table: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS "${sqlHorizonTableName(table)}" ` +
    '(key BLOB NOT NULL PRIMARY KEY, erased_from INTEGER NOT NULL, ' +
    'readable_from INTEGER NOT NULL) STRICT, WITHOUT ROWID'
  );
}

/** Upsert raising a table's readable floor (bound: the meta name, the floor). */
export const RAISE_FLOOR_SQL =
  `INSERT INTO ${META_TABLE} (name, value) VALUES (?, ?) ` +
  'ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)';

/** Raise the file's format to {@link FORMAT_VERSION} (the first horizon). */
export const RAISE_FORMAT_SQL = `UPDATE ${META_TABLE} SET value = ${FORMAT_VERSION} WHERE name = 'format' AND value < ${FORMAT_VERSION}`;

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

/** Upsert raising the recorded latest version, never lowering it. */
export const RAISE_LATEST_SQL =
  `INSERT INTO ${META_TABLE} (name, value) VALUES ('latest_version', ?) ` +
  'ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)';

/** What a database holds when it is opened. */
export interface StoredState {
  readonly latestVersion: number;
  readonly tables: readonly string[];
  /** The tables that have a horizon table, each with its readable floor. */
  readonly horizons: ReadonlyMap<string, number>;
}

/** Create the meta table if needed, check the format, and read the stored state. */
export function initSchema(db: Connection): StoredState {
  return db
    .transaction(() => {
      db.exec(
        `CREATE TABLE IF NOT EXISTS ${META_TABLE} ` +
          '(name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT, WITHOUT ROWID',
      );
      db.exec(
        `CREATE TABLE IF NOT EXISTS ${SETTINGS_TABLE} ` +
          '(name TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT, WITHOUT ROWID',
      );
      db.prepare(`INSERT OR IGNORE INTO ${META_TABLE} (name, value) VALUES ('format', ?)`).run(
        BASE_FORMAT,
      );
      const format = readMeta(db, 'format');
      if (format === undefined || format < BASE_FORMAT || format > FORMAT_VERSION) {
        throw new TierIoError(`unsupported multistore file format ${format}`, undefined);
      }
      const tables = listTables(db);
      return {
        latestVersion: readMeta(db, 'latest_version') ?? 0,
        tables,
        horizons: listHorizons(db, tables),
      };
    })
    .immediate();
}

function readMeta(db: Connection, name: string): number | undefined {
  const row = db.prepare(`SELECT value FROM ${META_TABLE} WHERE name = ?`).pluck().get(name);
  return row === undefined ? undefined : Number(row);
}

/** The tables whose horizon table exists, with their floors (0 when none recorded). */
function listHorizons(db: Connection, tables: readonly string[]): Map<string, number> {
  const names = new Set(
    db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[],
  );
  const horizons = new Map<string, number>();
  for (const table of tables) {
    if (!names.has(sqlHorizonTableName(table))) continue;
    horizons.set(table, readMeta(db, floorMetaName(table)) ?? 0);
  }
  return horizons;
}

function listTables(db: Connection): string[] {
  const names = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
    .pluck()
    .all() as string[];
  const tables: string[] = [];
  for (const name of names) {
    const table = storeTableName(name);
    if (table !== undefined) tables.push(table);
  }
  return tables;
}
