/**
 * The write side of a store: commits, the drop worker, the statistics
 * figures and the request log. A read-only store has none of it.
 *
 * ```
 *   commit(plan, v):
 *     trim? = the tier trims on set, the worker holds no request, and no open
 *             snapshot reads below the ceiling (latest after v)
 *     requests = drop deltas + (unless trim?) one keepLastVersions per retention write
 *     tier.set(v, writes, observe, { figures: () => tracker.figuresAfter(record),
 *                                    log: [the requests' record] },
 *              trim? { keep: N per retention table, trimmed: drops join the record })  one atomic step
 *     tracker.adopt(figures) ─► queue the requests ─► publish the record ─► tell the worker
 *   open:
 *     tracker  ◄─ tier.readFigures()                 no data read
 *     queue    ◄─ tier.readLog() (request-log.ts)    what a crash left pending, in order
 * ```
 *
 * The figures and the log change in the tier's own step, so the file always
 * holds exactly the figures of its data and every request acknowledged and
 * not yet applied (README, "Durability"), those parked behind an open
 * snapshot included (drop-batch.ts). Opening costs O(tables + pending
 * requests), whatever the size of the data. The store around the writer
 * picks versions and checks conflicts; it hands the writer a plan and a
 * version, and is told once the step has committed (`written`) and once its
 * requests are queued (`queued`), both before any listener runs.
 *
 * Trimming brings the worker's outcome forward: with nothing queued before
 * the commit's requests and no snapshot in the way, a flush right after
 * the commit would plan its retention requests into exactly what the tier
 * trims (every version below the key's N highest, horizon `[oldest erased,
 * oldest kept)`); the commit's other requests erase only a key's oldest
 * versions and delete no key it writes, so their order does not matter
 * (docs/architecture.md, "Trimming"). The erased versions are drops of the
 * commit's own record (historical, but the version the commit's write made
 * historical: one drop `current` instead of a move and a drop, commit-stats.ts);
 * `dropWorkerStats()` counts them.
 *
 * A tier that is not `persistent` (memory) is never opened again, so the
 * writer keeps no log there: its commits encode no record and its flushes
 * settle none (the requests still carry a `seq`, unused). That is a record
 * encoded per commit and one settled per flush saved on the hottest path of
 * a retention table (W7, memory tier: about 14 % more writes per second).
 *
 * Retention tables need no sweep after a crash (their requests are in the
 * log), only when a table's policy is stricter than what its data was
 * written under: a file of the first format (which kept requests in memory
 * only), or a table whose `keepLastVersions` was lowered, or given, since.
 * Such tables are swept once (retention-sweep.ts, off the open path), and
 * the setting `retention` records the policy each table's data then obeys.
 *
 * @module
 */

import type { StoreError } from '../common/errors.js';
import type { StorageStatsRecorded } from '../event/events.js';
import { ActorSystem } from '../runtime/system.js';
import type { StorageFigures, StorageStats } from '../stats/figures.js';
import { StorageStatsTracker } from '../stats/tracker.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import type { TierWrite, TrimObserver } from '../tier/tier.js';
import type { SnapshotRegistry } from '../transaction/index.js';
import { CommitGroup } from './commit-group.js';
import { type QueuedDrop, queuedDropsOf } from './commit-requests.js';
import { StatsEventBuilder, statsObserver } from './commit-stats.js';
import type { CommitPlan } from './deltas.js';
import { DropApplier, type DropRequest } from './drop-batch.js';
import { DropWorker, type DropWorkerStats } from './drop-worker.js';
import type { StoreConfig, TableConfig } from './options.js';
import { ParkedDrops } from './parked-drops.js';
import { RangeDrop } from './range-drops.js';
import { RequestLog, type UnloggedRequest } from './request-log.js';
import { RetentionRecord } from './retention-record.js';
import { runSweep, runSweepInBackground, type SweepTarget } from './retention-sweep.js';
import type { TableRouter } from './routing.js';

/** What the writer needs from the store that owns it. */
export interface WriterHost {
  readonly config: StoreConfig;
  readonly tier: AbstractTier;
  /** Every table, `multi` first. */
  readonly tables: readonly TableConfig[];
  /** Routes keys to those tables (range drops find the tables their range meets). */
  readonly router: TableRouter;
  /** The open snapshots: the drop worker erases nothing they read. */
  readonly snapshots: SnapshotRegistry;
  /** Hand a counted record to the store's listeners. */
  publish(record: StorageStatsRecorded): void;
  /** Told the highest `readableFrom` of the horizons each flush recorded. */
  horizonsRecorded(readableFrom: number): void;
  /** False once the store is closing. */
  isOpen(): boolean;
  /** A write group failed to commit: the store stops (commit-group.ts). */
  failed(error: StoreError): void;
}

