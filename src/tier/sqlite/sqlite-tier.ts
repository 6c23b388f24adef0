/**
 * The SQLite tier: tables in a SQLite database (a file, or `:memory:`).
 *
 * ```
 *   SqliteTier
 *     db        better-sqlite3 connection (WAL, synchronous=NORMAL)
 *     tables    name -> SqlTable     every store table of the file (reads go
 *                                    through table-tier.ts)
 *     latest    mirror of multistore_meta.latest_version
 * ```
 *
 * `set` writes every table, and raises `latest_version`, in one transaction;
 * `drop` erases its pairs and widens its horizons in one transaction. A transaction that fails rolls
 * back in SQLite, and the in-process mirrors (tables created by it, the
 * latest version) are only updated once it has committed, so they never
 * disagree with the file. Reopening a file reads both back (schema.ts).
 *
 * The base class (abstract-tier.ts) checks that the tier is open and
 * validates every input before a raw method runs, and turns any driver error
 * a raw method throws into a `TIER_IO` error carrying the original as
 * `cause`; opening, which happens before there is a tier, does the same here.
 *
 * A page read costs two index seeks per key visited (sql-table.ts,
 * range-walk.ts): O((limit + skipped keys) * log rows), whatever the number
 * of versions per key.
 *
 * @module
 */

import { describe, equalBytes } from '../../common/bytes.js';
import { InvalidInputError, isStoreError, TierIoError } from '../../common/errors.js';
import { TableTier } from '../table-tier.js';
import type {
  CompactResult,
  TierDrop,
  TierDrops,
  TierHorizons,
  TierWrites,
  WriteObserver,
} from '../tier.js';
import { claimFile, isBusy, lockedElsewhere, releaseFile } from './file-lock.js';
import { type Connection, connect, MEMORY_PATH, type Statement } from './load.js';
import { initSchema, RAISE_LATEST_SQL, READ_SETTING_SQL, WRITE_SETTING_SQL } from './schema.js';
import { SqlTable } from './sql-table.js';

