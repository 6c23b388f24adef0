/**
 * The SQLite tier: tables in a SQLite database (a file, or `:memory:`).
 *
 * ```
 *   SqliteTier (writer)
 *     connection  SqlConnection (WAL, normal or exclusive locking, synchronous NORMAL or FULL)
 *     claim       the one-writer lock of the file (file-lock.ts)
 *     tables      name -> SqlTable     every store table (reads go through table-tier.ts)
 *     latest      mirror of multistore_meta.latest_version
 *   SqliteTier (reader: readOnly)
 *     connection  read-only; every read sees the writer's last commit
 *     claim       counted among the file's readers in this process (file-lock.ts)
 *     snapshots   connections in read transactions, one per open snapshot (snapshots.ts)
 * ```
 *
 * The writer's `set` writes every table, raises `latest_version` and applies
 * the store's state change (figures, log records) in one transaction; `drop`
 * erases its pairs, widens its horizons, raises its erased tops and applies
 * its change in one transaction. A transaction
 * that fails rolls back in SQLite, and the in-process mirrors (tables created
 * by it, the latest version) are only updated once it has committed, so they
 * never disagree with the file. Opening a file for writing claims it
 * (file-lock.ts) and brings its format up to date (migrations.ts).
 *
 * A reader never writes (its writes throw `READ_ONLY`) and never caches what
 * the writer may change: the latest version, settings and figures are read
 * from the file on every call, and a table it does not know yet is looked
 * for again in the schema. Its snapshots are tiers of their own, in the
 * `snapshot` role, over a connection holding a read transaction.
 *
 * The base class (abstract-tier.ts) checks that the tier is open and
 * validates every input before a raw method runs, and turns any driver error
 * a raw method throws into a `TIER_IO` error carrying the original as
 * `cause`; opening, which happens before there is a tier, does the same here.
 *
 * A page read costs two index seeks per key visited (sql-table.ts,
 * range-walk.ts): O((limit + skipped keys) * log rows), whatever the number
 * of versions per key, all in one read transaction.
 *
 * @module
 */

import { bytesToBinaryString, describe, equalBytes } from '../../common/bytes.js';
import {
  InvalidInputError,
  isStoreError,
  ReadOnlyError,
  TierIoError,
} from '../../common/errors.js';
import { TableTier } from '../table-tier.js';
import {
  type CompactResult,
  EMPTY_PAGE,
  type HorizonEntry,
  type LogRecord,
  type PageQuery,
  type RangePage,
  type StateChange,
  type TableFigures,
  type TierDrop,
  type TierDrops,
  type TierErasedTops,
  type TierHorizons,
  type TierRetention,
  type TierSnapshot,
  type TierWrites,
  type VersionSize,
  type WriteObserver,
} from '../tier.js';
import { backupDatabase } from './backup.js';
import { SqlConnection } from './connection.js';
import { claimReader, claimWriter, type FileClaim, isBusy, lockedElsewhere } from './file-lock.js';
import { connect, LOCKING_MODES, type Locking, MEMORY_PATH, type Synchronous } from './load.js';
import { checkReadable, migrate, refuseNewerFormat } from './migrations.js';
import { SnapshotConnections } from './snapshots.js';
import { SqlTable } from './sql-table.js';

/** How a SQLite tier is opened. */
export interface SqliteOpenOptions {
  /** Open a file read-only, beside its writer (default false). */
  readonly readOnly?: boolean | undefined;
  /** The writer's `synchronous` setting (default `normal`). */
  readonly synchronous?: Synchronous | undefined;
  /**
   * The writer's locking: `normal` (the default) lets read-only opens read
   * beside it; `exclusive` holds the file alone, refusing them (load.ts).
   * A read-only tier takes `normal` only.
   */
  readonly locking?: Locking | undefined;
}

/** What a tier object does with its connection. */
type Role = 'writer' | 'reader' | 'snapshot';

interface TierInit {
  readonly path: string;
  readonly role: Role;
  readonly connection: SqlConnection;
  /** The writer's lock, or a reader's place among the file's readers. */
  readonly claim?: FileClaim | undefined;
  /** A snapshot's: end its read transaction and hand the connection back. */
  readonly giveBack?: ((connection: SqlConnection) => void) | undefined;
}

