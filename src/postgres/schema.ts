/**
 * The SQL schema of a store on PostgreSQL, created on first connect.
 *
 * ```
 *   "<schema>"."settings"       name text PK, value text            (the table declarations)
 *   "<schema>"."oracle"         id 1, latest bigint                 (the version oracle's one row)
 *   "<schema>"."stats"          table_name PK, six figures, readable_floor, erased_top
 *   "<schema>"."drop_requests"  id (commit order), table, key, constraints, ceiling, commit_version
 *   "<schema>"."range_drops"    id (the same order), bounds, constraints, ceiling, commit_version,
 *                               written keys, cursor (table, last key), held-back keys
 *   "<schema>"."horizons"       (table_name, key) PK, erased_from, readable_from
 *   "<schema>"."t:<name>"       key bytea, version bigint, value bytea NULL, PK (key, version)
 *                               index "v:<name>" on (version, key): the change feed's order
 * ```
 *
 * Every identifier goes through {@link quoteIdent}, so a schema or store
 * table name with quotes, dots or capitals is never read as SQL. A store
 * table's SQL name is `t:` and its name; a name too long for PostgreSQL's
 * 63-byte identifiers is `t#` and a SHA-256 prefix of it instead, so no two
 * store tables share a SQL table.
 *
 * Schemas evolve by idempotent statements run at every connect (`CREATE
 * ... IF NOT EXISTS`, `ADD COLUMN IF NOT EXISTS`), so a schema made by an
 * older version gains what is new the first time a newer one connects:
 * `erased_top` (NULL in old rows reads as the safe value) and `range_drops`
 * (an old schema has no range drop to carry over: its range drops were
 * stored as per-key requests). There is no version number to migrate from.
 *
 * @module
 */

import { createHash } from 'node:crypto';

/** PostgreSQL cuts identifiers at 63 bytes. */
const MAX_IDENTIFIER_BYTES = 63;

/** `"name"`, with embedded quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The quoted, schema-qualified names of one store's SQL objects. */
export class SqlNames {
  readonly schema: string;
  readonly settings: string;
  readonly oracle: string;
  readonly stats: string;
  readonly dropRequests: string;
  readonly rangeDrops: string;
  readonly horizons: string;
  readonly #tables = new Map<string, string>();

  constructor(schema: string) {
    this.schema = quoteIdent(schema);
    this.settings = this.#qualified('settings');
    this.oracle = this.#qualified('oracle');
    this.stats = this.#qualified('stats');
    this.dropRequests = this.#qualified('drop_requests');
    this.rangeDrops = this.#qualified('range_drops');
    this.horizons = this.#qualified('horizons');
  }

  /** The qualified SQL table of store table `name`. */
  table(name: string): string {
    let sql = this.#tables.get(name);
    if (sql === undefined) {
      sql = this.#qualified(`t${sqlSuffix(name)}`);
      this.#tables.set(name, sql);
    }
    return sql;
  }

  /**
   * The (unqualified: an index lives in its table's schema) name of the
   * index by `(version, key)` of store table `name`: `v:<name>`, hashed as
   * the table's name is.
   */
  versionIndex(name: string): string {
    return quoteIdent(`v${sqlSuffix(name)}`);
  }

  #qualified(name: string): string {
    return `${this.schema}.${quoteIdent(name)}`;
  }
}

/** `:<name>`, or `#` and a SHA-256 prefix of it when `t:<name>` would not fit an identifier. */
function sqlSuffix(name: string): string {
  const plain = `:${name}`;
  const fits = Buffer.byteLength(plain, 'utf8') + 1 <= MAX_IDENTIFIER_BYTES;
  return fits ? plain : `#${createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 40)}`;
}

/** Statements creating the shared objects (idempotent). */
export function schemaStatements(names: SqlNames): string[] {
  return [
    `CREATE SCHEMA IF NOT EXISTS ${names.schema}`,
    `CREATE TABLE IF NOT EXISTS ${names.settings} (name text PRIMARY KEY, value text NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${names.oracle} (id integer PRIMARY KEY CHECK (id = 1), latest bigint NOT NULL)`,
    `INSERT INTO ${names.oracle} (id, latest) VALUES (1, 0) ON CONFLICT (id) DO NOTHING`,
    `CREATE TABLE IF NOT EXISTS ${names.stats} (
       table_name text PRIMARY KEY,
       current_count bigint NOT NULL DEFAULT 0,
       current_key_bytes bigint NOT NULL DEFAULT 0,
       current_value_bytes bigint NOT NULL DEFAULT 0,
       historical_count bigint NOT NULL DEFAULT 0,
       historical_key_bytes bigint NOT NULL DEFAULT 0,
       historical_value_bytes bigint NOT NULL DEFAULT 0,
       readable_floor bigint NOT NULL DEFAULT 0,
       erased_top bigint DEFAULT 0)`,
    // A schema made before feeds knew erased tops: NULL reads as the floor (the safe rule).
    `ALTER TABLE ${names.stats} ADD COLUMN IF NOT EXISTS erased_top bigint`,
    `CREATE TABLE IF NOT EXISTS ${names.dropRequests} (
       id bigserial PRIMARY KEY,
       table_name text NOT NULL,
       key bytea NOT NULL,
       up_to_version bigint,
       keep_last_versions bigint,
       pending_version bigint,
       ceiling bigint NOT NULL,
       commit_version bigint NOT NULL)`,
    // A range drop is one row, its id taken from drop_requests' sequence:
    // one commit order over both tables (drops.ts pages it).
    `CREATE TABLE IF NOT EXISTS ${names.rangeDrops} (
       id bigint PRIMARY KEY,
       start_kind text NOT NULL CHECK (start_kind IN ('unbounded', 'included', 'excluded')),
       start_key bytea,
       end_kind text NOT NULL CHECK (end_kind IN ('unbounded', 'included', 'excluded')),
       end_key bytea,
       up_to_version bigint,
       keep_last_versions bigint,
       ceiling bigint NOT NULL,
       commit_version bigint NOT NULL,
       written bytea[] NOT NULL,
       cursor_table text,
       cursor_key bytea,
       held_tables text[] NOT NULL DEFAULT '{}',
       held_keys bytea[] NOT NULL DEFAULT '{}')`,
    `CREATE TABLE IF NOT EXISTS ${names.horizons} (
       table_name text NOT NULL,
       key bytea NOT NULL,
       erased_from bigint NOT NULL,
       readable_from bigint NOT NULL,
       PRIMARY KEY (table_name, key))`,
  ];
}

/** Statements creating one store table (idempotent). */
export function tableStatements(names: SqlNames, table: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${names.table(table)} (
       key bytea NOT NULL,
       version bigint NOT NULL,
       value bytea,
       PRIMARY KEY (key, version))`,
    `CREATE INDEX IF NOT EXISTS ${names.versionIndex(table)}
       ON ${names.table(table)} (version, key)`,
    `INSERT INTO ${names.stats} (table_name) VALUES ($1) ON CONFLICT (table_name) DO NOTHING`,
  ];
}
