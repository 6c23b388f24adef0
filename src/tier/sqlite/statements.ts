/**
 * The SQL of one store table, prepared once and cached.
 *
 * Every statement a table needs is listed here, by name, as a template over
 * the table's generated identifier (schema.ts). A table prepares a statement
 * the first time it runs it and keeps it for its lifetime, so a hot path
 * never re-parses SQL.
 *
 * The read statements are each a single B-tree seek over the primary key
 * `(key, version)`, returning at most one row (`LIMIT 1`), with no sort and
 * no scan (the query-plan test in sqlite-tier.test.ts pins this):
 *
 * ```
 *   newest         key = ? AND version <= ?  ORDER BY version DESC LIMIT 1
 *   keyAfter       key > ?                   ORDER BY key          LIMIT 1
 *   keyBefore      key < ?                   ORDER BY key DESC     LIMIT 1
 *   (+ the inclusive and unbounded variants)
 * ```
 *
 * @module
 */

import type { Connection, Statement } from './load.js';
import { erasedTopMetaName, floorMetaName, sqlHorizonTableName, sqlTableName } from './schema.js';

const TEMPLATES = {
  newest:
    'SELECT version, value FROM $t WHERE key = ? AND version <= ? ORDER BY version DESC LIMIT 1',
  allVersions: 'SELECT version, value FROM $t WHERE key = ? ORDER BY version DESC',
  versionSizes: 'SELECT version, length(value) FROM $t WHERE key = ? ORDER BY version DESC',
  newestSize: 'SELECT version, length(value) FROM $t WHERE key = ? ORDER BY version DESC LIMIT 1',
  sizeAt: 'SELECT version, length(value) FROM $t WHERE key = ? AND version = ?',
  put:
    'INSERT INTO $t (key, version, value) VALUES (?, ?, ?) ' +
    'ON CONFLICT (key, version) DO UPDATE SET value = excluded.value',
  insert: 'INSERT INTO $t (key, version, value) VALUES (?, ?, ?)',
  remove: 'DELETE FROM $t WHERE key = ? AND version = ?',
  removeVersions: 'DELETE FROM $t WHERE key = ? AND version IN (SELECT value FROM json_each(?))',
  removeRange: 'DELETE FROM $t WHERE key = ? AND version BETWEEN ? AND ?',
  // Trimming on set: the oldest version a key keeps (its N-th highest), then
  // everything below it, with the sizes the statistics need.
  keptFrom: 'SELECT version FROM $t WHERE key = ? ORDER BY version DESC LIMIT 1 OFFSET ?',
  trimBelow: 'DELETE FROM $t WHERE key = ? AND version < ? RETURNING version, length(value)',
  clear: 'DELETE FROM $t',
  firstKey: 'SELECT key FROM $t ORDER BY key LIMIT 1',
  lastKey: 'SELECT key FROM $t ORDER BY key DESC LIMIT 1',
  keyAfter: 'SELECT key FROM $t WHERE key > ? ORDER BY key LIMIT 1',
  keyAtOrAfter: 'SELECT key FROM $t WHERE key >= ? ORDER BY key LIMIT 1',
  keyBefore: 'SELECT key FROM $t WHERE key < ? ORDER BY key DESC LIMIT 1',
  keyAtOrBefore: 'SELECT key FROM $t WHERE key <= ? ORDER BY key DESC LIMIT 1',
  // The horizon table ($h) exists once the table's first horizon is written.
  horizon: 'SELECT erased_from, readable_from FROM $h WHERE key = ?',
  widenHorizon:
    'INSERT INTO $h (key, erased_from, readable_from) VALUES (?, ?, ?) ' +
    'ON CONFLICT (key) DO UPDATE SET erased_from = min(erased_from, excluded.erased_from), ' +
    'readable_from = max(readable_from, excluded.readable_from)',
  clearHorizons: 'DELETE FROM $h',
  clearFloor: "DELETE FROM multistore_meta WHERE name = '$f'",
  readFloor: "SELECT value FROM multistore_meta WHERE name = '$f'",
  clearErasedTop: "DELETE FROM multistore_meta WHERE name = '$e'",
  readErasedTop: "SELECT value FROM multistore_meta WHERE name = '$e'",
  firstHorizon: 'SELECT key, erased_from, readable_from FROM $h ORDER BY key LIMIT 1',
  lastHorizon: 'SELECT key, erased_from, readable_from FROM $h ORDER BY key DESC LIMIT 1',
  horizonAfter: 'SELECT key, erased_from, readable_from FROM $h WHERE key > ? ORDER BY key LIMIT 1',
  horizonAtOrAfter:
    'SELECT key, erased_from, readable_from FROM $h WHERE key >= ? ORDER BY key LIMIT 1',
  horizonBefore:
    'SELECT key, erased_from, readable_from FROM $h WHERE key < ? ORDER BY key DESC LIMIT 1',
  horizonAtOrBefore:
    'SELECT key, erased_from, readable_from FROM $h WHERE key <= ? ORDER BY key DESC LIMIT 1',
} as const;

/** The name of one statement of a table. */
export type StatementName = keyof typeof TEMPLATES;

/** Every statement name, for tests that inspect them all. */
export const STATEMENT_NAMES = Object.freeze(Object.keys(TEMPLATES) as StatementName[]);

/** Statements that return a single value (a key, a floor), prepared in `pluck` mode. */
const KEY_STATEMENTS: ReadonlySet<StatementName> = new Set([
  'keptFrom',
  'readFloor',
  'readErasedTop',
  'firstKey',
  'lastKey',
  'keyAfter',
  'keyAtOrAfter',
  'keyBefore',
  'keyAtOrBefore',
]);

/** Statements that return rows as arrays, prepared in `raw` mode. */
const ROW_STATEMENTS: ReadonlySet<StatementName> = new Set([
  'trimBelow',
  'newest',
  'allVersions',
  'versionSizes',
  'newestSize',
  'sizeAt',
  'horizon',
  'firstHorizon',
  'lastHorizon',
  'horizonAfter',
  'horizonAtOrAfter',
  'horizonBefore',
  'horizonAtOrBefore',
]);

/** The SQL text of statement `name` for store table `table`. */
export function statementSql(name: StatementName, table: string): string {
  return TEMPLATES[name]
    .replace('$t', `"${sqlTableName(table)}"`)
    .replace('$h', `"${sqlHorizonTableName(table)}"`)
    .replace('$f', floorMetaName(table))
    .replace('$e', erasedTopMetaName(table));
}

/** The prepared statements of one store table, prepared on first use. */
export class TableStatements {
  readonly #db: Connection;
  readonly #table: string;
  readonly #prepared = new Map<StatementName, Statement>();

  constructor(db: Connection, table: string) {
    this.#db = db;
    this.#table = table;
  }

  /** The prepared statement `name`. */
  get(name: StatementName): Statement {
    let statement = this.#prepared.get(name);
    if (statement === undefined) {
      statement = this.#db.prepare(statementSql(name, this.#table));
      if (KEY_STATEMENTS.has(name)) statement.pluck();
      else if (ROW_STATEMENTS.has(name)) statement.raw();
      this.#prepared.set(name, statement);
    }
    return statement;
  }
}
