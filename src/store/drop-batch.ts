/**
 * A batch of drop requests, and how it is applied.
 *
 * The drop worker collects requests here and flushes them together: every
 * version to erase is worked out per key (one `getVersionSizes` per key,
 * however many requests name it, sizes only: no value is read), grouped by
 * table, and erased with ONE `tier.drop` call. Then one `storage-stats` event
 * reports what went:
 *
 * ```
 *   requests: [a keep 1 @5] [b all @6] [a keep 2 @7]
 *        │ group by (table, key), commit order kept within a key
 *        ▼
 *   a: versions 5 4 2 1 ─keep 1─► 5 ─keep 2─► 5  erase 4 2 1
 *   b: versions 6 3 ─all─► (none)                  erase 6 3
 *        │ tier.drop({ multi: [a@4, a@2, a@1, b@6, b@3] })
 *        ▼
 *   event { version: 7, drops: [...], moves: [...] }
 * ```
 *
 * A flush gives exactly what applying its requests one at a time, in commit
 * order, would give: each request of a key is judged against the versions
 * the earlier requests of the batch left (a simulation on the version list),
 * not against what the tier held before the batch. Keys are independent, so
 * grouping by key changes nothing else.
 *
 * History never lies (erasure.ts in the transaction core has the rules):
 * a key only ever loses its oldest versions, the versions whose reads that
 * changes are recorded as the key's horizon (in the same tier call as the
 * erasure), and no open snapshot may see a read it made change. What an open
 * snapshot still needs is left in place and the rest of the request parked,
 * with every later request of the key, until that snapshot ends
 * (parked-drops.ts):
 *
 * ```
 *   a: versions 1 3 5 7, keep 1 @7, snapshot open at 6 (reads 5)
 *      erase 1 3 now, horizon [1, 5); park "keep 1 @7" behind 6
 * ```
 *
 * The erasures, their horizons, the erased tops they raise, the statistics
 * they change and the settling of the log records of the requests they
 * apply (request-log.ts) are one atomic step of the tier: `tier.drop(pairs,
 * horizons, { figures, forget, log, erasedTops })`. The tracker takes the
 * new figures only once that step has committed. A parked request is not applied: its record stays in the log
 * (so a crash while a snapshot holds it back loses nothing: the next open
 * applies it, with no snapshot open), and so does a failed one. A parked
 * retention request replaced by a later one of the same key (parked-drops.ts)
 * counts as applied at the next flush.
 *
 * A request that fails (its key cannot be read) is logged and counted; the
 * others are still applied, and its log record keeps it for the next open.
 * If the grouped erase itself fails, each key is retried on its own (a step
 * each) so that one bad key cannot hold back the rest, and the log is
 * settled in a last step.
 *
 * @module
 */

import { bytesToBinaryString } from '../common/bytes.js';
import type { Logger } from '../common/logger.js';
import type { StatsEntry, StorageStatsRecorded } from '../event/events.js';
import type { StorageFigures } from '../stats/figures.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import type {
  Horizon,
  HorizonEntry,
  LogRecord,
  PrefixObserver,
  TierDrop,
  TierPrefixDrops,
  VersionSize,
} from '../tier/tier.js';
import {
  type OpenSnapshots,
  type PrefixErasures,
  planKeyErasures,
  planKeyPrefix,
} from '../transaction/index.js';
import { type DropConstraints, oldestToDrop, versionsToDrop } from './drop-rules.js';
import type { ParkedDrops } from './parked-drops.js';
import type { RangeDrop } from './range-drops.js';

/** One request to erase versions of one key. */
export interface DropRequest extends DropConstraints {
  readonly table: string;
  readonly key: Uint8Array;
  /** The version of the commit that made the request. */
  readonly commitVersion: number;
  /** The log record holding the request (request-log.ts). */
  readonly seq: number;
}

/** Where a flush's statistics go: the store's tracker, then its listeners. */
export interface FlushLedger {
  /** The figures of the tables `record` touches once it is counted (nothing changes yet). */
  figuresAfter(record: StorageStatsRecorded): ReadonlyMap<string, StorageFigures>;
  /** The step that erased them committed: these are the figures now. */
  adopt(figures: ReadonlyMap<string, StorageFigures>): void;
  /** Hand the flush's record (counted already) to whoever listens. */
  publish(record: StorageStatsRecorded): void;
  /**
   * What the tier must do to the log once `requests` are flushed, all but
   * `notApplied` applied (request-log.ts); `settled()` once it did.
   */
  settle(
    requests: readonly DropRequest[],
    notApplied: ReadonlySet<DropRequest>,
    stepped: readonly RangeDrop[],
  ): { forget: number[]; log: LogRecord[]; settled(): void };
}

