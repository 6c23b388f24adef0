/**
 * The SQLite tier: tables in a SQLite database (a file, or `:memory:`).
 *
 * ```
 *   SqliteTier
 *     db        better-sqlite3 connection (WAL, synchronous=NORMAL)
 *     tables    Map<name, SqlTable>    every store table of the file
 *     latest    mirror of multistore_meta.latest_version
 * ```
 *
 * `set` writes every table, and raises `latest_version`, in one transaction;
 * `drop` erases its pairs in one transaction. A transaction that fails rolls
 * back in SQLite, and the in-process mirrors (tables created by it, the
 * latest version) are only updated once it has committed, so they never
 * disagree with the file. Reopening a file reads both back (schema.ts).
 *
 * Every public method checks that the tier is open, then validates all of
 * its input (validate.ts), then touches SQLite inside {@link SqliteTier.#io},
 * which turns any driver error into a `TIER_IO` {@link TierIoError} carrying
 * the original as `cause`.
 *
 * A page read costs two index seeks per key visited (sql-table.ts,
 * range-walk.ts): O((limit + skipped keys) * log rows), whatever the number
 * of versions per key.
 *
 * @module
 */

import { describe, equalBytes } from '../../common/bytes.js';
import {
  InvalidInputError,
  isStoreError,
  StoreClosedError,
  TierIoError,
} from '../../common/errors.js';
import { checkVersion } from '../../common/version.js';
import { readPage } from '../range-walk.js';
import type {
  Bound,
  RangeCursor,
  RangePage,
  TierDrop,
  TierEntry,
  TierStorage,
  TierWrite,
  VersionEntry,
  VersionSize,
  WriteObserver,
} from '../tier.js';
import {
  checkDrops,
  checkKey,
  checkObserver,
  checkRange,
  checkSetting,
  checkTableName,
  checkWrites,
} from '../validate.js';
import { claimFile, isBusy, lockedElsewhere, releaseFile } from './file-lock.js';
import { type Connection, connect, MEMORY_PATH, type Statement } from './load.js';
import { initSchema, RAISE_LATEST_SQL, READ_SETTING_SQL, WRITE_SETTING_SQL } from './schema.js';
import { SqlTable } from './sql-table.js';

type Writes = ReadonlyMap<string, readonly TierWrite[]>;
type Drops = ReadonlyMap<string, readonly TierDrop[]>;

/** Run `action`; rethrow StoreErrors as they are and anything else as `TIER_IO`. */
function io<T>(what: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    throw ioError(what, error);
  }
}

