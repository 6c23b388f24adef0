/**
 * The SQLite peer: raw better-sqlite3 on the schema of multistore's SQLite
 * tier, with the same settings (exclusive locking, WAL, `synchronous =
 * NORMAL`, a checkpoint every {@link WAL_CHECKPOINT_PAGES} WAL pages, the
 * WAL cut back to {@link WAL_SIZE_LIMIT_BYTES} when it starts over) and
 * the same batch size (one transaction per 100 writes), every statement
 * prepared once.
 *
 * ```
 *   t (key BLOB, version INTEGER, value BLOB, PRIMARY KEY (key, version)) STRICT, WITHOUT ROWID
 *   get      key = ? AND version <= ? ORDER BY version DESC LIMIT 1      one seek
 *   scan     key range, version <= ?, GROUP BY key with max(version)     one pass in SQLite
 *   dropOld  DELETE key = ? AND version < (newest version of key)        100 keys per transaction
 * ```
 *
 * The scan lets SQLite do the whole job in one statement: with `max()` the
 * bare `value` column comes from the row holding the maximum, which is the
 * newest version at or below V of each key. It is the natural SQL for the
 * question, and measured faster here than one seek per key.
 *
 * @module
 */

import { join } from 'node:path';
import Database from 'better-sqlite3';
import { WAL_CHECKPOINT_PAGES, WAL_SIZE_LIMIT_BYTES } from '../../../tier/sqlite/load.js';
import type { WriteBatch } from '../data.js';
import type { BenchSubject, ScanResult, SubjectOptions } from '../subject.js';

const SCHEMA =
  'CREATE TABLE t (key BLOB NOT NULL, version INTEGER NOT NULL, value BLOB, ' +
  'PRIMARY KEY (key, version)) STRICT, WITHOUT ROWID';

const SQL = Object.freeze({
  put: 'INSERT OR REPLACE INTO t (key, version, value) VALUES (?, ?, ?)',
  newest:
    'SELECT version, value FROM t WHERE key = ? AND version <= ? ORDER BY version DESC LIMIT 1',
  scan:
    'SELECT key, max(version), value FROM t WHERE key >= ? AND key < ? AND version <= ? ' +
    'GROUP BY key ORDER BY key',
  scanToEnd:
    'SELECT key, max(version), value FROM t WHERE key >= ? AND version <= ? GROUP BY key ORDER BY key',
  dropOld: 'DELETE FROM t WHERE key = ? AND version < (SELECT max(version) FROM t WHERE key = ?)',
  count: 'SELECT count(*) FROM t WHERE key = ?',
});

/** Open a raw better-sqlite3 database in `dir`. */
export function openRawSqlite(options: SubjectOptions): BenchSubject {
  const db = new Database(join(options.dir, 'raw.db'));
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  db.exec(SCHEMA);
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
      end === undefined ? this.#scanToEnd.all(start, version) : this.#scan.all(start, end, version)
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
