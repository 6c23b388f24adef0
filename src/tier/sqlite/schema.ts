/**
 * The SQLite schema: one SQL table per store table, plus one meta table.
 *
 * ```
 *   multistore_meta (name TEXT PRIMARY KEY, value INTEGER)
 *       format          1
 *       latest_version  highest version ever passed to set
 *   multistore_settings (name TEXT PRIMARY KEY, value TEXT)
 *       tables          the store's table declarations (JSON)
 *   t_6d756c7469 (key BLOB, version INTEGER, value BLOB NULL,
 *                 PRIMARY KEY (key, version)) STRICT, WITHOUT ROWID
 *       ^ "multi" as hex of its UTF-8 bytes         value NULL = tombstone
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

/** The on-disk layout this code reads and writes. */
export const FORMAT_VERSION = 1;

const SQL_NAME = /^t_(?:[0-9a-f]{2})+$/;

/** The SQL identifier (unquoted; only `[t_0-9a-f]`) of a store table. */
export function sqlTableName(table: string): string {
  return `t_${Buffer.from(table, 'utf8').toString('hex')}`;
}

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
        FORMAT_VERSION,
      );
      const format = readMeta(db, 'format');
      if (format !== FORMAT_VERSION) {
        throw new TierIoError(`unsupported multistore file format ${format}`, undefined);
      }
      return { latestVersion: readMeta(db, 'latest_version') ?? 0, tables: listTables(db) };
    })
    .immediate();
}

function readMeta(db: Connection, name: string): number | undefined {
  const row = db.prepare(`SELECT value FROM ${META_TABLE} WHERE name = ?`).pluck().get(name);
  return row === undefined ? undefined : Number(row);
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