/** A tier backed by a SQLite database. */
export class SqliteTier extends TableTier<SqlTable> {
  readonly kind = 'sqlite';
  /** The database path (`:memory:` for a private in-memory database). */
  readonly path: string;
  readonly #db: Connection;
  readonly #raiseLatest: Statement;
  readonly #readSetting: Statement;
  readonly #writeSetting: Statement;
  readonly #writeTransaction: (
    version: number,
    writes: TierWrites,
    observe: WriteObserver | undefined,
  ) => SqlTable[];
  readonly #dropTransaction: (
    drops: TierDrops,
    horizons: TierHorizons | undefined,
  ) => { created: SqlTable[]; widened: [SqlTable, number][] };
  #latest: number;
  /** The claimed canonical path of a file database (released on close). */
  readonly #claim: string | undefined;

  private constructor(
    path: string,
    claim: string | undefined,
    db: Connection,
    latest: number,
    tables: readonly string[],
    horizons: ReadonlyMap<string, number>,
  ) {
    super();
    this.path = path;
    this.#claim = claim;
    this.#db = db;
    this.#latest = latest;
    for (const name of tables) this.adopt(new SqlTable(db, name, horizons.get(name)));
    this.#raiseLatest = db.prepare(RAISE_LATEST_SQL);
    this.#readSetting = db.prepare(READ_SETTING_SQL).pluck();
    this.#writeSetting = db.prepare(WRITE_SETTING_SQL);
    this.#writeTransaction = db.transaction(
      (version: number, writes: TierWrites, observe: WriteObserver | undefined) =>
        this.#write(version, writes, observe),
    );
    this.#dropTransaction = db.transaction((drops: TierDrops, horizons: TierHorizons | undefined) =>
      this.#erase(drops, horizons),
    );
  }

  /**
   * Open (creating if needed) the database at `path`, or a private in-memory
   * one for `:memory:`. Throws `INVALID_OPTIONS` for a path that is not a
   * non-empty string, `STORE_LOCKED` when the file is open elsewhere, and
   * `TIER_IO` when SQLite cannot open or read the file.
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
      return SqliteTier.#connect(path, claim);
    } catch (error) {
      if (claim !== undefined) releaseFile(claim);
      if (isStoreError(error)) throw error;
      if (isBusy(error)) throw lockedElsewhere(path, error);
      const reason = error instanceof Error ? error.message : String(error);
      throw new TierIoError(`the sqlite tier failed to open ${path}: ${reason}`, error);
    }
  }

  static #connect(path: string, claim: string | undefined): SqliteTier {
    const db = connect(path);
    try {
      const state = initSchema(db);
      return new SqliteTier(path, claim, db, state.latestVersion, state.tables, state.horizons);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  protected _createTable(name: string): SqlTable {
    return SqlTable.create(this.#db, name);
  }

  protected _set(version: number, writes: TierWrites, observe?: WriteObserver): void {
    const created = this.#writeTransaction(version, writes, observe);
    for (const table of created) this.adopt(table);
    if (version > this.#latest) this.#latest = version;
  }

  protected _drop(drops: TierDrops, horizons: TierHorizons | undefined): void {
    const { created, widened } = this.#dropTransaction(drops, horizons);
    for (const table of created) this.adopt(table);
    for (const [table, floor] of widened) table.horizonsCommitted(floor);
  }

  /**
   * VACUUM rebuilds the file without the pages that drops freed (SQLite
   * keeps freed pages for reuse and never shrinks the file by itself); in
   * WAL mode the rebuilt pages go through the WAL, so a TRUNCATE checkpoint
   * then copies them back and empties the WAL. Sizes: pages times page size.
   */
  protected override _compact(): CompactResult {
    const bytesBefore = this.#databaseBytes();
    this.#db.exec('VACUUM');
    if (this.path !== MEMORY_PATH) this.#db.pragma('wal_checkpoint(TRUNCATE)');
    return { bytesBefore, bytesAfter: this.#databaseBytes() };
  }

  #databaseBytes(): number {
    const pages = Number(this.#db.pragma('page_count', { simple: true }));
    return pages * Number(this.#db.pragma('page_size', { simple: true }));
  }

  protected _latestVersion(): number {
    return this.#latest;
  }

  protected _readSetting(name: string): string | undefined {
    return this.#readSetting.get(name) as string | undefined;
  }

  protected _writeSetting(name: string, value: string): void {
    this.#writeSetting.run(name, value);
  }

  protected override _close(): void {
    this.forgetTables();
    try {
      this.#db.close();
    } finally {
      if (this.#claim !== undefined) releaseFile(this.#claim);
    }
  }

  /** The body of the `set` transaction; returns the tables it created. */
  #write(version: number, writes: TierWrites, observe: WriteObserver | undefined): SqlTable[] {
    const created: SqlTable[] = [];
    for (const [name, list] of writes) {
      let table = this.held(name);
      if (table === undefined) {
        table = this._createTable(name);
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

  /**
   * The body of the `drop` transaction: one statement per key erased, one
   * per horizon; returns the tables it created (for horizons of a table not
   * held yet) and those whose horizons it widened, with their new floors
   * (applied to the mirrors once it has committed).
   */
  #erase(
    drops: TierDrops,
    horizons: TierHorizons | undefined,
  ): { created: SqlTable[]; widened: [SqlTable, number][] } {
    for (const [name, list] of drops) {
      const table = this.held(name);
      if (table === undefined) continue;
      for (const { key, versions } of groupByKey(list)) table.removeVersions(key, versions);
    }
    const created: SqlTable[] = [];
    const widened: [SqlTable, number][] = [];
    for (const [name, list] of horizons ?? []) {
      if (list.length === 0) continue;
      let table = this.held(name);
      if (table === undefined) {
        table = this._createTable(name);
        created.push(table);
      }
      widened.push([table, table.widenHorizons(list)]);
    }
    return { created, widened };
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