/** What one flush did. */
export interface FlushOutcome {
  readonly requests: number;
  readonly entriesDropped: number;
  readonly failures: number;
}

/** Work out and apply the erasures of one key; what the event should say of it. */
export interface KeyPlan {
  readonly table: string;
  readonly key: Uint8Array;
  /** The key's requests. */
  readonly group: readonly DropRequest[];
  /**
   * The erased versions, as stats entries; each names its `(key, version)`,
   * a tier erasure too. Empty until the step for a prefix plan (`below`).
   */
  readonly dropped: StatsEntry[];
  /**
   * A prefix plan: the tier erases every version below this one and tells
   * the applier of each (which fills `dropped`); `undefined`: `dropped`
   * lists the pairs to erase.
   */
  readonly below?: number | undefined;
  /** A prefix plan: the key's newest version (counted as current when a value). */
  readonly newest?: number | undefined;
  readonly moves: StatsEntry[];
  /** The key's new horizon, when the erasure changed it. */
  readonly horizon: HorizonEntry | undefined;
  /** The highest version whose history the erasure changed (see `KeyErasures.erasedTop`). */
  readonly erasedTop: number | undefined;
  /** The requests that must wait (parked once the erasure is applied), and for what. */
  readonly parked: readonly DropRequest[];
  readonly blockedBy: number | undefined;
}

/** A plan the tier erases by a bound (see {@link KeyPlan.below}). */
type PrefixPlan = KeyPlan & { readonly below: number };

/** The requests of one flush and what became of them. */
interface Batch {
  readonly requests: readonly DropRequest[];
  /** Requests that could not be applied (logged, counted; their records stay). */
  readonly failed: Set<DropRequest>;
  /** Requests held back by an open snapshot (parked; their records stay). */
  readonly held: Set<DropRequest>;
  /** The range drops whose page this flush expanded (their records take the new cursor). */
  readonly stepped: readonly RangeDrop[];
  /** Queued requests a later one of their key replaced (pending-drops.ts): applied as it is. */
  readonly superseded: readonly DropRequest[];
}

/** What the applier needs besides the tier. */
export interface DropApplierOptions {
  readonly logger: Logger;
  /** Where the statistics of a flush go. */
  readonly ledger: FlushLedger;
  /** The open snapshots (the store's snapshot registry). */
  readonly snapshots: OpenSnapshots;
  /** Where requests held back by a snapshot wait. */
  readonly parked: ParkedDrops;
  /** Told the highest `readableFrom` of the horizons each flush recorded. */
  readonly horizonsRecorded?: ((readableFrom: number) => void) | undefined;
}

/** Plans and applies a batch of drop requests against a tier. */
export class DropApplier {
  readonly #tier: AbstractTier;
  readonly #logger: Logger;
  readonly #ledger: FlushLedger;
  readonly #snapshots: OpenSnapshots;
  readonly #parked: ParkedDrops;
  readonly #horizonsRecorded: ((readableFrom: number) => void) | undefined;

  constructor(tier: AbstractTier, options: DropApplierOptions) {
    this.#tier = tier;
    this.#logger = options.logger;
    this.#ledger = options.ledger;
    this.#snapshots = options.snapshots;
    this.#parked = options.parked;
    this.#horizonsRecorded = options.horizonsRecorded;
  }

  /** The requests waiting for a snapshot to end. */
  get parked(): ParkedDrops {
    return this.#parked;
  }

