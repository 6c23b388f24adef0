/**
 * MultiStore: commits at versions, time-travel reads, tables, the drop worker.
 *
 * ```
 *   commit(deltas, v?) ─► validate all ─► version (oracle) ─► tier.set(v), observing each write
 *   tx.commit() ─► conflict check ─┘                              │ stats record
 *                                           tracker.record ◄──────┤ first
 *        drop requests (ceiling: latest now) ─► queued for the drop worker   │ then
 *                                     store.events listeners ◄────────────────┘ last
 *   get / contains / range / versions (at version V) ─► tier reads, newest version <= V
 *   begin() ─► Transaction: a lease on a snapshot, a write buffer (transaction.ts)
 *   changes / diff (from, to) ─► tier.changePage (the index by version), history-checked (changes.ts)
 *   watch() ─► a live iterator of later commits, fed after each commit (watch.ts)
 *   flush() ─► drop worker applied everything sent before, events delivered (or shed)
 *   close() ─► roll back open transactions, end watches, drain the worker, stop the runtime, close the tier
 *   verify() ─► recount the data, compare with the figures the tier keeps
 *   backup(path) ─► the tier copies its file (SQLite), commits going on
 * ```
 *
 * The write side (commits, the drop worker, the figures, the request log) is
 * store-writer.ts. A read-only store (`readOnly`, a SQLite file beside its
 * writer) has none: its reads, its latest version and its figures come from
 * the file at each call, each `range` reads one snapshot, and `commit`
 * throws `READ_ONLY`.
 *
 * Visibility has one rule: at version V a key shows its newest stored version
 * at or below V; a tombstone there means absent. Writes at a version older than
 * a key's newest land in history without changing what newer reads see.
 * Drops erase stored versions for good (no tombstone) and happen off the
 * commit path, in the drop worker; retention tables get an implicit
 * `keepLastVersions` drop for every key a commit writes.
 *
 * Versions come from the version oracle: a commit without a version takes
 * the next one after the highest ever committed. Open snapshots
 * (transactions, range iterators) are leases in the snapshot registry; the
 * conflict tracker keeps the keys of recent commits while read-write
 * transactions are open (src/transaction/ holds those three, free of I/O).
 * With no transaction open a plain commit pays two O(1) calls for them.
 *
 * Public methods validate their input and throw {@link StoreError}s with
 * stable codes; a commit is validated whole before anything is written.
 *
 * @module
 */

import { trace } from '@opentelemetry/api';
import { describe, toBytes } from '../common/bytes.js';
import {
  InvalidInputError,
  ReadOnlyError,
  StoreClosedError,
  StoreFailedError,
} from '../common/errors.js';
import { isPlainObject } from '../common/properties.js';
import { checkVersion, MAX_VERSION } from '../common/version.js';
import { EventBus } from '../event/bus.js';
import type { StatsEntry, StorageStatsRecorded } from '../event/events.js';
import { EventSubscriptions, type StoreEvents } from '../event/subscriptions.js';
import type { StorageStats } from '../stats/figures.js';
import { StorageStatsTracker } from '../stats/tracker.js';
import { AbstractTier } from '../tier/abstract-tier.js';
import { openTier } from '../tier/factory.js';
import type { CompactResult, TierReader } from '../tier/tier.js';
import {
  ConflictTracker,
  type KeyId,
  SnapshotRegistry,
  VersionOracle,
} from '../transaction/index.js';
import {
  type Change,
  type ChangeOptions,
  type DiffEntry,
  type DiffOptions,
  decodeChange,
  decodeDiffEntry,
  decodedItems,
  readChanges,
  readDiff,
  resolveChangeOptions,
  resolveDiffOptions,
} from './changes.js';
import { keysOf, rangesOf } from './commit-requests.js';
import { checkConflicts, type StoredHistory } from './conflict-check.js';
import type { CommitPlan, Delta } from './deltas.js';
import { planCommit } from './deltas.js';
import type { DropWorkerStats } from './drop-worker.js';
import { reconcileEncodings } from './encoding-setting.js';
import {
  type Codecs,
  decodedEntries,
  decodeEntry,
  type Input,
  type KeyOf,
  type ValueOf,
} from './encodings.js';
import { HistoryReads } from './history-reads.js';
import { type MultiStoreOptions, resolveOptions, type StoreConfig } from './options.js';
import {
  type RangeOptions,
  type RangeSpec,
  type ResolvedRange,
  readInSnapshot,
  readRangeInSnapshot,
  resolveRange,
  resolveRangeOptions,
  type StoreEntry,
} from './range.js';
import { TableRouter } from './routing.js';
import { SnapshotRange } from './snapshot-range.js';
import { StoreWriter } from './store-writer.js';
import { storedHistory } from './stored-history.js';
import { reconcileTables, storedTables } from './table-catalog.js';
import { Transaction, type TransactionHost, type TransactionWork } from './transaction.js';
import {
  type BeginOptions,
  type ResolvedBegin,
  resolveBegin,
  resolveTransaction,
  type TransactionOptions,
} from './transaction-options.js';
import { runTransaction } from './transaction-runner.js';
import { type FigureDifference, verifyFigures } from './verify.js';
import { type Watch, WatchHub, type WatchOptions } from './watch.js';