/** A tier backed by a SQLite database. */
export class SqliteTier extends TableTier<SqlTable> {
  readonly kind = 'sqlite';
  override readonly readOnly: boolean;
  /** `set` trims retention tables in its own step (`TableTrims`). */
  override readonly trimsOnSet = true;
  /** The database path (`:memory:` for a private in-memory database). */
  readonly path: string;
  readonly #role: Role;
  readonly #connection: SqlConnection;
  readonly #claim: FileClaim | undefined;
  readonly #giveBack: ((connection: SqlConnection) => void) | undefined;
  /** A reader's snapshot connections and open snapshot tiers. */
  readonly #snapshotConnections: SnapshotConnections | undefined;
  readonly #openSnapshots = new Set<SqliteTier>();
  readonly #writeTransaction: (
    version: number,
    writes: TierWrites,
    observe: WriteObserver | undefined,
    change: StateChange | undefined,
    retention: TierRetention | undefined,
  ) => DropOutcome;
  readonly #dropTransaction: (
    drops: TierDrops,
    horizons: TierHorizons | undefined,
    change: StateChange | undefined,
  ) => DropOutcome;
  #latest: number;

  private constructor(init: TierInit) {
    super();
    this.path = init.path;
    this.#role = init.role;
    this.readOnly = init.role !== 'writer';
    this.#connection = init.connection;
    this.#claim = init.claim;
    this.#giveBack = init.giveBack;
    const connection = init.connection;
    this.#snapshotConnections =
      init.role === 'reader' ? new SnapshotConnections(init.path) : undefined;
    for (const name of connection.storeTables()) this.adopt(connection.table(name));
    this.#latest = init.role === 'writer' ? connection.latestVersion() : 0;
    const db = connection.db;
    this.#writeTransaction = db.transaction(
      (
        version: number,
        writes: TierWrites,
        observe: WriteObserver | undefined,
        change: StateChange | undefined,
        retention: TierRetention | undefined,
      ) => this.#write(version, writes, observe, change, retention),
    );
    this.#dropTransaction = db.transaction(
      (drops: TierDrops, horizons: TierHorizons | undefined, change: StateChange | undefined) => {
        const done = this.#erase(drops, horizons, change?.erasedTops);
        connection.applyChange(change);
        return done;
      },
    );
  }

  /**
   * Open the database at `path`: for writing (creating it if needed, or a
   * private in-memory one for `:memory:`), or `readOnly` beside its writer.
   * Throws `INVALID_OPTIONS` for a path that is not a non-empty string (or
   * `:memory:` read-only) and for a `locking` other than `normal` or
   * `exclusive` (or `exclusive` read-only), `STORE_LOCKED` when another
   * writer has the file (or, with exclusive locking on either side, when a
   * reader and an exclusive writer would share it), and `TIER_IO` when SQLite
   * cannot open or read it.
   */
  static open(path: string, options: SqliteOpenOptions = {}): SqliteTier {
    if (typeof path !== 'string' || path.length === 0) {
      throw invalidOptions(`SQLite path must be a non-empty string, got ${describe(path)}`);
    }
    if (options.readOnly === true && path === MEMORY_PATH) {
      throw invalidOptions('a read-only SQLite tier needs a file, not :memory:');
    }
    const locking = options.locking ?? 'normal';
    if (!LOCKING_MODES.includes(locking)) {
      throw invalidOptions(
        `SQLite locking must be 'normal' or 'exclusive', got ${describe(locking)}`,
      );
    }
    if (options.readOnly === true) {
      if (locking === 'exclusive') {
        throw invalidOptions(
          "exclusive locking is a writer's: a read-only SQLite tier reads beside the writer",
        );
      }
      return opening(path, 'reader', () => SqliteTier.#openReader(path));
    }
    const opener = locking === 'exclusive' ? 'exclusive writer' : 'writer';
    return opening(path, opener, () => SqliteTier.#openWriter(path, options, locking));
  }

  static #openWriter(path: string, options: SqliteOpenOptions, locking: Locking): SqliteTier {
    const claim = path === MEMORY_PATH ? undefined : claimWriter(path, locking);
    try {
      const synchronous = options.synchronous ?? 'normal';
      const db = connect(path, { readOnly: false, synchronous, locking, check: refuseNewerFormat });
      try {
        migrate(db);
        return new SqliteTier({
          path,
          role: 'writer',
          connection: new SqlConnection(db, true),
          claim,
        });
      } catch (error) {
        db.close();
        throw error;
      }
    } catch (error) {
      claim?.release();
      throw error;
    }
  }

  static #openReader(path: string): SqliteTier {
    const claim = claimReader(path);
    try {
      const db = connect(path, { readOnly: true, synchronous: 'normal' });
      try {
        checkReadable(db);
        const connection = new SqlConnection(db, false);
        return new SqliteTier({ path, role: 'reader', connection, claim });
      } catch (error) {
        db.close();
        throw error;
      }
    } catch (error) {
      claim.release();
      throw error;
    }
  }

  protected _createTable(name: string): SqlTable {
    this.#refuseWrites('create a table');
    const table = SqlTable.create(this.#connection.db, name);
    this.#connection.remember(table);
    return table;
  }

  protected override _ensureTable(table: string): void {
    this.#refuseWrites('create a table');
    super._ensureTable(table);
  }

  /** A page's seeks share one read transaction (sql-table.ts). */
  protected override _page(table: string, query: PageQuery): RangePage {
    return this.held(table)?.page(query) ?? EMPTY_PAGE;
  }

  /** A reader looks a table it does not know for again: the writer may have created it since. */
  protected override held(name: string): SqlTable | undefined {
    const table = super.held(name);
    if (table !== undefined || this.#role === 'writer') return table;
    if (!this.#connection.storeTables().includes(name)) return undefined;
    const found = this.#connection.table(name);
    this.adopt(found);
    return found;
  }

  protected override _tables(): string[] {
    if (this.#role !== 'writer') {
      for (const name of this.#connection.storeTables()) this.held(name);
    }
    return super._tables();
  }

  protected _set(
    version: number,
    writes: TierWrites,
    observe?: WriteObserver,
    change?: StateChange,
    retention?: TierRetention,
  ): void {
    this.#refuseWrites('write');
    const outcome = this.#writeTransaction(version, writes, observe, change, retention);
    this.#committed(outcome);
    if (version > this.#latest) this.#latest = version;
  }

  protected _drop(
    drops: TierDrops,
    horizons: TierHorizons | undefined,
    change?: StateChange,
  ): void {
    this.#refuseWrites('drop');
    this.#committed(this.#dropTransaction(drops, horizons, change));
  }

  /** A write or drop transaction committed: adopt its tables, the mirrors follow the file. */
  #committed({ created, widened, raised }: DropOutcome): void {
    for (const table of created) this.adopt(table);
    for (const [table, floor] of widened) table.horizonsCommitted(floor);
    for (const [table, top] of raised) table.erasedTopCommitted(top);
  }

  /**
   * VACUUM rebuilds the file without the pages that drops freed (SQLite
   * keeps freed pages for reuse and never shrinks the file by itself); in
   * WAL mode the rebuilt pages go through the WAL, so a TRUNCATE checkpoint
   * then copies them back and empties the WAL. Sizes: pages times page size.
   */
  protected override _compact(): CompactResult {
    this.#refuseWrites('compact');
    const db = this.#connection.db;
    const bytesBefore = this.#databaseBytes();
    db.exec('VACUUM');
    if (this.path !== MEMORY_PATH) this.#checkpointWithoutWaiting();
    return { bytesBefore, bytesAfter: this.#databaseBytes() };
  }

  /**
   * Empty the WAL if no reader's snapshot (a read-only store's range, in
   * any process) still needs it, without waiting for one to end: the busy
   * timeout would block the process, and a snapshot of this process could
   * not end meanwhile. A WAL kept for a reader is emptied by a later
   * checkpoint.
   */
  #checkpointWithoutWaiting(): void {
    const db = this.#connection.db;
    const timeout = db.pragma('busy_timeout', { simple: true });
    db.pragma('busy_timeout = 0');
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.pragma(`busy_timeout = ${Number(timeout)}`);
    }
  }

  #databaseBytes(): number {
    const db = this.#connection.db;
    const pages = Number(db.pragma('page_count', { simple: true }));
    return pages * Number(db.pragma('page_size', { simple: true }));
  }

  protected override _clearTable(table: string): void {
    this.#refuseWrites('clear a table');
    this.#connection.db.transaction(() => {
      super._clearTable(table);
      this.#connection.statement('forgetFigures').run(table);
    })();
  }

  protected _latestVersion(): number {
    return this.#role === 'writer' ? this.#latest : this.#connection.latestVersion();
  }

  protected _readSetting(name: string): string | undefined {
    return this.#connection.statement('readSetting').get(name) as string | undefined;
  }

  protected _writeSetting(name: string, value: string): void {
    this.#refuseWrites('write a setting');
    this.#connection.statement('writeSetting').run(name, value);
  }

  protected _readFigures(): Map<string, TableFigures> {
    return this.#connection.readFigures();
  }

  protected _readLog(): LogRecord[] {
    return this.#connection.readLog();
  }

  /** A reader's snapshot: a tier over a connection of its own, inside a read transaction. */
  protected override _snapshot(): TierSnapshot {
    const connections = this.#snapshotConnections;
    if (connections === undefined) return super._snapshot();
    const connection = connections.take();
    let snapshot: SqliteTier;
    try {
      snapshot = new SqliteTier({
        path: this.path,
        role: 'snapshot',
        connection,
        giveBack: (given) => {
          this.#openSnapshots.delete(snapshot);
          connections.give(given);
        },
      });
    } catch (error) {
      connections.give(connection);
      throw error;
    }
    this.#openSnapshots.add(snapshot);
    return { tier: snapshot, release: () => snapshot.close() };
  }

  protected override _backup(path: string): Promise<void> {
    return backupDatabase(this.#connection.db, path, this.#role !== 'writer');
  }

  /**
   * A write group is one SQLite transaction: inside it each `set`'s
   * transaction function runs as a savepoint (better-sqlite3 nests them so),
   * released when it succeeds and rolled back alone when it fails.
   */
  protected override _beginGroup(): boolean {
    this.#refuseWrites('write');
    this.#connection.db.exec('BEGIN');
    return true;
  }

  /**
   * COMMIT, synced under `synchronous: 'full'`. A COMMIT that fails (an I/O
   * error, a full disk) may leave the transaction open: it is rolled back,
   * so the file keeps its last committed state (the base class then refuses
   * every call, this tier's mirrors no longer matching the file).
   */
  protected override _endGroup(): void {
    const db = this.#connection.db;
    try {
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }

  /** SQLite rolls back the whole transaction on some errors (SQLITE_FULL, SQLITE_IOERR, ...). */
  protected override _groupLost(): boolean {
    return !this.#connection.db.inTransaction;
  }

  protected override _close(): void {
    this.forgetTables();
    for (const snapshot of [...this.#openSnapshots]) snapshot.close();
    this.#snapshotConnections?.close();
    try {
      if (this.#giveBack !== undefined) this.#giveBack(this.#connection);
      else this.#closeConnection();
    } finally {
      this.#claim?.release();
    }
  }

  /**
   * Close the tier's own connection; the writer of a file checkpoints
   * first. SQLite checkpoints (and removes the WAL) only when the LAST
   * connection to the file closes: beside a read-only store (in any
   * process) the writer is not the last, and without this checkpoint the
   * commits since the last one (up to WAL_CHECKPOINT_PAGES pages, never
   * synced under `synchronous: 'normal'`) would stay in the WAL alone. A
   * reader's open snapshot stops the checkpoint where it reads (the close
   * does not wait for it): the rest stays in the WAL for a later
   * checkpoint. A checkpoint that fails (an I/O error) is reported as
   * `TIER_IO`, the connection closed all the same.
   */
  #closeConnection(): void {
    try {
      if (this.#role === 'writer' && this.path !== MEMORY_PATH) this.#checkpointWithoutWaiting();
    } finally {
      this.#connection.close();
    }
  }

  #refuseWrites(action: string): void {
    if (this.#role !== 'writer') throw new ReadOnlyError('sqlite tier', action);
  }

  /**
   * The body of the `set` transaction: the writes, each trimmed after it
   * when its table has a `retention` count, then one horizon and erased-top
   * update per trimmed table; returns what it changed (for the mirrors).
   */
  #write(
    version: number,
    writes: TierWrites,
    observe: WriteObserver | undefined,
    change: StateChange | undefined,
    retention: TierRetention | undefined,
  ): DropOutcome {
    const outcome: DropOutcome = { created: [], widened: [], raised: [] };
    for (const [name, list] of writes) {
      let table = super.held(name);
      if (table === undefined) {
        table = this._createTable(name);
        outcome.created.push(table);
      }
      const keep = retention?.keep.get(name);
      const trims = keep === undefined ? undefined : new TableTrims(table, keep);
      for (const write of list) {
        if (observe === undefined) {
          table.put(write.key, version, write.value);
          trims?.written(write.key, undefined);
          continue;
        }
        // The observer's lookup already tells whether the version is taken.
        const [newest, replaced] = table.sizesBefore(write.key, version);
        observe(name, write, newest, replaced);
        if (replaced === undefined) table.insert(write.key, version, write.value);
        else table.put(write.key, version, write.value);
        // A key with no version before this write holds one now: nothing to trim.
        if (newest !== undefined) {
          trims?.written(write.key, Math.max(newest.version, version));
        }
      }
      trims?.trimAll(retention as TierRetention);
      trims?.record(outcome);
    }
    if (version > this.#latest) this.#connection.statement('raiseLatest').run(version);
    this.#connection.applyChange(change);
    return outcome;
  }

  /**
   * The body of the `drop` transaction: one statement per key erased, one
   * per horizon, one per erased top raised; returns what it changed
   * (applied to the mirrors once it has committed).
   */
  #erase(
    drops: TierDrops,
    horizons: TierHorizons | undefined,
    erasedTops: TierErasedTops | undefined,
  ): DropOutcome {
    for (const [name, list] of drops) {
      const table = super.held(name);
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
    const raised: [SqlTable, number][] = [];
    for (const [name, top] of erasedTops ?? []) {
      let table = this.held(name) ?? created.find((t) => t.name === name);
      if (table === undefined) {
        table = this._createTable(name);
        created.push(table);
      }
      raised.push([table, table.raiseErasedTop(top)]);
    }
    return { created, widened, raised };
  }
}

/** The trimming of one table in one `set`: horizons and erased top gathered, then written once. */
class TableTrims {
  readonly #table: SqlTable;
  readonly #keep: number;
  readonly #horizons: HorizonEntry[] = [];
  #top = 0;

  constructor(table: SqlTable, keep: number) {
    this.#table = table;
    this.#keep = keep;
  }

  /** Keys to trim once the table's writes are done, each with its highest version when known. */
  readonly #written = new Map<string, { key: Uint8Array; highest: number | undefined }>();

  /**
   * `key` was written and may hold versions to trim (`highest`: its highest
   * version, when known). A commit may write a key twice: it is trimmed
   * once, after its last write, as the queued path trims after the commit.
   */
  written(key: Uint8Array, highest: number | undefined): void {
    const id = bytesToBinaryString(key);
    // All of a set's writes know their key's highest version, or none does (no observer).
    const seen = this.#written.get(id)?.highest;
    this.#written.set(id, {
      key,
      highest: highest === undefined ? undefined : Math.max(highest, seen ?? highest),
    });
  }

  /** Trim every written key. */
  trimAll(retention: TierRetention): void {
    for (const { key, highest } of this.#written.values()) this.#trim(key, highest, retention);
  }

  /** Trim `key` (`highest`: its highest version, when known). */
  #trim(key: Uint8Array, highest: number | undefined, retention: TierRetention): void {
    const trimmed = this.#table.trim(key, this.#keep, highest);
    if (trimmed === undefined) return;
    const { erased, keptFrom } = trimmed;
    const horizon = { erasedFrom: (erased[0] as VersionSize).version, readableFrom: keptFrom };
    this.#horizons.push({ key, horizon });
    const top = (erased[erased.length - 1] as VersionSize).version;
    if (top > this.#top) this.#top = top;
    retention.trimmed(this.#table.name, key, erased, horizon);
  }

  /** Widen the gathered horizons and raise the erased top, in the transaction. */
  record(outcome: DropOutcome): void {
    if (this.#horizons.length === 0) return;
    outcome.widened.push([this.#table, this.#table.widenHorizons(this.#horizons)]);
    outcome.raised.push([this.#table, this.#table.raiseErasedTop(this.#top)]);
  }
}

/** What a drop transaction changed, for the mirrors to follow once it committed. */
interface DropOutcome {
  /** Tables it created (for horizons or tops of a table not held yet). */
  readonly created: SqlTable[];
  /** Tables whose horizons it widened, with their new floors. */
  readonly widened: [SqlTable, number][];
  /** Tables whose erased top it raised, with their new tops. */
  readonly raised: [SqlTable, number][];
}

/**
 * Run an open, translating what it throws: StoreErrors as they are; SQLite
 * finding the file busy (after the busy timeout) as `STORE_LOCKED`, whose
 * conflict depends on who opens (file-lock.ts: a writer meets an older
 * multistore holding the file in exclusive mode, a reader an exclusive
 * writer, an exclusive writer readers); anything else as `TIER_IO`.
 */
function opening(
  path: string,
  opener: 'writer' | 'exclusive writer' | 'reader',
  open: () => SqliteTier,
): SqliteTier {
  try {
    return open();
  } catch (error) {
    if (isStoreError(error)) throw error;
    if (isBusy(error)) throw lockedElsewhere(path, error, opener);
    const reason = error instanceof Error ? error.message : String(error);
    throw new TierIoError(`the sqlite tier failed to open ${path}: ${reason}`, error);
  }
}

function invalidOptions(message: string): InvalidInputError {
  return new InvalidInputError('INVALID_OPTIONS', message);
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