  /**
   * Apply `requests` (in order); emits one event when anything was
   * requested. `superseded` requests were replaced in the queue by a later
   * one of their key: they count as applied (their records settle with it).
   */
  apply(
    requests: readonly DropRequest[],
    stepped: readonly RangeDrop[] = [],
    superseded: readonly DropRequest[] = [],
  ): FlushOutcome {
    const batch: Batch = { requests, failed: new Set(), held: new Set(), stepped, superseded };
    if (requests.length === 0) {
      // A range page with no key: only its record moves on (or goes).
      if (stepped.length > 0 || superseded.length > 0) this.#settleOnly(batch);
      return { requests: 0, entriesDropped: 0, failures: 0 };
    }
    const plans: KeyPlan[] = [];
    for (const group of groupByKey(requests)) {
      const { table, key } = group[0] as DropRequest;
      if (this.#parked.has(table, key)) {
        this.#parked.append(group); // behind the key's parked requests: commit order
        for (const request of group) batch.held.add(request);
        continue;
      }
      try {
        const plan = this.#planKey(group);
        for (const request of plan.parked) batch.held.add(request);
        plans.push(plan);
      } catch (error) {
        for (const request of group) batch.failed.add(request);
        this.#logFailure(group, error);
      }
    }
    const version = highestCommit(requests);
    const { applied, record } = this.#erase(plans, version, batch);
    for (const plan of applied) {
      if (plan.blockedBy !== undefined) this.#parked.park(plan.parked, plan.blockedBy);
    }
    const entriesDropped = this.#report(record);
    return { requests: requests.length, entriesDropped, failures: batch.failed.size };
  }

  /**
   * One key's requests, in commit order, each judged against what the earlier
   * ones left (the same outcome as applying them one at a time), erasing only
   * what no open snapshot needs. Each request looks only at the versions it
   * judges and erases the oldest ones, the tail of the list: a hot key with
   * thousands of requests in one flush costs O(versions + requests x the
   * versions each judges), not O(requests x versions).
   */
  #planKey(group: readonly DropRequest[]): KeyPlan {
    if (this.#tier.erasesPrefixes) {
      const plan = this.#planPrefix(group);
      if (plan !== undefined) return plan;
    }
    const { table, key } = group[0] as DropRequest;
    const stored = this.#tier.getVersionSizes(table, key);
    // A table that never erased has no horizon to look up.
    const before = this.#tier.readableFloor(table) > 0 ? this.#tier.horizon(table, key) : undefined;
    return planKeyDrops(group, stored, before, this.#snapshots);
  }

  /**
   * {@link #planKey} for a tier that erases prefixes, in the common case
   * ({@link planKeyPrefix}): the key's versions only (no sizes), O(requests)
   * planning, one bound for the tier. `undefined` when it does not apply.
   */
  #planPrefix(group: readonly DropRequest[]): KeyPlan | undefined {
    const { table, key } = group[0] as DropRequest;
    const versions = this.#tier.getVersions(table, key);
    const before = this.#tier.readableFloor(table) > 0 ? this.#tier.horizon(table, key) : undefined;
    const planned = planKeyPrefix(versions, group, selectOldest, before, this.#snapshots);
    return planned === undefined ? undefined : prefixPlan(group, versions, before, planned);
  }