/** What `stats()` reports: the storage figures, the events listeners missed, the open snapshots. */
export interface StoreStats extends StorageStats {
  /**
   * `storage-stats` events not delivered to listeners because the event queue
   * was full (event-loop mode, see the README). The figures never miss one.
   */
  readonly eventsShed: number;
  /** The open snapshots (transactions and range iterators). */
  readonly snapshots: SnapshotStats;
}

/** The open snapshots, as `stats().snapshots` reports them. */
export interface SnapshotStats {
  /** The oldest version an open snapshot reads at: drops never erase what it reads. */
  readonly watermark: number | undefined;
  /** How many snapshots are open (transactions and range iterators). */
  readonly open: number;
  /** The age of the oldest open snapshot, in milliseconds of the store's clock. */
  readonly oldestAgeMs: number | undefined;
}

/** One stored version of a key, as `versions` lists it. */
export interface StoredVersion<V = Uint8Array> {
  readonly version: number;
  /** The value, or `undefined` for a tombstone. */
  readonly value: V | undefined;
}

/** The encoding an options object names (`undefined` when it names none). */
type Named<O, P extends string> = O extends { readonly [key in P]?: infer E } ? E : undefined;

/** Options that name no encoding: what `open()` without options types as. */
interface NoEncodings {
  readonly keyEncoding?: undefined;
  readonly valueEncoding?: undefined;
}

/** The store `open` returns for options `O`: its key and value types follow the encodings. */
export type StoreFor<O> = MultiStore<
  KeyOf<Named<O, 'keyEncoding'>>,
  ValueOf<Named<O, 'valueEncoding'>>
>;

const tracer = trace.getTracer('multistore');

/** The drop-worker counters of a store that has no drop worker (read-only). */
const NO_WORKER: DropWorkerStats = Object.freeze({
  requests: 0,
  batches: 0,
  entriesDropped: 0,
  trimmedInCommit: 0,
  backpressure: 0,
  failures: 0,
  parked: 0,
});

/**
 * Tiers a store was opened over. A store owns its tier (its statistics,
 * latest version and drop queue describe that tier alone) and closes it, so
 * a tier serves one store, once.
 */
const ownedTiers = new WeakSet<AbstractTier>();

/**
 * An embedded multi-version key-value store. `K` and `V` are the key and value
 * types reads return, set by the encodings it was opened with (bytes by
 * default); what it accepts is `Input<K>` and `Input<V>` (bytes also take a
 * string).
 */
export class MultiStore<K = Uint8Array, V = Uint8Array> {
  readonly #codecs: Codecs;
  readonly #tier: AbstractTier;
  readonly #router: TableRouter;
  readonly #bus: EventBus;
  readonly #events: StoreEvents;
  readonly #oracle: VersionOracle;
  readonly #snapshots: SnapshotRegistry;
  readonly #conflicts: ConflictTracker;
  readonly #history: StoredHistory;
  readonly #transactions: TransactionHost;
  readonly #reads: HistoryReads;
  readonly #watches: WatchHub;
  /** The write side; `undefined` for a read-only store. */
  readonly #writer: StoreWriter | undefined;
  readonly #backups = new Set<Promise<void>>();
  #closing: Promise<void> | undefined;
  /** Set when a write group failed to commit: the store refuses every call but `close`. */
  #failure: StoreFailedError | undefined;

