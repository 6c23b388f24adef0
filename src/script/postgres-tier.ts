/**
 * A script's schema on PostgreSQL: the store runners connect an
 * `AsyncMultiStore` to it, the tier runner writes its tables directly.
 *
 * ```
 *   tier runner command      SQL on "<schema>"."t:<table>"
 *   set / delete             INSERT (key, version, value | NULL)
 *   drop                     DELETE every version of the key
 *   get / contains           newest row at or below the runner's version
 *   range / scan / counts    pages of one row per key (DISTINCT ON), through the key cursor
 *   clear_table              DELETE every row
 * ```
 *
 * @module
 */

import type { Clock } from '../runtime/clock.js';
import type { TableDeclaration } from '../store/options.js';
import type { Bound, TierEntry } from '../tier/tier.js';
import { checkTableName } from '../tier/validate.js';
import type { PostgresTarget } from './runner.js';
import type { RunnerTier } from './tier-runner.js';

/** A fresh schema for one script, and how to remove it. */
export async function scriptSchema(
  url: string,
  schema: string,
): Promise<{ target: PostgresTarget; dispose(): Promise<void> }> {
  const { default: pg } = await import('pg');
  const { AsyncMultiStore } = await import('../postgres/async-store.js');
  const { Database } = await import('../postgres/database.js');
  const { createSchema, dropSchema, namesOf } = await import('../postgres/setup.js');
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => {}); // a dropped idle connection: the next query reconnects
  const db = new Database(pool, true);
  await dropSchema(db, schema);
  const target: PostgresTarget = {
    connect: (options: { clock?: Clock; tables?: readonly TableDeclaration[] }) =>
      AsyncMultiStore.connect({
        postgres: { connectionString: url, schema, maxConnections: 4 },
        ...options,
      }),
    openTier: async () => {
      const names = namesOf(schema);
      await createSchema(db, names);
      return postgresRunnerTier(db, names);
    },
  };
  return {
    target,
    dispose: async () => {
      try {
        await dropSchema(db, schema);
      } finally {
        await db.close();
      }
    },
  };
}

type Database = import('../postgres/database.js').Database;
type SqlNames = import('../postgres/schema.js').SqlNames;

async function postgresRunnerTier(db: Database, names: SqlNames): Promise<RunnerTier> {
  const { Rows, asBuffer } = await import('../postgres/rows.js');
  const { ensureTable } = await import('../postgres/setup.js');
  const rows = new Rows(names);
  const sql = db.sql;
  return {
    // The embedded tiers' name rules, checked before any SQL (every command ensures its table).
    ensureTable: (table) =>
      db.transaction((client) => ensureTable(client, names, checkTableName(table))),
    write: (version, table, key, value) =>
      db.transaction((client) =>
        rows.write(client, table, version, new Map([['', { key, value }]])),
      ),
    dropAll: async (table, key) => {
      await sql.query(`DELETE FROM ${names.table(table)} WHERE key = $1`, [asBuffer(key)]);
    },
    latest: async (table, key, version) =>
      (await rows.entry(sql, table, key, version)).entry?.value,
    entries: (table, start, end, version, pageSize) =>
      pagesOf(rows, sql, table, { start, end, version, pageSize }),
    clear: async (table) => {
      await sql.query(`DELETE FROM ${names.table(table)}`);
    },
    close: () => {},
  };
}

async function* pagesOf(
  rows: import('../postgres/rows.js').Rows,
  sql: import('../postgres/database.js').Sql,
  table: string,
  read: { start: Bound; end: Bound; version: number; pageSize: number },
): AsyncGenerator<TierEntry, void> {
  let after: Uint8Array | undefined;
  for (;;) {
    const { start, end, version, pageSize } = read;
    const page = await rows.page(sql, table, {
      start,
      end,
      version,
      after,
      limit: pageSize,
      reverse: false,
    });
    yield* page;
    if (page.length < pageSize) return;
    after = (page.at(-1) as TierEntry).key;
  }
}