  /** Told by the tier of each version a prefix plan erased: its stats entry. */
  readonly #erased: PrefixObserver<PrefixPlan> = (table, plan, version, valueBytes) => {
    const category = version === plan.newest && valueBytes !== undefined ? 'current' : 'historical';
    plan.dropped.push({ table, key: plan.key, version, valueBytes: valueBytes ?? 0, category });
  };

  /**
   * Erase every plan, count its statistics and settle the log in one step;
   * on failure, plan by plan (a step each), then the log. Returns the plans
   * applied and their statistics record; the requests of the others join
   * `batch.failed`.
   */
  #erase(
    plans: readonly KeyPlan[],
    version: number,
    batch: Batch,
  ): { applied: readonly KeyPlan[]; record: StorageStatsRecorded } {
    try {
      const log = this.#settle(batch);
      const record = this.#step(plans, version, log);
      log.settled();
      return { applied: plans, record };
    } catch (error) {
      this.#logger.warn('drop batch failed; retrying key by key', { error });
    }
    const applied = new Set<KeyPlan>();
    for (const plan of plans) {
      try {
        this.#step([plan], version, {});
        applied.add(plan);
      } catch (error) {
        for (const request of plan.group) batch.failed.add(request);
        this.#logger.error('drop request failed', { table: plan.table, error });
      }
    }
    try {
      const { forget, log, settled } = this.#settle(batch);
      this.#tier.drop(new Map(), undefined, { forget, log });
      settled();
    } catch (error) {
      // The records stay: their requests are applied again at the next open.
      this.#logger.error('drop log could not be settled', { error });
    }
    return { applied: [...applied], record: recordOf([...applied], version) };
  }

  /**
   * One tier step: erase `plans`, widen their horizons and raise their
   * tables' erased tops, keep the figures they leave, settle `log`; then
   * adopt the figures. Returns the statistics record of the step.
   */
  #step(
    plans: readonly KeyPlan[],
    version: number,
    settle: { readonly forget?: number[]; readonly log?: LogRecord[] },
  ): StorageStatsRecorded {
    // A prefix plan's entries come from the tier during the step, before it calls figures.
    const prefixes = prefixesByTable(plans, this.#erased);
    // Without one the record is complete now, and its list of drops can be the tier's pairs.
    let record = prefixes === undefined ? recordOf(plans, version) : undefined;
    let after: ReadonlyMap<string, StorageFigures> | undefined;
    const figures = () => {
      record ??= recordOf(plans, version);
      after = this.#ledger.figuresAfter(record);
      return after;
    };
    const { forget, log } = settle;
    const horizons = horizonsByTable(plans);
    const erasedTops = erasedTopsByTable(plans);
    const change = { figures, forget, log, erasedTops };
    this.#tier.drop(dropsByTable(plans, record?.drops), horizons, change, prefixes);
    this.#ledger.adopt(after ?? figures());
    record ??= recordOf(plans, version);
    if (horizons === undefined) return record;
    let highest = 0;
    for (const list of horizons.values()) {
      for (const { horizon } of list) highest = Math.max(highest, horizon.readableFrom);
    }
    this.#horizonsRecorded?.(highest);
    return record;
  }

  /**
   * The log change of a flush: its requests applied, except the failed and
   * the held back (parked) ones; parked requests replaced since the last
   * flush count as applied.
   */
  #settle(batch: Batch): ReturnType<FlushLedger['settle']> {
    const parked = this.#parked.takeSuperseded();
    const notApplied = new Set(batch.failed);
    for (const request of batch.held) notApplied.add(request);
    for (const request of parked) notApplied.delete(request);
    // Replaced in the queue: never part of the batch itself.
    let requests =
      batch.superseded.length === 0 ? batch.requests : batch.requests.concat(batch.superseded);
    // A request of this batch can be replaced in it (appended behind its key's parked ones).
    if (parked.length > 0) requests = [...new Set([...requests, ...parked])];
    return this.#ledger.settle(requests, notApplied, batch.stepped);
  }

  /** Settle the log alone (nothing to erase), in a step of its own. */
  #settleOnly(batch: Batch): void {
    try {
      const { forget, log, settled } = this.#settle(batch);
      if (forget.length === 0 && log.length === 0) return;
      this.#tier.drop(new Map(), undefined, { forget, log });
      settled();
    } catch (error) {
      // The record stays as it was: the range resumes from its older cursor at the next open.
      this.#logger.error('drop log could not be settled', { error });
    }
  }

  #report(record: StorageStatsRecorded): number {
    this.#ledger.publish(record);
    return record.drops.length;
  }

  #logFailure(group: readonly DropRequest[], error: unknown): void {
    const { table } = group[0] as DropRequest;
    this.#logger.error('drop request failed', { table, requests: group.length, error });
  }
}

/**
 * The erasures of one key's requests (in commit order), from what the key
 * stores (`stored`, newest first, with value sizes) and its horizon: no I/O,
 * so that every shell (this applier, the PostgreSQL store's) plans alike.
 */
export function planKeyDrops(
  group: readonly DropRequest[],
  stored: readonly VersionSize[],
  before: Horizon | undefined,
  snapshots: OpenSnapshots,
): KeyPlan {
  const { table, key } = group[0] as DropRequest;
  const planned = planKeyErasures(
    stored.map((entry) => entry.version),
    group,
    (request, versions) => versionsToDrop(versions, request),
    before,
    snapshots,
  );
  const changed = planned.horizon !== undefined && !sameHorizon(before, planned.horizon);
  return {
    table,
    key,
    group,
    ...statsOfErasure(table, key, stored, planned.erase),
    horizon: changed ? { key, horizon: planned.horizon as Horizon } : undefined,
    erasedTop: planned.erasedTop,
    parked: planned.parked,
    blockedBy: planned.blockedBy,
  };
}

/** {@link oldestToDrop} in the argument order of {@link planKeyPrefix}. */
function selectOldest(request: DropRequest, stored: readonly number[], length: number): number {
  return oldestToDrop(stored, length, request);
}

