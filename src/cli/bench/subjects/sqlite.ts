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
 * The variants ({@link RAW_SQLITE_VARIANTS}) change one thing each, or one
 * pair: `better-sqlite3-exclusive` takes exclusive locking (the WAL index
 * in the connection's heap), the peer of the tier opened with `sqlite: {
 * locking: 'exclusive' }`; `better-sqlite3-no-index` leaves out the index
 * by version, which shows what that index costs the writes;
 * `better-sqlite3-group` is durable and grouped as the tier's group commit
 * (`synchronous = FULL`, and the commits of one turn in one transaction),
 * the peer of `multistore-sqlite-group`: what SQLite itself reaches on
 * durable writes, the ceiling of the tier against lmdb.
 *
 * ```
 *   write   no group open? BEGIN, and end the group at the next turn (setImmediate)
 *           the batch's INSERTs, straight into the open transaction
 *           writes >= GROUP_WRITES (10,000, the store's bound)? COMMIT now
 *   end     COMMIT (synced: FULL), then whoever waits in settle() resumes
 *   dropOld, close   end the open group first, as the tier does
 * ```
 *
 * A grouped batch has no savepoint of its own: the raw peer cannot fail one
 * commit alone, which the store's groups can (a savepoint per commit), so
 * the two differ by that too, and it is part of the store's price.
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
import { GROUP_WRITES } from '../../../store/commit-group.js';
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
  | 'better-sqlite3-no-index'
  | 'better-sqlite3-group';

/** What a variant of the peer sets up. */
interface RawSqliteVariant {
  /** SQLite's locking mode: `normal` (the tier's default) or `exclusive`. */
  readonly locking: 'normal' | 'exclusive';
  /** Whether the table has the tier's index by version. */
  readonly versionIndex: boolean;
  /** `FULL`: the WAL synced at every COMMIT (durable); `NORMAL`: at checkpoints only. */
  readonly synchronous: 'NORMAL' | 'FULL';
  /** The commits of one turn share one transaction (else one transaction per commit). */
  readonly grouped: boolean;
}

const MAIN: RawSqliteVariant = Object.freeze({
  locking: 'normal',
  versionIndex: true,
  synchronous: 'NORMAL',
  grouped: false,
});

/** The peer and its variants. */
export const RAW_SQLITE_VARIANTS: Readonly<Record<RawSqliteImpl, RawSqliteVariant>> = Object.freeze(
  {
    'better-sqlite3': MAIN,
    'better-sqlite3-exclusive': { ...MAIN, locking: 'exclusive' },
    'better-sqlite3-no-index': { ...MAIN, versionIndex: false },
    'better-sqlite3-group': { ...MAIN, synchronous: 'FULL', grouped: true },
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
  const { locking, versionIndex, synchronous, grouped } = RAW_SQLITE_VARIANTS[impl];
  const db = new Database(join(options.dir, 'raw.db'));
  // Before the journal mode, as the tier does: the WAL index goes to the heap.
  if (locking === 'exclusive') db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  db.exec(createTableSql(DEFAULT_TABLE));
  if (versionIndex) db.exec(createVersionIndexSql(DEFAULT_TABLE));
  return new RawSqliteSubject(db, grouped);
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

  /** `better-sqlite3-group`: the open transaction the writes join (else a transaction per batch). */
  readonly #group: WriteGroup | undefined;

  constructor(db: Database.Database, grouped: boolean) {
    this.#db = db;
    this.#group = grouped ? new WriteGroup(db) : undefined;
    this.#newest = db.prepare(SQL.newest).raw(true);
    this.#scan = db.prepare(SQL.scan).raw(true);
    this.#scanToEnd = db.prepare(SQL.scanToEnd).raw(true);
    this.#count = db.prepare(SQL.count).pluck(true);
    const put = db.prepare(SQL.put);
    const insert = (batch: WriteBatch): void => {
      const { keys, values, version } = batch;
      for (let i = 0; i < keys.length; i++) put.run(keys[i], version, values[i]);
    };
    const group = this.#group;
    this.#writeBatch =
      group === undefined
        ? db.transaction(insert)
        : (batch) => group.add(batch.keys.length, () => insert(batch));
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
    this.#group?.end();
    this.#dropOld(keys);
  }

  settle(): Promise<void> {
    return this.#group?.ended() ?? Promise.resolve();
  }

  versionCount(key: Uint8Array): number {
    return this.#count.get(key) as number;
  }

  close(): Promise<void> {
    this.#group?.end();
    this.#db.close();
    return Promise.resolve();
  }
}

/**
 * The open transaction of `better-sqlite3-group`: the writes of one turn,
 * committed together at the next turn or once it holds
 * {@link GROUP_WRITES} writes, as the store's commit group does.
 */
class WriteGroup {
  readonly #begin: Statement;
  readonly #commit: Statement;
  #writes = 0;
  /** The open group's end, for `ended()` (`undefined`: no group open). */
  #open: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined;
  /** A COMMIT that failed at a turn's end, for the next `ended()`. */
  #failure: unknown;

  constructor(db: Database.Database) {
    this.#begin = db.prepare('BEGIN');
    this.#commit = db.prepare('COMMIT');
  }

  /** Run `apply` (`writes` writes) in the open group, opening one first if none is. */
  add(writes: number, apply: () => void): void {
    if (this.#open === undefined) this.#start();
    apply();
    this.#writes += writes;
    if (this.#writes >= GROUP_WRITES) this.end();
  }

  /** COMMIT the open group now (nothing when none is open). */
  end(): void {
    const open = this.#open;
    if (open === undefined) return;
    this.#open = undefined;
    this.#writes = 0;
    try {
      this.#commit.run();
    } catch (error) {
      open.reject(error);
      throw error;
    }
    open.resolve();
  }

  /** Resolves once every write so far is committed (durably: FULL). */
  ended(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return this.#open?.promise ?? Promise.resolve();
  }

  #start(): void {
    this.#begin.run();
    let resolve = (): void => {};
    let reject = (_: unknown): void => {};
    const promise = new Promise<void>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    // Nobody may wait on this group: its failure is kept for the next `ended()` too.
    promise.catch(() => {});
    this.#open = { promise, resolve, reject };
    setImmediate(() => {
      try {
        this.end();
      } catch (error) {
        this.#failure = error;
      }
    });
  }
}