/** A StoreError as it is; anything else as a `TIER_IO` error with it as cause. */
function ioError(what: string, error: unknown): unknown {
  if (isStoreError(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new TierIoError(`SQLite tier failed to ${what}: ${reason}`, error);
}

/** A {@link TierStorage} backed by a SQLite database. */
export class SqliteTier implements TierStorage {
  readonly kind = 'sqlite';
  /** The database path (`:memory:` for a private in-memory database). */
  readonly path: string;
  readonly #db: Connection;
  readonly #tables = new Map<string, SqlTable>();
  readonly #raiseLatest: Statement;
  readonly #readSetting: Statement;
  readonly #writeSetting: Statement;
  readonly #writeTransaction: (
    version: number,
    writes: Writes,
    observe: WriteObserver | undefined,
  ) => SqlTable[];
  readonly #dropTransaction: (drops: Drops) => void;
  #latest: number;
  #closed = false;
  /** The claimed canonical path of a file database (released on close). */
  readonly #claim: string | undefined;

  private constructor(
    path: string,
    claim: string | undefined,
    db: Connection,
    latest: number,
    tables: readonly string[],
  ) {
    this.path = path;
    this.#claim = claim;
    this.#db = db;
    this.#latest = latest;
    for (const name of tables) this.#tables.set(name, new SqlTable(db, name));
    this.#raiseLatest = db.prepare(RAISE_LATEST_SQL);
    this.#readSetting = db.prepare(READ_SETTING_SQL).pluck();
    this.#writeSetting = db.prepare(WRITE_SETTING_SQL);
    this.#writeTransaction = db.transaction(
      (version: number, writes: Writes, observe: WriteObserver | undefined) =>
        this.#write(version, writes, observe),
    );
    this.#dropTransaction = db.transaction((drops: Drops) => this.#erase(drops));
  }

  /**
   * Open (creating if needed) the database at `path`, or a private in-memory
   * one for `:memory:`. Throws `INVALID_OPTIONS` for a path that is not a
   * non-empty string, `TIER_IO` when SQLite cannot open or read the file.
   */
  static open(path: string): SqliteTier {
    if (typeof path !== 'string' || path.length === 0) {
      throw new InvalidInputError(
        'INVALID_OPTIONS',
        `SQLite path must be a non-empty string, got ${describe(path)}`,
      );
    }
    const claim = path === MEMORY_PATH ? undefined : claimFile(path);
    try {
      return io(`open ${path}`, () => SqliteTier.#connect(path, claim));
    } catch (error) {
      if (claim !== undefined) releaseFile(claim);
      throw isBusy((error as { cause?: unknown }).cause) ? lockedElsewhere(path, error) : error;
    }
  }

  static #connect(path: string, claim: string | undefined): SqliteTier {
    const db = connect(path);
    try {
      const state = initSchema(db);
      return new SqliteTier(path, claim, db, state.latestVersion, state.tables);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  get(table: string, key: Uint8Array, version: number): TierEntry | undefined {
    const held = this.#lookup(table);
    checkKey(key);
    checkVersion(version);
    if (held === undefined) return undefined;
    try {
      return held.newest(key, version);
    } catch (error) {
      // Inline rather than through io(): this is the hot read path, no closure per call.
      throw ioError('read', error);
    }
  }

  set(version: number, writes: Writes, observe?: WriteObserver): void {
    this.#open();
    checkVersion(version);
    checkWrites(writes);
    checkObserver(observe);
    const created = io('write', () => this.#writeTransaction(version, writes, observe));
    for (const table of created) this.#tables.set(table.name, table);
    if (version > this.#latest) this.#latest = version;
  }

  rangeNext(
    table: string,
    cursor: RangeCursor | undefined,
    start: Bound,
    end: Bound,
    version: number,
    limit: number,
  ): RangePage {
    return this.#range(false, table, cursor, start, end, version, limit);
  }

  rangeRevNext(
    table: string,
    cursor: RangeCursor | undefined,
    start: Bound,
    end: Bound,
    version: number,
    limit: number,
  ): RangePage {
    return this.#range(true, table, cursor, start, end, version, limit);
  }

  getAllVersions(table: string, key: Uint8Array): VersionEntry[] {
    const held = this.#lookup(table);
    checkKey(key);
    return held ? io('read', () => held.allVersions(key)) : [];
  }

  getVersionSizes(table: string, key: Uint8Array): VersionSize[] {
    const held = this.#lookup(table);
    checkKey(key);
    return held ? io('read', () => held.versionSizes(key)) : [];
  }

  drop(drops: Drops): void {
    this.#open();
    checkDrops(drops);
    io('drop', () => this.#dropTransaction(drops));
  }

  ensureTable(table: string): void {
    this.#open();
    checkTableName(table);
    if (this.#tables.has(table)) return;
    this.#tables.set(
      table,
      io('create a table', () => SqlTable.create(this.#db, table)),
    );
  }

  clearTable(table: string): void {
    const held = this.#lookup(table);
    if (held) io('clear a table', () => held.clear());
  }

  tables(): string[] {
    this.#open();
    return [...this.#tables.keys()].sort();
  }

  latestVersion(): number {
    this.#open();
    return this.#latest;
  }

  readSetting(name: string): string | undefined {
    this.#open();
    checkSetting(name);
    return io('read a setting', () => this.#readSetting.get(name) as string | undefined);
  }

  writeSetting(name: string, value: string): void {
    this.#open();
    checkSetting(name, value);
    io('write a setting', () => this.#writeSetting.run(name, value));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#tables.clear();
    try {
      io('close', () => this.#db.close());
    } finally {
      if (this.#claim !== undefined) releaseFile(this.#claim);
    }
  }

  /** The body of the `set` transaction; returns the tables it created. */
  #write(version: number, writes: Writes, observe: WriteObserver | undefined): SqlTable[] {
    const created: SqlTable[] = [];
    for (const [name, list] of writes) {
      let table = this.#tables.get(name);
      if (table === undefined) {
        table = SqlTable.create(this.#db, name);
        created.push(table);
      }
      for (const write of list) {
        if (observe === undefined) {
          table.put(write.key, version, write.value);
          continue;
        }
        // The observer's lookup already tells whether the version is taken.
        const [newest, replaced] = table.sizesBefore(write.key, version);
        observe(name, write, newest, replaced);
        if (replaced === undefined) table.insert(write.key, version, write.value);
        else table.put(write.key, version, write.value);
      }
    }
    if (version > this.#latest) this.#raiseLatest.run(version);
    return created;
  }

  /** The body of the `drop` transaction: one statement per key. */
  #erase(drops: Drops): void {
    for (const [name, list] of drops) {
      const table = this.#tables.get(name);
      if (table === undefined) continue;
      for (const { key, versions } of groupByKey(list)) table.removeVersions(key, versions);
    }
  }

  #range(
    reverse: boolean,
    table: string,
    ...args: [RangeCursor | undefined, Bound, Bound, number, number]
  ): RangePage {
    const held = this.#lookup(table);
    const request = checkRange(table, ...args);
    if (held === undefined) return { entries: [], cursor: undefined };
    return io('read a range', () => readPage(held, { ...request, reverse }));
  }

  /** The table if held; an unknown name is validated (a held name was, when created). */
  #lookup(name: string): SqlTable | undefined {
    this.#open();
    const table = this.#tables.get(name);
    if (table === undefined) checkTableName(name);
    return table;
  }

  #open(): void {
    if (this.#closed) throw new StoreClosedError('tier');
  }
}

/** Drop pairs grouped by key (pairs of one key are usually adjacent). */
function groupByKey(list: readonly TierDrop[]): { key: Uint8Array; versions: number[] }[] {
  const groups: { key: Uint8Array; versions: number[] }[] = [];
  let last: { key: Uint8Array; versions: number[] } | undefined;
  for (const { key, version } of list) {
    if (last !== undefined && equalBytes(last.key, key)) {
      last.versions.push(version);
    } else {
      last = { key, versions: [version] };
      groups.push(last);
    }
  }
  return groups;
}