  /** Open a store (memory by default, SQLite with `path` or `tier: 'sqlite'`). */
  static open<const O extends MultiStoreOptions = NoEncodings>(options?: O): StoreFor<O> {
    const config = resolveOptions(options);
    const { tier, path, readOnly, synchronous, locking } = config;
    return MultiStore.#build(
      config,
      openTier({ kind: tier, path, readOnly, synchronous, locking }),
    );
  }

  /**
   * Open a store over a tier you built (an {@link AbstractTier} from
   * `multistore-kv/tier`); the store owns it from now on and closes it. Throws
   * `INVALID_ARGUMENT` for anything that does not extend `AbstractTier`, and
   * for a tier already given to a store. `path`, `tier`, `readOnly` and
   * `sqlite` options are ignored: the store is read-only when the tier is.
   */
  static fromTier<
    const O extends Omit<MultiStoreOptions, 'path' | 'tier' | 'readOnly' | 'sqlite'> = NoEncodings,
  >(tier: AbstractTier, options?: O): StoreFor<O> {
    if (!(tier instanceof AbstractTier)) {
      throw new InvalidInputError(
        'INVALID_ARGUMENT',
        `a tier must extend AbstractTier (from multistore-kv/tier), got ${describe(tier)}`,
      );
    }
    if (ownedTiers.has(tier)) {
      throw new InvalidInputError(
        'INVALID_ARGUMENT',
        'this tier already belongs to a store (a store owns its tier and closes it)',
      );
    }
    const ignored = { path: undefined, tier: undefined, readOnly: undefined, sqlite: undefined };
    // Not a plain object (a Map of options): refused by resolveOptions, not spread into `{}`.
    const given = isPlainObject(options) ? { ...options, ...ignored } : (options ?? ignored);
    return MultiStore.#build(resolveOptions(given), tier);
  }

  static #build<S>(config: StoreConfig, tier: AbstractTier): S {
    ownedTiers.add(tier);
    try {
      return new MultiStore(config, tier) as S;
    } catch (error) {
      try {
        tier.close();
      } catch (closeError) {
        // The open's own failure is the one to throw; the tier is marked closed either way.
        config.logger.warn('closing the tier of a failed open failed', { error: closeError });
      }
      throw error;
    }
  }

  private constructor(config: StoreConfig, tier: AbstractTier) {
    this.#tier = tier;
    const readOnly = config.readOnly || tier.readOnly;
    const tables = readOnly
      ? storedTables(tier, config.tables, config.tablesDeclared)
      : reconcileTables(tier, config.tables, config.tablesDeclared);
    this.#codecs = reconcileEncodings(tier, config.keyEncoding, config.valueEncoding);
    this.#router = new TableRouter(tables);
    const { actorMode: mode, clock, logger } = config;
    this.#bus = new EventBus({ mode, logger });
    this.#events = new EventSubscriptions(this.#bus);
    const latest = tier.latestVersion();
    this.#oracle = new VersionOracle(latest);
    this.#conflicts = new ConflictTracker(latest);
    this.#reads = new HistoryReads(tier, this.#router, readOnly);
    // An ended snapshot may free parked drops.
    this.#watches = new WatchHub(mode);
    this.#snapshots = new SnapshotRegistry({
      clock,
      logger,
      onRelease: () => this.#writer?.wake(),
    });
    this.#transactions = this.#transactionHost();
    if (readOnly) {
      this.#history = storedHistory(tier, this.#router, () => []);
      return;
    }
    for (const table of tables) tier.ensureTable(table.name);
    const writer = new StoreWriter({
      config,
      tier,
      tables,
      router: this.#router,
      snapshots: this.#snapshots,
      publish: (record) => this.#emit(record),
      horizonsRecorded: (readableFrom) => this.#reads.raiseFloor(readableFrom),
      isOpen: () => this.#closing === undefined,
      failed: (error) => {
        this.#failure ??= new StoreFailedError(error);
      },
    });
    this.#writer = writer;
    this.#history = storedHistory(tier, this.#router, () => writer.queued());
  }

  /**
   * The highest version committed so far (0 for a new store); survives
   * reopening a file. A read-only store reads it from the file each time.
   */
  get latestVersion(): number {
    this.#assertOpen();
    return this.#writer === undefined ? this.#tier.latestVersion() : this.#oracle.latest;
  }

  /** True for a store opened read-only (or over a read-only tier): `commit` throws `READ_ONLY`. */
  get readOnly(): boolean {
    this.#assertOpen();
    return this.#writer === undefined;
  }

  /**
   * Subscriptions to the `storage-stats` events of every commit and drop flush
   * (read-only). After `close()` this getter throws `STORE_CLOSED`, and so does
   * `on` of a subscription object taken before. A read-only store makes no
   * events.
   */
  get events(): StoreEvents<K> {
    this.#assertOpen();
    return this.#events as StoreEvents<never>;
  }

  /** Which tier the store runs on: `memory` or `sqlite`. */
  get tierKind(): string {
    this.#assertOpen();
    return this.#tier.kind;
  }

  /**
   * Apply `deltas` atomically, at `version` or, without one, at the next
   * version after the highest ever committed; returns the version used
   * (`undefined` for an empty commit without a version: it takes none). An
   * explicit version at or below an open snapshot's is refused
   * (`SNAPSHOT_VIOLATION`). Drops are only requested here; the drop worker
   * applies them (the requests are durable with the commit).
   */
  commit(deltas: readonly Delta<Input<K>, Input<V>>[], version?: number): number | undefined {
    this.#assertOpen();
    if (this.#writer === undefined) throw new ReadOnlyError('store', 'commit');
    const explicit = version === undefined ? undefined : checkVersion(version);
    return this.#commit(planCommit(deltas, this.#router, this.#codecs), explicit, undefined);
  }

  /**
   * Commit as `commit` does, acknowledged asynchronously (group commit):
   * resolves to the version used once the commit is durable. On a SQLite
   * file the grouped commits of one turn share one SQLite transaction (each
   * still all or nothing: one that fails rejects alone), committed at the
   * end of the turn (a microtask in inline mode) or once the group holds
   * 10,000 writes, so one sync serves them all: with `synchronous: 'full'`
   * a resolved commit survives a power loss. Reads through this store see
   * the commit as soon as the call returns; watches, `storage-stats`
   * listeners and read-only stores beside it hear of it once it is durable.
   * Anything that needs the file settled (a `commit`, `tx.commit()`,
   * `flush`, `compact`, `backup`, `close`, `watch`, the drop worker's next flush)
   * commits the open group first. On the memory tier it resolves right
   * after the commit. Every error is a rejection, with the codes `commit`
   * throws; if the group's COMMIT fails, its commits reject with `TIER_IO`
   * and the store stops (`STORE_FAILED`): open the file again for its last
   * durable state.
   */
  commitAsync(
    deltas: readonly Delta<Input<K>, Input<V>>[],
    version?: number,
  ): Promise<number | undefined> {
    try {
      this.#assertOpen();
      if (this.#writer === undefined) throw new ReadOnlyError('store', 'commit');
      const explicit = version === undefined ? undefined : checkVersion(version);
      let durable: Promise<void> | undefined;
      const plan = planCommit(deltas, this.#router, this.#codecs);
      const used = this.#commit(plan, explicit, undefined, (grouped) => {
        durable = grouped;
      });
      return durable === undefined ? Promise.resolve(used) : durable.then(() => used);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Begin a transaction: it reads the store as of `asOf` (default: the latest
   * committed version) plus its own writes, and commits them at one new
   * version unless a concurrent commit conflicts (see {@link Transaction}).
   */
  begin(options?: BeginOptions): Transaction<K, V> {
    this.#assertOpen();
    if (this.#writer === undefined) throw new ReadOnlyError('store', 'begin a transaction');
    return this.#begin(resolveBegin(options));
  }

  /**
   * Run `fn` in a transaction and commit it, running it again in a fresh
   * transaction when the commit conflicts (at most `retries` more times,
   * default 3), also when the conflict is thrown by `fn` (its own
   * `tx.commit()`); returns what `fn` returned. If `fn` throws (or its promise
   * rejects) the transaction is rolled back and the error passed on. A
   * transaction that expired, or whose store closed, while `fn` ran fails
   * (`TRANSACTION_TOO_OLD`, `STORE_CLOSED`) rather than returning.
   */
  transaction<T>(
    fn: (tx: Transaction<K, V>) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T>;
  transaction<T>(fn: (tx: Transaction<K, V>) => T, options?: TransactionOptions): T;
  transaction<T>(fn: (tx: Transaction<K, V>) => T, options?: TransactionOptions): T {
    this.#assertOpen();
    if (this.#writer === undefined) throw new ReadOnlyError('store', 'run a transaction');
    if (typeof fn !== 'function') {
      throw new InvalidInputError('INVALID_ARGUMENT', `fn must be a function, got ${describe(fn)}`);
    }
    const { begin, retries } = resolveTransaction(options);
    const host = { begin: () => this.#begin(begin), assertOpen: () => this.#assertOpen() };
    return runTransaction(host, fn, retries);
  }

  /**
   * The value of `key` visible at `version` (default: latest), or `undefined`;
   * key and value are fresh arrays the caller owns.
   */
  get(key: Input<K>, version?: number): StoreEntry<K, V> | undefined {
    this.#assertOpen();
    const bytes = this.#readKey(key);
    const entry = this.#reads.read(bytes, this.#readVersion(version));
    if (entry?.value === undefined) return undefined;
    // The tier's fresh key, never the caller's own array (which may be a Buffer).
    const found = { key: entry.key, value: entry.value, version: entry.version };
    return decodeEntry(this.#codecs, found);
  }

  /** True when a value (not a tombstone, not nothing) of `key` is visible at `version`. */
  contains(key: Input<K>, version?: number): boolean {
    return this.get(key, version) !== undefined;
  }

  /**
   * Live entries of a key range at a version (default: the latest), in key
   * order (or reverse), paged through the tier. The iterator reads one state:
   * it holds a snapshot at its version until it is exhausted or returned
   * (a version above the latest reads, and holds, the latest). A read-only
   * store reads the whole range in one snapshot of the file instead (taken
   * at the first `next()`).
   */
  range(spec?: RangeSpec<Input<K>>, options?: RangeOptions): IterableIterator<StoreEntry<K, V>> {
    this.#assertOpen();
    const range = resolveRange(spec, this.#codecs);
    const { version, reverse, pageSize } = resolveRangeOptions(options);
    const codecs = this.#codecs;
    const decode = (entries: Iterator<StoreEntry>): Iterator<StoreEntry<K, V>> =>
      decodedEntries(codecs, entries);
    if (this.#writer === undefined) {
      const read = { router: this.#router, range, reverse, pageSize };
      const entries = readRangeInSnapshot(this.#tier, { ...read, version }, () =>
        this.#assertOpen(),
      );
      return decode(entries) as IterableIterator<StoreEntry<K, V>>;
    }
    const at = version ?? this.#oracle.latest;
    return this.#snapshotRange(range, at, reverse, pageSize, undefined, decode);
  }

  /**
   * A range read at `version` (the latest, when above it) under a snapshot it
   * holds, its entries passed through `map` (the store's: decoded; a
   * transaction's: the stored bytes, which it lays its writes over).
   */
  #snapshotRange<E = StoreEntry>(
    range: ResolvedRange,
    version: number,
    reverse: boolean,
    pageSize: number,
    maxAgeMs: number | undefined,
    map: (entries: Iterator<StoreEntry>) => Iterator<E> = (entries) => entries as Iterator<E>,
  ): SnapshotRange<E> {
    const latest = this.#oracle.latest;
    return new SnapshotRange<E>(
      this.#snapshots,
      Math.min(version, latest),
      () => this.#assertOpen(),
      (v) => map(this.#reads.range(range, v, reverse, pageSize)),
      maxAgeMs,
    );
  }

  /**
   * Every stored write with `from < version <= to` (defaults: 0 and the
   * latest version) of a key range, one {@link Change} per version in
   * version order, its writes in key order, tombstones included (`value`
   * undefined), keys and values decoded by the store's encodings (its range
   * options take keys of the key encoding, as `range`'s do). Throws
   * `VERSION_TOO_OLD` when drops erased history of the range reaching into
   * the interval (see the README). The iterator holds snapshots at `from`
   * and `to` until it is exhausted or returned (a read-only store: one
   * snapshot of the file, taken at the first `next()`, whose latest version
   * is the default `to`).
   */
  changes(options?: ChangeOptions<Input<K>>): IterableIterator<Change<K, V>> {
    this.#assertOpen();
    const codecs = this.#codecs;
    const { range, from, to, pageSize } = resolveChangeOptions(options, codecs);
    if (this.#writer === undefined) {
      return this.#inFileSnapshot((reads, latest) => {
        const upper = Math.min(to ?? latest, latest);
        if (from >= upper) return [][Symbol.iterator]();
        const read = { reads, range, from, to: upper, pageSize };
        return decodedItems(codecs, readChanges(read), decodeChange<K, V>);
      });
    }
    const latest = this.#oracle.latest;
    const upper = Math.min(to ?? latest, latest);
    // Nothing is above the latest version: an empty feed holds no snapshot.
    if (from >= upper) return [][Symbol.iterator]();
    return new SnapshotRange(
      this.#snapshots,
      upper,
      () => this.#assertOpen(),
      () =>
        decodedItems(
          codecs,
          readChanges({ reads: this.#reads, range, from, to: upper, pageSize }),
          decodeChange<K, V>,
        ),
      undefined,
      Math.max(0, from),
    );
  }

  /**
   * The keys of a range whose visible value differs between `fromVersion`
   * and `toVersion` (either order; a version above the latest reads the
   * latest), with the value at each (`undefined`: absent), decoded by the
   * store's encodings, in key order (or reverse). Costs O(keys written between the two versions); reads refuse
   * erased history as `get` does (`VERSION_TOO_OLD`).
   */
  diff(
    fromVersion: number,
    toVersion: number,
    options?: DiffOptions<Input<K>>,
  ): IterableIterator<DiffEntry<K, V>> {
    this.#assertOpen();
    const before = checkVersion(fromVersion, 'fromVersion');
    const after = checkVersion(toVersion, 'toVersion');
    const codecs = this.#codecs;
    const { range, reverse, pageSize } = resolveDiffOptions(options, codecs);
    if (this.#writer === undefined) {
      return this.#inFileSnapshot((reads, latest) => {
        const lo = Math.min(before, after, latest);
        const hi = Math.min(Math.max(before, after), latest);
        const read = { reads, range, from: lo, to: hi, pageSize };
        const entries = readDiff(read, Math.min(before, latest), Math.min(after, latest), reverse);
        return decodedItems(codecs, entries, decodeDiffEntry<K, V>);
      });
    }
    const latest = this.#oracle.latest;
    const lo = Math.min(before, after, latest);
    const hi = Math.min(Math.max(before, after), latest);
    return new SnapshotRange(
      this.#snapshots,
      hi,
      () => this.#assertOpen(),
      // Each side read at most at the latest version of this call: a commit
      // landing while the diff runs shows in neither side.
      () =>
        decodedItems(
          codecs,
          readDiff(
            { reads: this.#reads, range, from: lo, to: hi, pageSize },
            Math.min(before, latest),
            Math.min(after, latest),
            reverse,
          ),
          decodeDiffEntry<K, V>,
        ),
      undefined,
      lo,
    );
  }

  /**
   * Watch a key range: an async iterator of every commit after this call
   * whose writes touch the range (only those writes, in the shape of a
   * `changes` entry), delivered after the commit. A consumer that falls
   * `bufferSize` changes behind (default 1,024) gets `WATCH_OVERFLOW`;
   * `signal` and `watch.close()` end it, and so does `store.close()`. A
   * read-only store hears of no commit (another process makes them): it
   * refuses with `READ_ONLY`; follow its `changes` from the last version
   * seen instead.
   */
  watch(spec?: RangeSpec<Input<K>>, options?: WatchOptions): Watch<K, V> {
    this.#assertOpen();
    if (this.#writer === undefined) {
      throw new ReadOnlyError(
        'store',
        'watch commits (they are made by its writer): read changes({ from }) from the last version seen instead',
      );
    }
    // The commits of an open group were made before this call: announced
    // once durable, they must not reach a watch that began after them.
    this.#writer.endGroup();
    return this.#watches.open<K, V>(spec, options, this.#oracle.latest, this.#codecs);
  }

  /** Every stored version of `key`, newest first (`value` undefined = tombstone). */
  versions(key: Input<K>): StoredVersion<V>[] {
    this.#assertOpen();
    const bytes = this.#readKey(key);
    const codecs = this.#codecs;
    const decode = codecs.binaryValues ? undefined : codecs.valueOf;
    return this.#tier.getAllVersions(this.#router.route(bytes).name, bytes).map(
      ({ version, value }) =>
        ({
          version,
          value: value === undefined || decode === undefined ? value : decode(value),
        }) as StoredVersion<V>,
    );
  }

  /**
   * Resolves once every drop sent before the call is applied and every event
   * emitted so far delivered (or shed: see `stats().eventsShed`).
   */
  async flush(): Promise<void> {
    this.#assertOpen();
    await this.#writer?.flush();
    await this.#bus.idle();
  }

  /**
   * Give back the disk space that drops freed: apply every pending drop (as
   * `flush` does), then compact the tier (SQLite: VACUUM, then a WAL
   * checkpoint that empties the WAL; memory: nothing to give back, drops
   * free their memory as they apply). Entries, versions, horizons and
   * statistics are unchanged. Resolves to the storage size before and after
   * (`undefined` for memory). Synchronous once the drops are applied: the
   * store answers nothing else meanwhile (see the README for when to use it).
   * A read-only store refuses (`READ_ONLY`): compacting rewrites the file.
   */
  async compact(): Promise<CompactResult> {
    this.#assertOpen();
    if (this.#writer === undefined) throw new ReadOnlyError('store', 'compact');
    await this.flush();
    // Closed while the drops were applied: the tier is gone.
    this.#assertOpen();
    const span = tracer.startSpan('store.compact');
    try {
      return this.#tier.compact();
    } finally {
      span.end();
    }
  }

  /**
   * Storage figures per table and in total (exact after `await flush()`),
   * events shed, and the open snapshots with their watermark. A read-only
   * store reads the figures from the file each time.
   */
  stats(): StoreStats {
    this.#assertOpen();
    const open = this.#snapshots.list();
    let oldestAgeMs: number | undefined;
    for (const lease of open)
      if (oldestAgeMs === undefined || lease.ageMs > oldestAgeMs) oldestAgeMs = lease.ageMs;
    const snapshots = Object.freeze({
      watermark: this.#snapshots.watermark(),
      open: open.length,
      oldestAgeMs,
    });
    const figures = this.#writer?.stats() ?? this.#storedStats();
    return Object.freeze({ ...figures, eventsShed: this.#bus.shed, snapshots });
  }

  /** Counters of the drop worker (all zero for a read-only store). */
  dropWorkerStats(): DropWorkerStats {
    this.#assertOpen();
    return this.#writer?.dropWorkerStats() ?? NO_WORKER;
  }

  /**
   * Recount every stored version and compare with the figures the storage
   * keeps: the differences, or `[]` when they agree. Reads everything
   * (O(stored versions)); a read-only store reads one snapshot.
   */
  verify(): FigureDifference[] {
    this.#assertOpen();
    return verifyFigures(this.#tier, this.#router.tables);
  }

  /**
   * Copy the store's file, consistently, to a new file at `path` (which must
   * not exist), while commits go on: the copy opens as a normal store. Needs
   * a SQLite store (`INVALID_ARGUMENT` on the memory tier).
   */
  async backup(path: string): Promise<void> {
    this.#assertOpen();
    const backup = this.#tier.backup(path);
    this.#backups.add(backup);
    try {
      await backup;
    } finally {
      this.#backups.delete(backup);
    }
  }

  /**
   * Roll back every open transaction (and end every range iterator), drain
   * the drop worker, stop the runtime and close the tier. Closing twice is
   * harmless.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** True once `close()` was called (the store then refuses every call but `close`). */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  async #shutdown(): Promise<void> {
    try {
      // Grouped commits become durable (and heard of) before the watches end.
      this.#writer?.endGroup();
    } catch {
      // Its commits were rejected and the store stopped: close all the same.
    }
    // Then: open snapshots no longer hold back any drop.
    this.#snapshots.closeAll();
    this.#watches.endAll();
    try {
      await this.#writer?.shutdown();
      await Promise.allSettled(this.#backups);
      await this.#bus.idle();
    } finally {
      this.#bus.close();
      this.#tier.close();
    }
  }

  /**
   * The commit path of `commit` and `tx.commit`: conflicts (a transaction's),
   * the version, the write, then what follows it (conflict records, drop
   * requests, the event). Returns the version used.
   */
  #commit(
    plan: CommitPlan,
    explicit: number | undefined,
    tx: TransactionWork | undefined,
    grouped?: (durable: Promise<void>) => void,
  ) {
    const writer = this.#writer;
    if (writer === undefined) throw new ReadOnlyError('store', 'commit');
    // Asking the registry releases expired snapshots, which (inline) may apply
    // parked drops and run listeners that commit: do it before judging
    // anything, so that no commit slips in between the checks and the write.
    const highestOpen = explicit === undefined ? undefined : this.#snapshots.highestOpen(tx?.lease);
    if (tx !== undefined) checkConflicts(this.#conflicts, tx, this.#history);
    const drops = plan.drops.length + plan.rangeDrops.length;
    const empty = plan.writes.length === 0 && drops === 0;
    const version = this.#oracle.versionFor({ explicit, empty, highestOpen });
    if (version === undefined) return undefined;
    // Only an explicit version can land where history was erased:
    // a value written there could never be read back.
    if (explicit !== undefined) this.#reads.checkWrites(plan.writes, version);
    const span = tracer.startSpan('store.commit', {
      attributes: { version, deltas: plan.writes.length + drops },
    });
    try {
      // Written, with its drop requests in the same tier step; the requests
      // are queued before the conflict records (which may release an expired
      // snapshot, see above) and before any listener can run (and commit).
      // Watches hear of the commit once its tier step has committed.
      const hooks = {
        written: () => {
          this.#oracle.record(version);
          tx?.written();
        },
        queued: () => this.#recordConflicts(plan, version, tx?.writes),
        durable: () => this.#watches.publish(version, plan.writes),
      };
      if (grouped === undefined) writer.commit(plan, version, hooks);
      else grouped(writer.commitGrouped(plan, version, hooks));
    } finally {
      span.end();
    }
    return version;
  }

  /**
   * Keep the keys of a commit, and the ranges of its range drops (each a
   * write of every key inside it), for the conflict checks of the open
   * read-write transactions; with none open (the common case) only move the
   * floor up. A transaction's commit holds no range drop (`tx.drop` takes a
   * key), and `rangesOf` finds none in its plan.
   */
  #recordConflicts(plan: CommitPlan, version: number, keys: ReadonlySet<KeyId> | undefined): void {
    const oldestBase = this.#snapshots.oldestBase();
    if (oldestBase === undefined) {
      this.#conflicts.prune(this.#oracle.latest);
      return;
    }
    this.#conflicts.record(version, keys ?? keysOf(plan), rangesOf(plan));
    this.#conflicts.prune(oldestBase);
  }

  #begin(options: ResolvedBegin): Transaction<K, V> {
    const latest = this.#oracle.latest;
    const version = options.asOf ?? latest;
    return new Transaction<K, V>(this.#transactions, {
      readOnly: options.readOnly,
      isolation: options.isolation,
      version,
      // Commits after `begin` are concurrent with it; as of the past: every commit above it.
      base: Math.min(version, latest),
      maxAgeMs: options.maxAgeMs,
    });
  }

  /** What transactions see of the store. */
  #transactionHost(): TransactionHost {
    return Object.freeze({
      snapshots: this.#snapshots,
      codecs: this.#codecs,
      assertOpen: () => this.#assertOpen(),
      read: (key: Uint8Array, version: number) => this.#reads.read(key, version),
      snapshotRange: (
        range: ResolvedRange,
        version: number,
        reverse: boolean,
        pageSize: number,
        maxAgeMs: number | undefined,
      ) => this.#snapshotRange(range, version, reverse, pageSize, maxAgeMs),
      commit: (work: TransactionWork) =>
        this.#commit(planCommit(work.deltas, this.#router), work.explicit, work),
    });
  }

  /**
   * A read-only store's history read in one snapshot of the file: `read` gets
   * history-checked reads through the snapshot and its latest version.
   */
  #inFileSnapshot<T>(
    read: (reads: HistoryReads, latest: number) => Iterator<T>,
  ): IterableIterator<T> {
    return readInSnapshot(
      this.#tier,
      (tier: TierReader) => read(new HistoryReads(tier, this.#router, true), tier.latestVersion()),
      () => this.#assertOpen(),
    );
  }

  /** A read-only store's figures: the file's, and zero for its other tables. */
  #storedStats(): StorageStats {
    const names = this.#router.tables.map((table) => table.name);
    const tracker = new StorageStatsTracker(this.#tier.readFigures());
    for (const name of [...this.#tier.tables(), ...names]) tracker.declareTable(name);
    return tracker.stats();
  }

  /** Hand a frozen copy of a record to whoever listens; the figures have counted it already. */
  #emit(record: StorageStatsRecorded): void {
    // A stopped store (a failed group) tells nothing more: the drop worker
    // may still report the requests of commits the failure took back.
    if (this.#failure !== undefined) return;
    if (this.#bus.hasListeners(record.type)) this.#bus.emit(frozen(record, this.#codecs));
  }

  /** The version a read without one reads at: the latest (any version above it reads alike). */
  #readVersion(version: number | undefined): number {
    if (version !== undefined) return checkVersion(version);
    return this.#writer === undefined ? MAX_VERSION : this.#oracle.latest;
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new StoreClosedError();
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** A key for a read: validated and encoded (binary keys: not copied, the store does not keep it). */
  #readKey(key: unknown): Uint8Array {
    return this.#codecs.binaryKeys ? toBytes(key, 'key') : this.#codecs.key(key);
  }
}

/**
 * The record as listeners get it: frozen throughout (record, lists, entries),
 * so that one listener cannot change what the next one sees, and with keys of
 * its own, so that nothing a listener does to key bytes (the one part a
 * freeze cannot protect) reaches the store: the record's keys are those of
 * the commit's queued drop requests.
 */
function frozen(record: StorageStatsRecorded, codecs: Codecs): StorageStatsRecorded {
  // Decoded keys are values of their own (an ordered key's array is frozen too).
  const keyOf = codecs.binaryKeys
    ? (key: Uint8Array) => new Uint8Array(key)
    : (key: Uint8Array) => Object.freeze(codecs.keyOf(key)) as Uint8Array;
  const copy = (entries: readonly StatsEntry[]) =>
    Object.freeze(entries.map((entry) => Object.freeze({ ...entry, key: keyOf(entry.key) })));
  return Object.freeze({
    type: record.type,
    version: record.version,
    writes: copy(record.writes),
    deletes: copy(record.deletes),
    drops: copy(record.drops),
    moves: copy(record.moves),
  });
}