/** What the store does at three points of a commit. */
export interface CommitHooks {
  /** The tier step is written (raise the latest version, tell the transaction). */
  written(): void;
  /** The commit's drop requests are queued (record the commit for conflict checks). */
  queued(): void;
  /**
   * The commit is durable (a plain commit: right after `queued`; a grouped
   * one: once its group committed): tell the watches, just before its
   * event is published.
   */
  durable(): void;
}

/** The write side of one store. */
export class StoreWriter {
  readonly #host: WriterHost;
  readonly #system: ActorSystem;
  readonly #tracker: StorageStatsTracker;
  readonly #log: RequestLog;
  /** False on a tier that is never opened again: no log records (module comment). */
  readonly #keepsLog: boolean;
  readonly #worker: DropWorker;
  readonly #group: CommitGroup;
  #latestVersion: number;
  /**
   * Per retention table its `keepLastVersions`, when the tier trims on set
   * (`undefined` otherwise, or with no retention table).
   */
  readonly #keep: ReadonlyMap<string, number> | undefined;
  /** The retention sweep: running (event-loop) or waiting for flush (inline). */
  #sweep: Promise<void> | SweepTarget | undefined;

  constructor(host: WriterHost) {
    this.#host = host;
    const { tier, config } = host;
    const { actorMode: mode, clock, logger } = config;
    this.#latestVersion = tier.latestVersion();
    this.#tracker = new StorageStatsTracker(initialFigures(tier, host.tables));
    this.#log = new RequestLog();
    this.#keepsLog = tier.persistent;
    this.#keep = trimmedTables(tier, host.tables);
    const recovered = this.#log.recover(tier.readLog(), ({ spec, cursor, seq }) =>
      RangeDrop.of(spec, host.router, seq, cursor),
    );
    this.#system = new ActorSystem({ mode, clock, logger });
    const applier = new DropApplier(tier, {
      logger,
      ledger: {
        figuresAfter: (record) => this.#tracker.figuresAfter(record),
        adopt: (figures) => this.#tracker.adopt(figures),
        publish: (record) => host.publish(record),
        settle: (requests, notApplied, stepped) =>
          this.#keepsLog
            ? this.#log.settle(requests, notApplied, stepped)
            : { forget: [], log: [], settled: () => {} },
      },
      snapshots: host.snapshots,
      parked: new ParkedDrops(),
      horizonsRecorded: (readableFrom) => host.horizonsRecorded(readableFrom),
    });
    const worker = config.dropWorker;
    this.#worker = new DropWorker(this.#system, applier, tier, host.snapshots, worker, logger);
    this.#worker.submit(recovered);
    this.#group = new CommitGroup({ tier, mode, failed: (error) => host.failed(error) });
    this.#sweep = this.#startSweep();
  }

  /** The highest version committed so far. */
  get latestVersion(): number {
    return this.#latestVersion;
  }

  /**
   * Write a planned commit with its drop requests (one tier step), tell
   * `hooks.written` (before anything else can run), queue the requests, tell
   * `hooks.queued`, then `hooks.durable` and publish the commit's record. An
   * open write group is committed first: this commit is durable on return.
   */
  commit(plan: CommitPlan, version: number, hooks: CommitHooks): void {
    this.#group.end();
    const record = this.#commitStep(plan, version, hooks, true);
    if (record !== undefined) this.#host.publish(record);
    this.#afterCommit();
  }

  /**
   * The same commit in the open write group (commit-group.ts), opening one
   * if needed: written and queued now (reads see it), durable, announced
   * and resolved once the group commits. A tier without groups (memory)
   * writes it as `commit` does and resolves right away. Throws what the
   * step throws (nothing written then; the group goes on without it).
   */
  commitGrouped(plan: CommitPlan, version: number, hooks: CommitHooks): Promise<void> {
    const joined = this.#group.join();
    if (joined === undefined) {
      this.commit(plan, version, hooks);
      return Promise.resolve();
    }
    const record = this.#commitStep(plan, version, hooks, false);
    const { promise, resolve, reject } = withResolvers();
    const announce = () => {
      hooks.durable();
      if (record !== undefined) this.#host.publish(record);
    };
    const writes = plan.writes.length + plan.drops.length;
    this.#group.add({ announce, resolve, reject }, writes, joined);
    this.#afterCommit();
    return promise;
  }

  /** Commit the open write group, if any (`flush`, `close`); throws `TIER_IO` if it fails. */
  endGroup(): void {
    this.#group.end();
  }

  /** The tier step of a commit and what follows it at once; returns the record to publish. */
  #commitStep(
    plan: CommitPlan,
    version: number,
    hooks: CommitHooks,
    durable: boolean,
  ): StorageStatsRecorded | undefined {
    // The ceiling is the latest version once this commit is written, before
    // any listener can commit a later write.
    const ceiling = Math.max(this.#latestVersion, version);
    const keep = this.#trimming(ceiling);
    const reserve = () => this.#log.reserve();
    const router = this.#host.router;
    const requests = queuedDropsOf(plan, version, ceiling, router, reserve, keep === undefined);
    const log = requests.length > 0 && this.#keepsLog ? this.#log.record(requests) : undefined;
    const record = this.#write(plan, version, log, keep);
    hooks.written();
    // Watches hear of a durable commit before anything below can run a listener (that commits).
    if (durable) hooks.durable();
    // The requests are queued before anything the store does next can end a
    // snapshot or run a listener, so that the queue keeps commit order even
    // when a listener commits.
    if (requests.length > 0) this.#worker.enqueue(requests);
    hooks.queued();
    return record;
  }

  #afterCommit(): void {
    this.#worker.notify();
    if (this.#host.config.actorMode === 'inline') this.#system.runTimers();
  }

  /** Figures per table and in total (exact once the drop worker has caught up). */
  stats(): StorageStats {
    return this.#tracker.stats();
  }

  dropWorkerStats(): DropWorkerStats {
    return this.#worker.stats();
  }

  /** Every request not applied yet: queued or parked (a range drop in the queue whole). */
  queued(): Iterable<QueuedDrop> {
    return this.#worker.queued();
  }

  /** A snapshot ended: the worker takes back what it held, if anything. */
  wake(): void {
    this.#worker.wake();
  }

  /** Resolves once every drop sent before the call is applied (an open write group committed first). */
  async flush(): Promise<void> {
    this.#group.end();
    await this.#finishSweep();
    await this.#worker.flush();
  }

  /** Apply what is pending and stop the drop worker and the runtime. */
  async shutdown(): Promise<void> {
    await this.#finishSweep();
    await this.#worker.shutdown();
    await this.#system.shutdown();
  }

  /**
   * Per retention table its `keepLastVersions`, when this commit may trim
   * in its tier step (module comment): the tier trims on set, the drop
   * worker holds no request (none queued or parked, which the trim would
   * otherwise overtake), and no open snapshot reads below the ceiling (so
   * none reads a version a trim erases). `undefined`: the commit queues its
   * retention requests.
   */
  #trimming(ceiling: number): ReadonlyMap<string, number> | undefined {
    if (this.#keep === undefined || !this.#worker.idle) return undefined;
    // Without releasing expired leases: that may run listeners (multistore.ts).
    const watermark = this.#host.snapshots.heldWatermark();
    return watermark === undefined || watermark >= ceiling ? this.#keep : undefined;
  }

  /**
   * Write the commit and its state change in one tier step (trimming the
   * retention tables in `keep`, if given); then take the figures, the
   * latest version and the horizons the trims recorded. Returns the
   * commit's record, if any.
   */
  #write(
    plan: CommitPlan,
    version: number,
    log: { seq: number; bytes: Uint8Array } | undefined,
    keep: ReadonlyMap<string, number> | undefined,
  ): StorageStatsRecorded | undefined {
    const stats = new StatsEventBuilder();
    let record: StorageStatsRecorded | undefined;
    let after: ReadonlyMap<string, StorageFigures> | undefined;
    const figures = () => {
      record = stats.empty ? undefined : stats.build(version);
      after = record === undefined ? new Map() : this.#tracker.figuresAfter(record);
      return after;
    };
    const change = { figures, log: log === undefined ? undefined : [log] };
    const trims = keep === undefined ? undefined : new CommitTrims(stats);
    const retention =
      trims === undefined
        ? undefined
        : { keep: keep as ReadonlyMap<string, number>, trimmed: trims.observer };
    this.#host.tier.set(
      version,
      writesByTable(plan),
      statsObserver(stats, version),
      change,
      retention,
    );
    if (version > this.#latestVersion) this.#latestVersion = version;
    // A tier that broke the contract and never asked for the figures still
    // leaves the tracker right (only its own copy is missing).
    this.#tracker.adopt(after ?? figures());
    if (trims !== undefined) {
      this.#worker.countTrimmed(retentionWrites(plan), trims.entries);
      if (trims.readableFrom > 0) this.#host.horizonsRecorded(trims.readableFrom);
    }
    return record;
  }

  /** Log requests (a record of their own) and hand them to the worker: the sweep's way in. */
  #submitLogged(requests: readonly UnloggedRequest[]): void {
    if (requests.length === 0) return;
    if (!this.#keepsLog) {
      const seq = this.#log.reserve();
      this.#worker.submit(requests.map((request) => ({ ...request, seq })));
      return;
    }
    const { requests: logged, record } = this.#log.append(requests);
    this.#host.tier.drop(new Map(), undefined, { log: [record] });
    this.#worker.submit(logged);
  }

  /** Sweep the retention tables whose data may hold more versions than their policy allows. */
  #startSweep(): Promise<void> | SweepTarget | undefined {
    const { tier, tables, config } = this.#host;
    const retention = new RetentionRecord(tier, tables);
    const stale = retention.tablesToSweep();
    if (stale.length === 0) {
      retention.recordAll();
      return undefined;
    }
    const target: SweepTarget = {
      tier,
      tables: stale,
      ceiling: this.#latestVersion,
      submit: (requests) => this.#submitLogged(requests),
      isOpen: () => this.#host.isOpen(),
      done: () => retention.recordAll(),
    };
    if (config.actorMode === 'inline') return target;
    return runSweepInBackground(target).catch((error: unknown) => {
      config.logger.error('retention sweep failed', { error });
    });
  }

  /** Wait for (or, inline, run) the retention sweep. */
  async #finishSweep(): Promise<void> {
    const sweep = this.#sweep;
    if (sweep === undefined) return;
    this.#sweep = undefined;
    if (sweep instanceof Promise) await sweep;
    else runSweep({ ...sweep, isOpen: () => true });
  }
}

