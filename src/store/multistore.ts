/**
 * MultiStore: commits at versions, time-travel reads, tables, the drop worker.
 *
 * ```
 *   commit(deltas, v) ─► validate all ─► tier.set(v), observing each write ─► stats record
 *                                           tracker.record ◄──────────────────────┤ first
 *        drop requests (ceiling: latest now) ─► queued for the drop worker        │ then
 *                                     store.events listeners ◄────────────────────┘ last
 *   get / contains / range / versions (at version V) ─► tier reads, newest version <= V
 *   flush() ─► drop worker applied everything sent before, events delivered (or shed)
 *   close() ─► drain the worker, stop the runtime, close the tier
 * ```
 *
 * Visibility has one rule: at version V a key shows its newest stored version
 * at or below V; a tombstone there means absent. Writes at a version older than
 * a key's newest land in history without changing what newer reads see.
 * Drops erase stored versions for good (no tombstone) and happen off the
 * commit path, in the drop worker; retention tables get an implicit
 * `keepLastVersions` drop for every key a commit writes.
 *
 * Public methods validate their input and throw {@link StoreError}s with
 * stable codes; a commit is validated whole before anything is written.
 *
 * @module
 */

import { trace } from '@opentelemetry/api';
import { type BytesLike, bytesToBinaryString, describe, toBytes } from '../common/bytes.js';
import { InvalidInputError, StoreClosedError } from '../common/errors.js';
import { checkVersion } from '../common/version.js';
import { EventBus } from '../event/bus.js';
import type { StatsEntry, StorageStatsRecorded } from '../event/events.js';
import { EventSubscriptions, type StoreEvents } from '../event/subscriptions.js';
import { ActorSystem } from '../runtime/system.js';
import type { StorageStats } from '../stats/figures.js';
import { recountFigures } from '../stats/recount.js';
import { StorageStatsTracker } from '../stats/tracker.js';
import { AbstractTier } from '../tier/abstract-tier.js';
import { openTier } from '../tier/factory.js';
import type { TierWrite } from '../tier/tier.js';
import { StatsEventBuilder, statsObserver } from './commit-stats.js';
import type { CommitPlan, Delta } from './deltas.js';
import { planCommit } from './deltas.js';
import { DropApplier, type DropRequest } from './drop-batch.js';
import { DropWorker, type DropWorkerStats } from './drop-worker.js';
import { type MultiStoreOptions, resolveOptions, type StoreConfig } from './options.js';
import {
  type RangeOptions,
  type RangeSpec,
  readRange,
  resolveRange,
  resolveRangeOptions,
  type StoreEntry,
} from './range.js';
import { runSweep, runSweepInBackground, type SweepTarget } from './retention-sweep.js';
import { TableRouter } from './routing.js';
import { holdsData, reconcileTables } from './table-catalog.js';

/** What `stats()` reports: the storage figures, and the events listeners missed. */
export interface StoreStats extends StorageStats {
  /**
   * `storage-stats` events not delivered to listeners because the event queue
   * was full (event-loop mode, see the README). The figures never miss one.
   */
  readonly eventsShed: number;
}

/** One stored version of a key, as `versions` lists it. */
export interface StoredVersion {
  readonly version: number;
  /** The value, or `undefined` for a tombstone. */
  readonly value: Uint8Array | undefined;
}

const tracer = trace.getTracer('multistore');

/**
 * Tiers a store was opened over. A store owns its tier (its statistics,
 * latest version and drop queue describe that tier alone) and closes it, so
 * a tier serves one store, once.
 */
const ownedTiers = new WeakSet<AbstractTier>();

/** An embedded multi-version key-value store. */
export class MultiStore {
  readonly #config: StoreConfig;
  readonly #tier: AbstractTier;
  readonly #router: TableRouter;
  readonly #system: ActorSystem;
  readonly #bus: EventBus;
  readonly #events: StoreEvents;
  readonly #tracker: StorageStatsTracker;
  readonly #worker: DropWorker;
  #latestVersion: number;
  #closing: Promise<void> | undefined;
  /** The retention sweep of data found at open: running (event-loop) or waiting for flush (inline). */
  #sweep: Promise<void> | SweepTarget | undefined;

  /** Open a store (memory by default, SQLite with `path` or `tier: 'sqlite'`). */
  static open(options?: MultiStoreOptions): MultiStore {
    const config = resolveOptions(options);
    return MultiStore.#build(config, openTier({ kind: config.tier, path: config.path }));
  }

