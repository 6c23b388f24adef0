/**
 * AsyncMultiStore: the store on PostgreSQL, shared by many processes.
 *
 * One rule, two I/O shells: this class is the embedded store's semantics
 * with every tier call awaited and the shared state kept in the database.
 *
 * ```
 *   MultiStore (embedded, sync)            AsyncMultiStore (this, async)
 *   ─────────────────────────────          ──────────────────────────────────────────
 *   planCommit, TableRouter, decideTables, statsObserver, queuedDropsOf,
 *   RangeDrop paging, planKeyDrops (drop rules + erasure), checkHistory, VersionOracle,
 *   SnapshotRegistry, WriteBuffer, ReadSet                         shared, pure
 *   tier.set / page / drop                 SQL on "t:<table>" (rows.ts)
 *   oracle in memory                       oracle row, locked by every commit (commit.ts)
 *   tracker in memory                      stats rows, updated in the commit's transaction
 *   drop queue in memory (actor)           drop_requests / range_drops rows, applied by any
 *                                          process (drops.ts)
 * ```
 *
 * Reads without a version read the newest committed state (one statement);
 * a range first reads the latest version, then pages at it. What differs
 * from the embedded store is in the README ("PostgreSQL").
 *
 * @module
 */

import { type BytesLike, describe, toBytes } from '../common/bytes.js';
import { InvalidInputError, StoreClosedError, VersionTooOldError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { checkVersion, MAX_VERSION } from '../common/version.js';
import { FigureCounter, type StorageFigures, type StorageStats } from '../stats/figures.js';
import {
  type Change,
  type ChangeOptions,
  type DiffEntry,
  type DiffOptions,
  resolveChangeOptions,
  resolveDiffOptions,
} from '../store/changes.js';
import { type CommitPlan, type Delta, planCommit } from '../store/deltas.js';
import type { SnapshotStats, StoredVersion } from '../store/multistore.js';
import type { StoreConfig } from '../store/options.js';
import {
  type RangeOptions,
  type RangeSpec,
  type ResolvedRange,
  resolveRange,
  resolveRangeOptions,
  type StoreEntry,
} from '../store/range.js';
import { TableRouter } from '../store/routing.js';
import type { TransactionWork } from '../store/transaction.js';
import {
  type BeginOptions,
  type ResolvedBegin,
  resolveBegin,
  resolveTransaction,
  type TransactionOptions,
} from '../store/transaction-options.js';
import type { TierEntry } from '../tier/tier.js';
import { SnapshotRegistry } from '../transaction/index.js';
import { type AsyncHistoryRead, readChangesAsync, readDiffAsync } from './async-changes.js';
import { readRangeAsync } from './async-range.js';
import { AsyncTransaction, type AsyncTransactionHost } from './async-transaction.js';
import { type CommitContext, commitIn } from './commit.js';
import { Database, isRetryable, type PostgresPool } from './database.js';
import { applyDropRequests, type DropFlushOutcome } from './drops.js';
import { int, Rows } from './rows.js';
import type { SqlNames } from './schema.js';
import {
  type ConnectOptions,
  createSchema,
  namesOf,
  resolveConnect,
  setUpTables,
} from './setup.js';

/** What `stats()` of the PostgreSQL store reports. */
export interface AsyncStoreStats extends StorageStats {
  /** The open snapshots of this process (transactions and range iterators). */
  readonly snapshots: SnapshotStats;
  /** Drop requests stored in the database, not applied yet (from every process; a range drop counts once). */
  readonly pendingDrops: number;
}

/** What this process's drop flushes did, as `dropWorkerStats()` reports it. */
export interface AsyncDropStats {
  /** Flushes run (each applies every stored request it may, batch after batch). */
  readonly flushes: number;
  /** Requests applied and removed from the database by this process. */
  readonly requestsApplied: number;
  /** Stored versions erased by this process. */
  readonly entriesDropped: number;
  /** Requests the last flush left stored because an open snapshot of this process holds them back. */
  readonly parked: number;
  /** Flushes that failed (the requests stay stored). */
  readonly failures: number;
}

/** An asynchronous multi-version store on PostgreSQL; see `connect` (`multistore-kv/postgres`). */
export class AsyncMultiStore {
  readonly #config: StoreConfig;
  readonly #db: Database;
  readonly #names: SqlNames;
  readonly #rows: Rows;
  readonly #router: TableRouter;
  readonly #snapshots: SnapshotRegistry;
  readonly #transactions: AsyncTransactionHost;
  #latest: number;
  #closing: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pendingLocal = 0;
  #flushing: Promise<DropFlushOutcome> | undefined;
  #dropStats: AsyncDropStats = Object.freeze({
    flushes: 0,
    requestsApplied: 0,
    entriesDropped: 0,
    parked: 0,
    failures: 0,
  });

  /** Connect (creating the schema and tables on first use); see the README, "PostgreSQL". */
  static async connect(options: ConnectOptions): Promise<AsyncMultiStore> {
    const config = resolveConnect(options);
    const { default: pg } = await import('pg');
    const owned = config.pool === undefined;
    const pool: PostgresPool =
      config.pool ??
      new pg.Pool({ connectionString: config.connectionString, max: config.maxConnections });
    const db = new Database(pool, owned, (error) =>
      config.store.logger.warn('idle postgres client failed', { error }),
    );
    try {
      const names = namesOf(config.schema);
      await createSchema(db, names);
      const tables = await setUpTables(db, names, config.store);
      const latest = await readLatest(db, names);
      return new AsyncMultiStore(config.store, db, names, new TableRouter(tables), latest);
    } catch (error) {
      await db.close().catch(() => {});
      throw error;
    }
  }

  private constructor(
    config: StoreConfig,
    db: Database,
    names: SqlNames,
    router: TableRouter,
    latest: number,
  ) {
    this.#config = config;
    this.#db = db;
    this.#names = names;
    this.#rows = new Rows(names);
    this.#router = router;
    this.#latest = latest;
    const { clock, logger } = config;
    this.#snapshots = new SnapshotRegistry({
      clock,
      logger,
      onRelease: () => this.#requested(this.#config.dropWorker.batchSize),
    });
    this.#transactions = this.#transactionHost();
    // Requests a crashed process left behind are applied soon.
    this.#requested(1);
  }

  /** Which tier the store runs on: `postgres`. */
  get tierKind(): string {
    this.#assertOpen();
    return 'postgres';
  }

  /**
   * The highest version this process has seen committed (by its own commits,
   * `begin`, `latest()` and ranges). Other processes may have committed above
   * it: `await latest()` asks the database.
   */
  get latestVersion(): number {
    this.#assertOpen();
    return this.#latest;
  }

  /** The highest version committed by any process, from the database. */
  async latest(): Promise<number> {
    this.#assertOpen();
    return this.#seen(await readLatest(this.#db, this.#names));
  }

  /**
   * Apply `deltas` atomically in one database transaction, at `version` or at
   * the next version from the database's oracle; returns the version used
   * (`undefined` for an empty commit without a version).
   */
  async commit(deltas: readonly Delta[], version?: number): Promise<number | undefined> {
    this.#assertOpen();
    const explicit = version === undefined ? undefined : checkVersion(version);
    return this.#commit(planCommit(deltas, this.#router), explicit, undefined);
  }

  /** Begin a transaction at the database's latest version (or `asOf`). */
  async begin(options?: BeginOptions): Promise<AsyncTransaction> {
    this.#assertOpen();
    const resolved = resolveBegin(options);
    const latest = await this.latest();
    return this.#begin(resolved, latest);
  }

  /**
   * Run `fn` in a transaction and commit it, running it again in a fresh
   * transaction on `TRANSACTION_CONFLICT` (at most `retries` more times,
   * default 3); returns what `fn` returned. If `fn` throws, the transaction is
   * rolled back and the error passed on.
   */
  async transaction<T>(
    fn: (tx: AsyncTransaction) => Promise<T> | T,
    options?: TransactionOptions,
  ): Promise<T> {
    this.#assertOpen();
    if (typeof fn !== 'function') {
      throw new InvalidInputError('INVALID_ARGUMENT', `fn must be a function, got ${describe(fn)}`);
    }
    const { begin, retries } = resolveTransaction(options);
    for (let attempt = 0; ; attempt++) {
      const tx = this.#begin(begin, await this.latest());
      let result: T;
      try {
        result = await fn(tx);
      } catch (error) {
        tx.rollback();
        throw error;
      }
      try {
        if (tx.state === 'open') await tx.commit();
        return result;
      } catch (error) {
        const conflict = (error as { code?: unknown }).code === 'TRANSACTION_CONFLICT';
        if (!conflict || attempt >= retries) throw error;
      }
    }
  }

  /** The value of `key` visible at `version` (default: the latest), or `undefined`. */
  async get(key: BytesLike, version?: number): Promise<StoreEntry | undefined> {
    this.#assertOpen();
    const bytes = toBytes(key, 'key');
    const at = version === undefined ? MAX_VERSION : checkVersion(version);
    const entry = await this.#read(bytes, at);
    if (entry?.value === undefined) return undefined;
    return { key: entry.key, value: entry.value, version: entry.version };
  }

  /** True when a value of `key` is visible at `version`. */
  async contains(key: BytesLike, version?: number): Promise<boolean> {
    return (await this.get(key, version)) !== undefined;
  }

  /**
   * Live entries of a key range at a version (default: the latest), in key
   * order (or reverse), paged from the database (`for await`). While it runs
   * it holds a snapshot at its version in this process.
   */
  range(spec?: RangeSpec, options?: RangeOptions): AsyncIterableIterator<StoreEntry> {
    this.#assertOpen();
    const range = resolveRange(spec);
    const { version, reverse, pageSize } = resolveRangeOptions(options);
    return this.#range(range, version, reverse, pageSize);
  }

  /**
   * Every stored write with `from < version <= to` (defaults: every write,
   * and the database's latest version) of a key range, one {@link Change}
   * per version in version order, its writes in key order, tombstones
   * included (`for await`). Throws `VERSION_TOO_OLD` when drops erased
   * history of the range reaching into the interval, as the embedded store
   * does. While it runs it holds snapshots at `from` and `to` in this process.
   */
  changes(options?: ChangeOptions): AsyncIterableIterator<Change> {
    this.#assertOpen();
    const { range, from, to, pageSize } = resolveChangeOptions(options);
    return this.#history(from, to, (upper) =>
      readChangesAsync(this.#historyRead(range, from, upper, pageSize)),
    );
  }

  /**
   * The keys of a range whose visible value differs between `fromVersion`
   * and `toVersion` (either order; a version above the latest reads the
   * latest), with the value at each (`undefined`: absent), in key order (or
   * reverse). Costs O(keys written between the two versions); reads refuse
   * erased history as `get` does (`VERSION_TOO_OLD`).
   */
  diff(
    fromVersion: number,
    toVersion: number,
    options?: DiffOptions,
  ): AsyncIterableIterator<DiffEntry> {
    this.#assertOpen();
    const before = checkVersion(fromVersion, 'fromVersion');
    const after = checkVersion(toVersion, 'toVersion');
    const { range, reverse, pageSize } = resolveDiffOptions(options);
    const lower = Math.min(before, after);
    return this.#history(lower, Math.max(before, after), (upper) => {
      const read = this.#historyRead(range, Math.min(lower, upper), upper, pageSize);
      const readAt = (key: Uint8Array, version: number) => this.#read(key, version);
      return readDiffAsync(read, readAt, before, after, reverse);
    });
  }

  /** Every stored version of `key`, newest first (`value` undefined = tombstone). */
  async versions(key: BytesLike): Promise<StoredVersion[]> {
    this.#assertOpen();
    const bytes = toBytes(key, 'key');
    const table = this.#router.route(bytes).name;
    const entries = await this.#rows.versions(this.#db.sql, table, bytes);
    return entries.map(({ version, value }) => ({ version, value }));
  }

  /**
   * Resolves once every drop request stored in the database (by any process)
   * is applied, except those an open snapshot of this process holds back.
   */
  async flush(): Promise<void> {
    this.#assertOpen();
    await this.#flushNow();
  }

  /** Counters of this process's drop flushes. */
  dropWorkerStats(): AsyncDropStats {
    this.#assertOpen();
    return this.#dropStats;
  }

  /** Storage figures from the database (exact after `flush()`), and this process's snapshots. */
  async stats(): Promise<AsyncStoreStats> {
    this.#assertOpen();
    const { rows } = await this.#db.sql.query(
      `SELECT s.*, (SELECT count(*) FROM ${this.#names.dropRequests})
              + (SELECT count(*) FROM ${this.#names.rangeDrops}) AS pending
         FROM ${this.#names.stats} AS s ORDER BY table_name`,
    );
    const total = new FigureCounter();
    const tables: Record<string, StorageFigures> = {};
    let pendingDrops = 0;
    for (const row of rows as StatsRow[]) {
      const figures = figuresOf(row);
      total.add(figures);
      tables[row.table_name] = figures;
      pendingDrops = int(row.pending);
    }
    const open = this.#snapshots.list();
    let oldestAgeMs: number | undefined;
    for (const lease of open)
      if (oldestAgeMs === undefined || lease.ageMs > oldestAgeMs) oldestAgeMs = lease.ageMs;
    const snapshots = Object.freeze({
      watermark: this.#snapshots.watermark(),
      open: open.length,
      oldestAgeMs,
    });
    return Object.freeze({
      total: total.snapshot(),
      tables: Object.freeze(tables),
      snapshots,
      pendingDrops,
    });
  }

  /**
   * Roll back open transactions, apply the stored drop requests (a failure is
   * logged: they stay stored for any process), and end the pool the store
   * made. Closing twice is harmless.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** The logger of the store (for the CLI and tests). */
  get logger(): Logger {
    return this.#config.logger;
  }

  async #shutdown(): Promise<void> {
    this.#snapshots.closeAll();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      await this.#flushNow();
    } catch (error) {
      this.#config.logger.warn('applying drop requests at close failed; they stay stored', {
        error,
      });
    } finally {
      await this.#db.close();
    }
  }

  async #commit(
    plan: CommitPlan,
    explicit: number | undefined,
    tx: TransactionWork | undefined,
  ): Promise<number | undefined> {
    const highestOpen = explicit === undefined ? undefined : this.#snapshots.highestOpen(tx?.lease);
    const context: CommitContext = { names: this.#names, rows: this.#rows, router: this.#router };
    const request = { plan, explicit, highestOpen, subject: tx };
    const outcome = await this.#db.transaction((sql) => commitIn(sql, context, request));
    tx?.written();
    this.#seen(outcome.latest);
    if (outcome.requests > 0) this.#requested(outcome.requests);
    return outcome.version;
  }

  #begin(options: ResolvedBegin, latest: number): AsyncTransaction {
    const version = options.asOf ?? latest;
    return new AsyncTransaction(this.#transactions, {
      readOnly: options.readOnly,
      isolation: options.isolation,
      version,
      base: Math.min(version, latest),
      maxAgeMs: options.maxAgeMs,
    });
  }

  #transactionHost(): AsyncTransactionHost {
    return Object.freeze({
      snapshots: this.#snapshots,
      assertOpen: () => this.#assertOpen(),
      read: (key: Uint8Array, version: number) => this.#read(key, version),
      readRange: (range: ResolvedRange, version: number, reverse: boolean, pageSize: number) =>
        this.#rangeAt(range, version, reverse, pageSize),
      commit: (work: TransactionWork) =>
        this.#commit(planCommit(work.deltas, this.#router), work.explicit, work),
    });
  }

  async #read(key: Uint8Array, version: number): Promise<TierEntry | undefined> {
    const table = this.#router.route(key).name;
    const read = await this.#rows.entry(this.#db.sql, table, key, version);
    if (read.refusedBelow !== undefined)
      throw new VersionTooOldError(version, read.refusedBelow, key);
    return read.entry;
  }

  async *#range(
    range: ResolvedRange,
    version: number | undefined,
    reverse: boolean,
    pageSize: number,
  ): AsyncGenerator<StoreEntry, void> {
    const latest = await this.latest();
    const at = version === undefined || version > latest ? latest : version;
    const lease = this.#snapshots.open({ version: at, kind: 'range' });
    try {
      for await (const entry of this.#rangeAt(range, at, reverse, pageSize)) {
        this.#assertOpen();
        yield entry;
      }
    } catch (error) {
      this.#assertOpen(); // a page read after close failed on the ended pool
      throw error;
    } finally {
      this.#snapshots.close(lease);
    }
  }

  /**
   * Run a history read of `(from, min(to, latest)]` holding snapshots at
   * both ends; nothing above the latest version means no read at all.
   */
  async *#history<T>(
    from: number,
    to: number | undefined,
    read: (upper: number) => AsyncGenerator<T, void>,
  ): AsyncGenerator<T, void> {
    const latest = await this.latest();
    const upper = Math.min(to ?? latest, latest);
    const lease = this.#snapshots.open({ version: upper, kind: 'range' });
    const lower =
      from >= 0 && from < upper
        ? this.#snapshots.open({ version: from, kind: 'range' })
        : undefined;
    try {
      for await (const entry of read(upper)) {
        this.#assertOpen();
        yield entry;
      }
    } catch (error) {
      this.#assertOpen(); // a page read after close failed on the ended pool
      throw error;
    } finally {
      this.#snapshots.close(lease);
      if (lower !== undefined) this.#snapshots.close(lower);
    }
  }

  #historyRead(range: ResolvedRange, from: number, to: number, pageSize: number): AsyncHistoryRead {
    return { sql: this.#db.sql, rows: this.#rows, router: this.#router, range, from, to, pageSize };
  }

  #rangeAt(range: ResolvedRange, version: number, reverse: boolean, pageSize: number) {
    const read = { sql: this.#db.sql, rows: this.#rows, router: this.#router };
    return readRangeAsync({ ...read, range, version, reverse, pageSize });
  }

  /** Drop requests were stored: apply them after the flush interval, or now past a batch. */
  #requested(count: number): void {
    if (this.#closing !== undefined) return;
    this.#pendingLocal += count;
    const { batchSize, flushIntervalMs } = this.#config.dropWorker;
    if (this.#pendingLocal >= batchSize) {
      this.#background();
      return;
    }
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.#background(), flushIntervalMs);
    this.#timer.unref?.();
  }

  #background(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pendingLocal = 0;
    this.#flushNow().catch((error: unknown) => {
      const level = isRetryable(error) ? 'warn' : 'error';
      this.#config.logger[level]('applying drop requests failed; they stay stored', { error });
    });
  }

  /** One flush at a time in this process; a flush asked during one runs after it. */
  #flushNow(): Promise<DropFlushOutcome> {
    const previous = this.#flushing ?? Promise.resolve(undefined);
    const next = previous.catch(() => undefined).then(() => this.#flushOnce());
    this.#flushing = next;
    return next;
  }

  async #flushOnce(): Promise<DropFlushOutcome> {
    const stats = this.#dropStats;
    try {
      const outcome = await applyDropRequests({
        db: this.#db,
        names: this.#names,
        rows: this.#rows,
        router: this.#router,
        snapshots: this.#snapshots,
        batchSize: this.#config.dropWorker.batchSize,
      });
      this.#dropStats = Object.freeze({
        ...stats,
        flushes: stats.flushes + 1,
        requestsApplied: stats.requestsApplied + outcome.applied,
        entriesDropped: stats.entriesDropped + outcome.erased,
        parked: outcome.parked,
      });
      return outcome;
    } catch (error) {
      this.#dropStats = Object.freeze({ ...stats, failures: stats.failures + 1 });
      throw error;
    }
  }

  #seen(latest: number): number {
    if (latest > this.#latest) this.#latest = latest;
    return latest;
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new StoreClosedError();
  }
}

async function readLatest(db: Database, names: SqlNames): Promise<number> {
  const { rows } = await db.sql.query(`SELECT latest FROM ${names.oracle} WHERE id = 1`);
  return int((rows[0] as { latest: unknown }).latest);
}

interface StatsRow {
  readonly table_name: string;
  readonly current_count: unknown;
  readonly current_key_bytes: unknown;
  readonly current_value_bytes: unknown;
  readonly historical_count: unknown;
  readonly historical_key_bytes: unknown;
  readonly historical_value_bytes: unknown;
  readonly pending: unknown;
}

function figuresOf(row: StatsRow): StorageFigures {
  return Object.freeze({
    currentCount: int(row.current_count),
    currentKeyBytes: int(row.current_key_bytes),
    currentValueBytes: int(row.current_value_bytes),
    historicalCount: int(row.historical_count),
    historicalKeyBytes: int(row.historical_key_bytes),
    historicalValueBytes: int(row.historical_value_bytes),
  });
}