/**
 * The plan of a key whose requests erase its `planned.count` oldest
 * `versions` (newest first): the tier erases every version below the
 * oldest survivor (above the newest when none survives), and its
 * observer fills `dropped`. A prefix erasure never leaves a survivor
 * that becomes current, so it moves nothing.
 */
function prefixPlan(
  group: readonly DropRequest[],
  versions: readonly number[],
  before: Horizon | undefined,
  planned: PrefixErasures,
): KeyPlan | undefined {
  const { table, key } = group[0] as DropRequest;
  const { count, horizon, erasedTop } = planned;
  const newest = versions[0];
  let below: number | undefined;
  if (count > 0) {
    below =
      count < versions.length ? versions[versions.length - 1 - count] : (newest as number) + 1;
    // A bound past the safe versions: the general plan, pair by pair.
    if (!Number.isSafeInteger(below)) return undefined;
  }
  const changed = horizon !== undefined && !sameHorizon(before, horizon);
  return {
    table,
    key,
    group,
    dropped: [],
    moves: [],
    below,
    newest,
    horizon: changed ? { key, horizon } : undefined,
    erasedTop,
    parked: [],
    blockedBy: undefined,
  };
}

/**
 * The prefix plans of `plans` by table, each with its entries emptied (a
 * step that failed may have filled them), or `undefined` when there are none.
 */
function prefixesByTable(
  plans: readonly KeyPlan[],
  erased: PrefixObserver<PrefixPlan>,
): TierPrefixDrops<PrefixPlan> | undefined {
  let keys: Map<string, PrefixPlan[]> | undefined;
  for (const plan of plans) {
    if (plan.below === undefined) continue;
    plan.dropped.length = 0;
    keys ??= new Map();
    const list = keys.get(plan.table);
    if (list === undefined) keys.set(plan.table, [plan as PrefixPlan]);
    else list.push(plan as PrefixPlan);
  }
  return keys === undefined ? undefined : { keys, erased };
}

/** The statistics record of a flush of `requests`: what the applied plans erased and moved. */
export function flushRecord(
  requests: readonly DropRequest[],
  applied: Iterable<KeyPlan>,
): StorageStatsRecorded {
  return recordOf([...applied], highestCommit(requests));
}

/** The statistics record of erasing `plans`, at the flush's `version`. */
function recordOf(plans: readonly KeyPlan[], version: number): StorageStatsRecorded {
  const drops: StatsEntry[] = [];
  const moves: StatsEntry[] = [];
  for (const plan of plans) {
    for (const entry of plan.dropped) drops.push(entry);
    for (const entry of plan.moves) moves.push(entry);
  }
  return { type: 'storage-stats', version, writes: [], deletes: [], drops, moves };
}

/** The highest commit version of a batch: the version its event carries. */
function highestCommit(requests: readonly DropRequest[]): number {
  let version = 0;
  for (const request of requests)
    if (request.commitVersion > version) version = request.commitVersion;
  return version;
}

/** Requests grouped by (table, key), in order of first appearance. */
export function groupByKey(requests: readonly DropRequest[]): DropRequest[][] {
  const groups: DropRequest[][] = [];
  const byTable = new Map<string, Map<string, DropRequest[]>>();
  for (const request of requests) {
    let byKey = byTable.get(request.table);
    if (byKey === undefined) {
      byKey = new Map();
      byTable.set(request.table, byKey);
    }
    const id = bytesToBinaryString(request.key);
    const group = byKey.get(id);
    if (group === undefined) {
      const created = [request];
      byKey.set(id, created);
      groups.push(created);
    } else {
      group.push(request);
    }
  }
  return groups;
}

/**
 * The stats entries of erasing `erase` (ascending) from a key's `stored`
 * versions (newest first). The newest version, when a value, was counted as
 * current; if it goes, the newest survivor (when a value) becomes current.
 * Each entry of `dropped` names a `(key, version)` pair, so the same objects
 * are the tier's erasures: one object per erased version, not two.
 */
