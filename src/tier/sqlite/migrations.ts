/**
 * The file format and its migrations: the one place that knows every format.
 *
 * `multistore_meta.format` says which layout a file has. Each format is one
 * entry of {@link MIGRATIONS}: the step that turns a file of the previous
 * format into it. A new file is format 0 (no tables at all) and runs every
 * step; an older file runs the steps it lacks. The steps run, and the format
 * is raised, inside ONE transaction when the file is opened for writing, so
 * a crash during a migration leaves the file as it was:
 *
 * ```
 *   format 0 (empty file) ──1──► meta + settings ──2──► horizons ──3──► figures + log
 *   format 1 (no horizon written yet) ──────────────┘           │       (figures recounted),
 *   format 2 (horizons written: transactions' erasures) ────────┘       index by version
 * ```
 *
 * Formats 1 and 2 are what the code before the figures moved into the file
 * wrote: a file started as format 1 and became format 2 in the transaction
 * of its first horizon (so that code knowing nothing of horizons refused
 * it). Step 2 adds nothing to a file: horizon tables and floors are still
 * created with a table's first horizon.
 *
 * A read-only open cannot migrate: it reads the current format only, and
 * names the reason otherwise (`TIER_IO`). A file of a newer format than this
 * code knows is refused both ways, since reading it could miss what it added,
 * and before a writer sets anything on it (its journal mode): nothing is
 * written to a file this code refuses.
 * Adding a format is adding one entry here (and its DDL in schema.ts).
 *
 * Step 3 recounts the figures of every store table in SQL, one pass per
 * table (O(stored versions), once): the same rule as the store's recount
 * (the newest version of a key is current when it is a value; everything
 * else is historical; key bytes are the key's length + 10), which
 * `store.verify()` then checks from the other side. It also gives every
 * table its index by version (the change feed's, schema.ts) where an older
 * file lacks it, so that a format-3 file always has it: a read-only store
 * reads changes and diffs from it without creating anything.
 *
 * @module
 */

import { TierIoError } from '../../common/errors.js';
import type { Connection } from './load.js';
import {
  createVersionIndexSql,
  FIGURE_COLUMNS,
  FIGURES_TABLE,
  LOG_TABLE,
  listStoreTables,
  META_TABLE,
  SETTINGS_TABLE,
  sqlTableName,
} from './schema.js';

/** One step of the file format: what makes a file of format `to - 1` one of format `to`. */
export interface Migration {
  readonly to: number;
  /** What the step adds, for messages and the documentation. */
  readonly adds: string;
  run(db: Connection): void;
}

/** Every format step, in order. */
export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    to: 1,
    adds: 'the meta and settings tables',
    run(db: Connection): void {
      db.exec(
        `CREATE TABLE IF NOT EXISTS ${META_TABLE} ` +
          '(name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT, WITHOUT ROWID',
      );
      db.exec(
        `CREATE TABLE IF NOT EXISTS ${SETTINGS_TABLE} ` +
          '(name TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT, WITHOUT ROWID',
      );
    },
  },
  {
    to: 2,
    adds: 'horizons (their tables and floors come with the first horizon of a table)',
    run(): void {},
  },
  {
    to: 3,
    adds: 'statistics figures and the drop log kept in the file, and every table indexed by version',
    run(db: Connection): void {
      const figures = FIGURE_COLUMNS.map((column) => `${column} INTEGER NOT NULL`).join(', ');
      db.exec(
        `CREATE TABLE ${FIGURES_TABLE} (name TEXT PRIMARY KEY, ${figures}) STRICT, WITHOUT ROWID`,
      );
      db.exec(`CREATE TABLE ${LOG_TABLE} (seq INTEGER PRIMARY KEY, record BLOB NOT NULL) STRICT`);
      for (const table of listStoreTables(db)) {
        recountIntoFigures(db, table);
        db.exec(createVersionIndexSql(table));
      }
    },
  },
]);

/** The format this code reads and writes. */
export const FORMAT_VERSION = (MIGRATIONS.at(-1) as Migration).to;

/** Recount one store table's figures (the rule in the module documentation). */
function recountIntoFigures(db: Connection, table: string): void {
  const current = 'cur';
  const sums = [
    `sum(${current})`,
    `sum(${current} * (length(key) + 10))`,
    `sum(${current} * coalesce(length(value), 0))`,
    `sum(1 - ${current})`,
    `sum((1 - ${current}) * (length(key) + 10))`,
    `sum((1 - ${current}) * coalesce(length(value), 0))`,
  ].map((sum) => `coalesce(${sum}, 0)`);
  db.prepare(
    `INSERT INTO ${FIGURES_TABLE} (name, ${FIGURE_COLUMNS.join(', ')}) SELECT ?, ${sums.join(', ')} ` +
      `FROM (SELECT key, value, (value IS NOT NULL AND version = max(version) OVER (PARTITION BY key)) AS ${current} ` +
      `FROM "${sqlTableName(table)}")`,
  ).run(table);
}

/** The format of an open database: 0 when it has no meta table (a new file). */
export function readFormat(db: Connection): number {
  const meta = db
    .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?")
    .pluck()
    .get(META_TABLE);
  if (meta === undefined) return 0;
  const format = db.prepare(`SELECT value FROM ${META_TABLE} WHERE name = 'format'`).pluck().get();
  return format === undefined ? 0 : Number(format);
}

/**
 * Bring a database opened for writing to {@link FORMAT_VERSION}, in one
 * transaction; returns the format it had. Throws `TIER_IO` for a newer format.
 */
export function migrate(db: Connection): number {
  return db
    .transaction(() => {
      const format = readFormat(db);
      refuseNewer(format);
      for (const migration of MIGRATIONS) {
        if (migration.to <= format) continue;
        migration.run(db);
        db.prepare(
          `INSERT INTO ${META_TABLE} (name, value) VALUES ('format', ?) ` +
            'ON CONFLICT (name) DO UPDATE SET value = excluded.value',
        ).run(migration.to);
      }
      return format;
    })
    .immediate();
}

/** Check that a database opened read-only has the current format (it cannot be migrated). */
export function checkReadable(db: Connection): void {
  const format = readFormat(db);
  refuseNewer(format);
  if (format === 0) {
    throw new TierIoError('not a multistore file (open it for writing to create one)', undefined);
  }
  if (format < FORMAT_VERSION) {
    throw new TierIoError(
      `the file has format ${format}, which a read-only open cannot upgrade to ${FORMAT_VERSION}: open it once for writing`,
      undefined,
    );
  }
}

/**
 * Refuse a database of a newer format than this code knows (`TIER_IO`);
 * reads only, so a writer checks it before setting anything on the file.
 */
export function refuseNewerFormat(db: Connection): void {
  refuseNewer(readFormat(db));
}

function refuseNewer(format: number): void {
  if (format > FORMAT_VERSION) {
    throw new TierIoError(
      `unsupported multistore file format ${format} (this version reads up to ${FORMAT_VERSION})`,
      undefined,
    );
  }
}
