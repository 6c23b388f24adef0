/**
 * Connecting: the options of `connect`, the pool, the schema and
 * the table declarations.
 *
 * ```
 *   { postgres: { connectionString | pool, schema }, tables?, dropWorker?, logger?, clock? }
 *     │ resolveConnect: the store options through the embedded store's resolveOptions
 *     ▼
 *   pool (made here, or the caller's) ─► CREATE SCHEMA / tables IF NOT EXISTS
 *     ─► under the oracle lock: decideTables (the embedded store's rule) ─► CREATE store tables
 * ```
 *
 * Several processes may connect at once: DDL races (two `CREATE ... IF NOT
 * EXISTS` of one object) are run again, and the declarations are decided
 * under the oracle row lock, so every process agrees on them.
 *
 * @module
 */

import { describe } from '../common/bytes.js';
import { InvalidInputError } from '../common/errors.js';
import { isPlainObject, objectExpected, rejectUnknownProperties } from '../common/properties.js';
import {
  type MultiStoreOptions,
  resolveOptions,
  type StoreConfig,
  type TableConfig,
} from '../store/options.js';
import { decideTables, TABLES_SETTING } from '../store/table-catalog.js';
import { lockOracle } from './commit.js';
import type { Database, PostgresPool, Sql } from './database.js';
import { quoteIdent, SqlNames, schemaStatements, tableStatements } from './schema.js';

/** Where the store lives on PostgreSQL. */
export interface PostgresOptions {
  /** A connection string (`postgresql://user@host:port/db`); without it and `pool`, libpq's PG* variables apply. */
  readonly connectionString?: string;
  /** A pool of your own, a node-postgres `pg.Pool` (the store uses it and never ends it). */
  readonly pool?: PostgresPool;
  /** The schema holding the store's tables (default `multistore`); created when missing. */
  readonly schema?: string;
  /** Most connections of the pool the store makes (default 10). */
  readonly maxConnections?: number;
}

/** The embedded store's options that `connect` does not take (refused by name). */
type EmbeddedOnly =
  | 'path'
  | 'tier'
  | 'actorMode'
  | 'keyEncoding'
  | 'valueEncoding'
  | 'synchronous'
  | 'readOnly'
  | 'sqlite';

/**
 * What `connect` accepts: the embedded store's options but the file and its
 * SQLite settings, the tier, the actor mode, read-only opens and the key and
 * value encodings (keys and values are bytes or strings, as with the default
 * `binary` encodings).
 */
export interface ConnectOptions extends Omit<MultiStoreOptions, EmbeddedOnly> {
  readonly postgres: PostgresOptions;
}

/** Validated connect options. */
export interface ConnectConfig {
  readonly store: StoreConfig;
  readonly schema: string;
  readonly pool: PostgresPool | undefined;
  readonly connectionString: string | undefined;
  readonly maxConnections: number;
}

const CONNECT_OPTIONS = ['postgres', 'tables', 'clock', 'dropWorker', 'logger'];
/** Options of the embedded store the PostgreSQL store does not take (yet): refused by name. */
const EMBEDDED_ONLY: readonly EmbeddedOnly[] = [
  'keyEncoding',
  'valueEncoding',
  'path',
  'tier',
  'actorMode',
  'synchronous',
  'readOnly',
  'sqlite',
];
const POSTGRES_OPTIONS = ['connectionString', 'pool', 'schema', 'maxConnections'];

function fail(message: string): never {
  throw new InvalidInputError('INVALID_OPTIONS', message);
}

/** Why the PostgreSQL store refuses an option of the embedded store. */
function whyNot(name: EmbeddedOnly): string {
  if (name === 'keyEncoding' || name === 'valueEncoding')
    return 'keys and values are bytes or strings there';
  if (name === 'actorMode') return 'it has no actor modes';
  return 'its data lives in the PostgreSQL server, not in a file of its own';
}