  /**
   * Open a store over a tier you built (an {@link AbstractTier} from
   * `multistore/tier`); the store owns it from now on and closes it. Throws
   * `INVALID_ARGUMENT` for anything that does not extend `AbstractTier`, and
   * for a tier already given to a store.
   * `path` and `tier` options are ignored.
   */
  static fromTier(
    tier: AbstractTier,
    options?: Omit<MultiStoreOptions, 'path' | 'tier'>,
  ): MultiStore {
    if (!(tier instanceof AbstractTier)) {
      throw new InvalidInputError(
        'INVALID_ARGUMENT',
        `a tier must extend AbstractTier (from multistore/tier), got ${describe(tier)}`,
      );
    }
    if (ownedTiers.has(tier)) {
      throw new InvalidInputError(
        'INVALID_ARGUMENT',
        'this tier already belongs to a store (a store owns its tier and closes it)',
      );
    }
    return MultiStore.#build(
      resolveOptions({ ...options, path: undefined, tier: undefined }),
      tier,
    );
  }

  static #build(config: StoreConfig, tier: AbstractTier): MultiStore {
    ownedTiers.add(tier);
    try {
      return new MultiStore(config, tier);
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
    this.#config = config;
    this.#tier = tier;
    const tables = reconcileTables(tier, config.tables, config.tablesDeclared);
    this.#router = new TableRouter(tables);
    const tableNames = tables.map((table) => table.name);
    for (const name of tableNames) tier.ensureTable(name);
    this.#latestVersion = tier.latestVersion();
    const { actorMode: mode, clock, logger } = config;
    this.#system = new ActorSystem({ mode, clock, logger });
    this.#bus = new EventBus({ mode, logger });
    this.#events = new EventSubscriptions(this.#bus);
    this.#tracker = new StorageStatsTracker(recountFigures(tier, tableNames));
    const applier = new DropApplier(tier, logger, (record) => this.#publish(record));
    this.#worker = new DropWorker(this.#system, applier, config.dropWorker, logger);
    this.#sweep = this.#startSweep();
  }

  /** The highest version committed so far (0 for a new store); survives reopening a file. */
  get latestVersion(): number {
    this.#assertOpen();
    return this.#latestVersion;
  }

  /**
   * Subscriptions to the `storage-stats` events of every commit and drop flush
   * (read-only). After `close()` this getter throws `STORE_CLOSED`, and so does
   * `on` of a subscription object taken before.
   */
  get events(): StoreEvents {
    this.#assertOpen();
    return this.#events;
  }

  /** Which tier the store runs on: `memory` or `sqlite`. */
  get tierKind(): string {
    this.#assertOpen();
    return this.#tier.kind;
  }

  /** Apply `deltas` atomically at `version`. Drops are only requested here; the drop worker applies them. */
  commit(deltas: readonly Delta[], version: number): void {
    this.#assertOpen();
    const commitVersion = checkVersion(version);
    const plan = planCommit(deltas, this.#router);
    const span = tracer.startSpan('store.commit', {
      attributes: { version: commitVersion, deltas: deltas.length },
    });
    try {
      const record = this.#write(plan, commitVersion);
      // The ceiling is the latest version now, before any listener can commit
      // a later write; the requests are queued before listeners run, so that
      // the queue keeps commit order even when a listener commits.
      this.#worker.enqueue(this.#dropRequests(plan, commitVersion));
      if (record !== undefined) this.#emit(record);
      this.#worker.notify();
      if (this.#config.actorMode === 'inline') this.#system.runTimers();
    } finally {
      span.end();
    }
  }

  /**
   * The value of `key` visible at `version` (default: latest), or `undefined`;
   * key and value are fresh arrays the caller owns.
   */
  get(key: BytesLike, version?: number): StoreEntry | undefined {
    this.#assertOpen();
    const bytes = readKey(key);
    const entry = this.#tier.get(this.#router.route(bytes).name, bytes, this.#readVersion(version));
    if (entry?.value === undefined) return undefined;
    // The tier's fresh key, never the caller's own array (which may be a Buffer).
    return { key: entry.key, value: entry.value, version: entry.version };
  }

  /** True when a value (not a tombstone, not nothing) of `key` is visible at `version`. */
  contains(key: BytesLike, version?: number): boolean {
    return this.get(key, version) !== undefined;
  }

  /** Live entries of a key range at a version, in key order (or reverse), paged through the tier. */
  range(spec?: RangeSpec, options?: RangeOptions): IterableIterator<StoreEntry> {
    this.#assertOpen();
    const range = resolveRange(spec);
    const { version, reverse, pageSize } = resolveRangeOptions(options);
    return readRange({
      tier: this.#tier,
      router: this.#router,
      range,
      version: version ?? this.#latestVersion,
      reverse,
      pageSize,
    });
  }

  /** Every stored version of `key`, newest first (`value` undefined = tombstone). */
  versions(key: BytesLike): StoredVersion[] {
    this.#assertOpen();
    const bytes = readKey(key);
    return this.#tier
      .getAllVersions(this.#router.route(bytes).name, bytes)
      .map(({ version, value }) => ({ version, value }));
  }

  /**
   * Resolves once every drop sent before the call is applied and every event
   * emitted so far delivered (or shed: see `stats().eventsShed`).
   */
  async flush(): Promise<void> {
    this.#assertOpen();
    await this.#finishSweep();
    await this.#worker.flush();
    await this.#bus.idle();
  }

  /** Storage figures per table and in total (exact after `await flush()`), and events shed. */
  stats(): StoreStats {
    this.#assertOpen();
    return Object.freeze({ ...this.#tracker.stats(), eventsShed: this.#bus.shed });
  }

  /** Counters of the drop worker. */
  dropWorkerStats(): DropWorkerStats {
    this.#assertOpen();
    return this.#worker.stats();
  }

  /** Drain the drop worker, stop the runtime and close the tier. Closing twice is harmless. */
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
      await this.#finishSweep();
      await this.#worker.shutdown();
      await this.#system.shutdown();
      await this.#bus.idle();
    } finally {
      this.#bus.close();
      this.#tier.close();
    }
  }

  /** Sweep retention tables of data found at open for drops a crash may have lost. */
  #startSweep(): Promise<void> | SweepTarget | undefined {
    const { actorMode, logger } = this.#config;
    const tables = this.#router.tables;
    if (tables.every((table) => table.keepLastVersions === undefined)) return undefined;
    if (!holdsData(this.#tier)) return undefined;
    const target: SweepTarget = {
      tier: this.#tier,
      tables,
      ceiling: this.#latestVersion,
      submit: (requests) => this.#worker.submit(requests),
      isOpen: () => this.#closing === undefined,
    };
    if (actorMode === 'inline') return target;
    return runSweepInBackground(target).catch((error: unknown) => {
      logger.error('retention sweep failed', { error });
    });
  }

  /** Wait for (or, inline, run) the retention sweep. */
  async #finishSweep(): Promise<void> {
    const sweep = this.#sweep;
    if (sweep === undefined) return;
    if (sweep instanceof Promise) await sweep;
    else runSweep({ ...sweep, isOpen: () => true });
    this.#sweep = undefined;
  }

  /** Write the commit, raise the latest version and count it; returns its record, if any. */
  #write(plan: CommitPlan, version: number): StorageStatsRecorded | undefined {
    const stats = new StatsEventBuilder();
    const byTable = new Map<string, TierWrite[]>();
    for (const write of plan.writes) {
      const writes = byTable.get(write.table.name);
      if (writes === undefined) byTable.set(write.table.name, [write]);
      else writes.push(write);
    }
    this.#tier.set(version, byTable, statsObserver(stats, version));
    if (version > this.#latestVersion) this.#latestVersion = version;
    if (stats.empty) return undefined;
    const record = stats.build(version);
    this.#tracker.record(record);
    return record;
  }

  /**
   * Statistics of a drop flush: counted by the tracker first, on this call,
   * then (frozen) handed to whoever listens.
   */
  #publish(record: StorageStatsRecorded): void {
    this.#tracker.record(record);
    this.#emit(record);
  }

  /** Hand a frozen copy of a record to whoever listens; the tracker has counted it already. */
  #emit(record: StorageStatsRecorded): void {
    if (this.#bus.hasListeners(record.type)) this.#bus.emit(frozen(record));
  }

  /**
   * Explicit drops (with the commit's version as pending version when the
   * commit wrote the key), then an implicit `keepLastVersions` drop per key
   * written to a retention table. Called once the commit is written, so the
   * ceiling is the latest version including this commit.
   */
  #dropRequests(plan: CommitPlan, version: number): DropRequest[] {
    const ceiling = this.#latestVersion;
    const requests: DropRequest[] = [];
    if (plan.drops.length > 0) {
      const written = new Set(plan.writes.map((write) => bytesToBinaryString(write.key)));
      for (const drop of plan.drops) {
        const pendingVersion = written.has(bytesToBinaryString(drop.key)) ? version : undefined;
        const { upToVersion, keepLastVersions } = drop;
        requests.push({
          table: drop.table.name,
          key: drop.key,
          upToVersion,
          keepLastVersions,
          pendingVersion,
          ceiling,
          commitVersion: version,
        });
      }
    }
    // Retention keeps the N highest versions, whichever commit wrote them: no
    // pending version, so an out-of-order write below them goes too.
    for (const write of plan.writes) {
      const keepLastVersions = write.table.keepLastVersions;
      if (keepLastVersions === undefined) continue;
      requests.push({
        table: write.table.name,
        key: write.key,
        keepLastVersions,
        ceiling,
        commitVersion: version,
      });
    }
    return requests;
  }

  #readVersion(version: number | undefined): number {
    return version === undefined ? this.#latestVersion : checkVersion(version);
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new StoreClosedError();
  }
}

/**
 * The record as listeners get it: frozen throughout (record, lists, entries),
 * so that one listener cannot change what the next one sees, and with keys of
 * its own, so that nothing a listener does to key bytes (the one part a
 * freeze cannot protect) reaches the store: the record's keys are those of
 * the commit's queued drop requests.
 */
function frozen(record: StorageStatsRecorded): StorageStatsRecorded {
  const copy = (entries: readonly StatsEntry[]) =>
    Object.freeze(
      entries.map((entry) => Object.freeze({ ...entry, key: new Uint8Array(entry.key) })),
    );
  return Object.freeze({
    type: record.type,
    version: record.version,
    writes: copy(record.writes),
    deletes: copy(record.deletes),
    drops: copy(record.drops),
    moves: copy(record.moves),
  });
}

/** A key for a read: validated, not copied (the store does not keep it). */
function readKey(key: unknown): Uint8Array {
  return toBytes(key, 'key');
}