function statsOfErasure(
  table: string,
  key: Uint8Array,
  stored: readonly VersionSize[],
  erase: readonly number[],
): Pick<KeyPlan, 'dropped' | 'moves'> {
  // The erased versions are the oldest ones (erasure.ts): the tail of `stored`.
  const from = stored.length - erase.length;
  if (!isTail(stored, erase)) return statsOfScattered(table, key, stored, new Set(erase));
  const dropped: StatsEntry[] = [];
  for (let index = from; index < stored.length; index++) {
    const { version, valueBytes } = stored[index] as VersionSize;
    const category = index === 0 && valueBytes !== undefined ? 'current' : 'historical';
    dropped.push({ table, key, version, valueBytes: valueBytes ?? 0, category });
  }
  // The newest goes only with every other version: no survivor becomes current.
  return { dropped, moves: [] };
}

/** True when the ascending `erase` is exactly the oldest entries of `stored` (newest first). */
function isTail(stored: readonly VersionSize[], erase: readonly number[]): boolean {
  const from = stored.length - erase.length;
  if (from < 0) return false;
  for (let at = 0; at < erase.length; at++) {
    if ((stored[stored.length - 1 - at] as VersionSize).version !== erase[at]) return false;
  }
  return true;
}

/** {@link statsOfErasure} for any set of stored versions (not only the oldest ones). */
function statsOfScattered(
  table: string,
  key: Uint8Array,
  stored: readonly VersionSize[],
  erase: ReadonlySet<number>,
): Pick<KeyPlan, 'dropped' | 'moves'> {
  const dropped: StatsEntry[] = [];
  const moves: StatsEntry[] = [];
  let survivor: VersionSize | undefined;
  for (let index = 0; index < stored.length; index++) {
    const entry = stored[index] as VersionSize;
    if (!erase.has(entry.version)) {
      survivor ??= entry;
      continue;
    }
    const { version, valueBytes } = entry;
    const category = index === 0 && valueBytes !== undefined ? 'current' : 'historical';
    dropped.push({ table, key, version, valueBytes: valueBytes ?? 0, category });
  }
  const newestErased = stored.length > 0 && erase.has((stored[0] as VersionSize).version);
  if (newestErased && survivor?.valueBytes !== undefined) {
    const { version, valueBytes } = survivor;
    moves.push({ table, key, version, valueBytes, category: 'current' });
  }
  return { dropped, moves };
}

function sameHorizon(a: Horizon | undefined, b: Horizon): boolean {
  return a !== undefined && a.erasedFrom === b.erasedFrom && a.readableFrom === b.readableFrom;
}

/** The changed horizons of `plans` by table, or `undefined` when none changed. */
function horizonsByTable(plans: readonly KeyPlan[]): Map<string, HorizonEntry[]> | undefined {
  let byTable: Map<string, HorizonEntry[]> | undefined;
  for (const plan of plans) {
    if (plan.horizon === undefined) continue;
    byTable ??= new Map();
    const list = byTable.get(plan.table);
    if (list === undefined) byTable.set(plan.table, [plan.horizon]);
    else list.push(plan.horizon);
  }
  return byTable;
}

/** Per table, the highest version whose history the plans changed (tables they erased in). */
/** Per table, the highest version whose history `plans` change (the tier keeps it as its erased top). */
export function erasedTopsByTable(plans: readonly KeyPlan[]): Map<string, number> {
  const tops = new Map<string, number>();
  for (const { table, erasedTop } of plans) {
    if (erasedTop !== undefined) tops.set(table, Math.max(tops.get(table) ?? 0, erasedTop));
  }
  return tops;
}

/**
 * The erasures of `plans` by table. `all` is every plan's `dropped`, in plan
 * order (the record's drops): when one table has them all, it is that list
 * itself, not a copy (neither the tier nor the record changes it).
 */
function dropsByTable(
  plans: readonly KeyPlan[],
  all: readonly TierDrop[] | undefined,
): Map<string, readonly TierDrop[]> {
  const tables = new Set<string>();
  for (const plan of plans) if (plan.dropped.length > 0) tables.add(plan.table);
  // `all` is given only when no plan is a prefix plan (those the tier erases by bound).
  if (all !== undefined && tables.size === 1)
    return new Map([[tables.values().next().value as string, all]]);
  const byTable = new Map<string, TierDrop[]>();
  for (const plan of plans) {
    if (plan.dropped.length === 0 || plan.below !== undefined) continue;
    const list = byTable.get(plan.table);
    if (list === undefined) byTable.set(plan.table, plan.dropped.slice());
    else for (const drop of plan.dropped) list.push(drop);
  }
  return byTable;
}