/** Validate `connect` options (INVALID_OPTIONS for anything wrong or unknown). */
export function resolveConnect(options: unknown): ConnectConfig {
  if (!isPlainObject(options)) {
    fail(objectExpected(`connect options`, options));
  }
  for (const name of EMBEDDED_ONLY) {
    if (name in options) {
      fail(
        `the PostgreSQL store does not take ${name} (${whyNot(name)}); see the README, "PostgreSQL"`,
      );
    }
  }
  rejectUnknownProperties(options, CONNECT_OPTIONS, 'connect options', 'INVALID_OPTIONS');
  const { postgres, ...rest } = options as ConnectOptions;
  if (!isPlainObject(postgres)) {
    fail(objectExpected('postgres ({ connectionString, pool, schema })', postgres));
  }
  rejectUnknownProperties(postgres, POSTGRES_OPTIONS, 'postgres options', 'INVALID_OPTIONS');
  const { connectionString, pool, schema = 'multistore', maxConnections = 10 } = postgres;
  if (connectionString !== undefined && typeof connectionString !== 'string') {
    fail(`postgres.connectionString must be a string, got ${describe(connectionString)}`);
  }
  if (pool !== undefined && (typeof pool !== 'object' || typeof pool?.connect !== 'function')) {
    fail(`postgres.pool must be a pg.Pool, got ${describe(pool)}`);
  }
  if (pool !== undefined && connectionString !== undefined) {
    fail('postgres takes a connectionString or a pool, not both');
  }
  if (
    typeof schema !== 'string' ||
    schema === '' ||
    Buffer.byteLength(schema) > 63 ||
    schema.includes('\0')
  ) {
    fail(`postgres.schema must be a non-empty name of at most 63 bytes, got ${describe(schema)}`);
  }
  if (!Number.isSafeInteger(maxConnections) || maxConnections < 1) {
    fail(`postgres.maxConnections must be a positive integer, got ${describe(maxConnections)}`);
  }
  const store = resolveOptions(rest);
  return Object.freeze({ store, schema, pool, connectionString, maxConnections });
}

/** SQLSTATEs of a concurrent `CREATE ... IF NOT EXISTS` of the same object. */
const DDL_RACES = new Set(['23505', '42P07', '42710']);

/** Create the shared objects (idempotent, safe to race). */
export async function createSchema(db: Database, names: SqlNames): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await db.transaction(async (sql) => {
        for (const statement of schemaStatements(names)) await sql.query(statement);
      });
      return;
    } catch (error) {
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      if (attempt < 5 && typeof code === 'string' && DDL_RACES.has(code)) continue;
      throw error;
    }
  }
}

/** Decide the tables (see `table-catalog.ts`) and create them; returns them. */
export async function setUpTables(
  db: Database,
  names: SqlNames,
  config: StoreConfig,
): Promise<readonly TableConfig[]> {
  return db.transaction(async (sql) => {
    await lockOracle(sql, names);
    const { rows } = await sql.query(`SELECT value FROM ${names.settings} WHERE name = $1`, [
      TABLES_SETTING,
    ]);
    const text = (rows[0] as { value: string } | undefined)?.value;
    const data = await holdsData(sql, names);
    const decision = decideTables(
      text,
      config.tables,
      config.tablesDeclared,
      () => data,
      () => {
        throw new InvalidInputError(
          'INVALID_OPTIONS',
          'the declared tables change the routing of a store that holds data: connect without tables to use the stored ones (the postgres store does not check which keys would move)',
        );
      },
    );
    if (decision.store !== undefined) {
      await sql.query(
        `INSERT INTO ${names.settings} (name, value) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`,
        [TABLES_SETTING, decision.store],
      );
    }
    for (const table of decision.tables) await ensureTable(sql, names, table.name);
    return decision.tables;
  });
}

/** Create a store table and its stats row (idempotent). */
export async function ensureTable(sql: Sql, names: SqlNames, table: string): Promise<void> {
  const [create, index, stats] = tableStatements(names, table) as [string, string, string];
  await sql.query(create);
  await sql.query(index);
  await sql.query(stats, [table]);
}

/** True when any store table holds a row (a tombstone too). */
async function holdsData(sql: Sql, names: SqlNames): Promise<boolean> {
  const { rows } = await sql.query(`SELECT table_name FROM ${names.stats}`);
  for (const { table_name: table } of rows as { table_name: string }[]) {
    const found = await sql.query(`SELECT 1 FROM ${names.table(table)} LIMIT 1`);
    if (found.rows.length > 0) return true;
  }
  return false;
}

/** The SQL names of a schema. */
export function namesOf(schema: string): SqlNames {
  return new SqlNames(schema);
}

/** Drop a schema and everything in it (tests: a fresh store per schema). */
export async function dropSchema(db: Database, schema: string): Promise<void> {
  await db.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
}