/** Per retention table its `keepLastVersions`, if the tier trims on set and there is any. */
function trimmedTables(
  tier: AbstractTier,
  tables: readonly TableConfig[],
): ReadonlyMap<string, number> | undefined {
  if (!tier.trimsOnSet) return undefined;
  const keep = new Map<string, number>();
  for (const { name, keepLastVersions } of tables) {
    if (keepLastVersions !== undefined) keep.set(name, keepLastVersions);
  }
  return keep.size === 0 ? undefined : keep;
}

/**
 * The figures a store opens with: those the tier keeps, and zero for every
 * other table it holds or the store declares (so each is listed).
 */
function initialFigures(
  tier: AbstractTier,
  tables: readonly TableConfig[],
): Map<string, StorageFigures> {
  const figures = tier.readFigures();
  for (const name of [...tier.tables(), ...tables.map((table) => table.name)]) {
    if (!figures.has(name)) figures.set(name, ZERO);
  }
  return figures;
}

const ZERO: StorageFigures = Object.freeze({
  currentCount: 0,
  currentKeyBytes: 0,
  currentValueBytes: 0,
  historicalCount: 0,
  historicalKeyBytes: 0,
  historicalValueBytes: 0,
});

/**
 * What the tier trims in one commit's step: each erased version joins the
 * commit's record as a drop (commit-stats.ts: historical, as a flush counts
 * it, but for the version the commit's own write made historical, one drop
 * `current` in place of its move), and the highest `readableFrom` of the
 * horizons goes to the store's reads.
 */
class CommitTrims {
  entries = 0;
  readableFrom = 0;
  readonly observer: TrimObserver;

  constructor(stats: StatsEventBuilder) {
    this.observer = (table, key, erased, horizon) => {
      stats.trimmed(table, key, erased);
      this.entries += erased.length;
      if (horizon.readableFrom > this.readableFrom) this.readableFrom = horizon.readableFrom;
    };
  }
}

/** How many writes of `plan` go to a retention table. */
function retentionWrites(plan: CommitPlan): number {
  let count = 0;
  for (const write of plan.writes) if (write.table.keepLastVersions !== undefined) count++;
  return count;
}

function writesByTable(plan: CommitPlan): Map<string, TierWrite[]> {
  const byTable = new Map<string, TierWrite[]>();
  for (const write of plan.writes) {
    const writes = byTable.get(write.table.name);
    if (writes === undefined) byTable.set(write.table.name, [write]);
    else writes.push(write);
  }
  return byTable;
}

/** `Promise.withResolvers`, which Node 20 lacks. */
function withResolvers(): {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
} {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

export type { DropRequest, DropWorkerStats };
