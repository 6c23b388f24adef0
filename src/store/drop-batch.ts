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
 * A request that fails (its key cannot be read) is logged and counted; the
 * others are still applied. If the grouped erase itself fails, each key is
 * retried on its own so that one bad key cannot hold back the rest.
 *
 * @module
 */

import { bytesToBinaryString } from '../common/bytes.js';
import type { Logger } from '../common/logger.js';
import type { StatsEntry, StorageStatsRecorded } from '../event/events.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import type { Horizon, HorizonEntry, TierDrop, VersionSize } from '../tier/tier.js';
import { type OpenSnapshots, planKeyErasures } from '../transaction/index.js';
import { type DropConstraints, versionsToDrop } from './drop-rules.js';
import type { ParkedDrops } from './parked-drops.js';

/** One request to erase versions of one key. */
export interface DropRequest extends DropConstraints {
  readonly table: string;
  readonly key: Uint8Array;
  /** The version of the commit that made the request. */
  readonly commitVersion: number;
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
  /** The erased versions, as stats entries; each names its `(key, version)`, a tier erasure too. */
  readonly dropped: StatsEntry[];
  readonly moves: StatsEntry[];
  /** The key's new horizon, when the erasure changed it. */
  readonly horizon: HorizonEntry | undefined;
  /** The requests that must wait (parked once the erasure is applied), and for what. */
  readonly parked: readonly DropRequest[];
  readonly blockedBy: number | undefined;
  readonly requests: number;
}

/** What the applier needs besides the tier. */
export interface DropApplierOptions {
  readonly logger: Logger;
  /** Hand over the statistics of a flush. */
  readonly emit: (event: StorageStatsRecorded) => void;
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
  readonly #emit: (event: StorageStatsRecorded) => void;
  readonly #snapshots: OpenSnapshots;
  readonly #parked: ParkedDrops;
  readonly #horizonsRecorded: ((readableFrom: number) => void) | undefined;

  constructor(tier: AbstractTier, options: DropApplierOptions) {
    this.#tier = tier;
    this.#logger = options.logger;
    this.#emit = options.emit;
    this.#snapshots = options.snapshots;
    this.#parked = options.parked;
    this.#horizonsRecorded = options.horizonsRecorded;
  }

  /** The requests waiting for a snapshot to end. */
  get parked(): ParkedDrops {
    return this.#parked;
  }

  /** Apply `requests` (in order); emits one event when anything was requested. */
  apply(requests: readonly DropRequest[]): FlushOutcome {
    if (requests.length === 0) return { requests: 0, entriesDropped: 0, failures: 0 };
    let failures = 0;
    const plans: KeyPlan[] = [];
    for (const group of groupByKey(requests)) {
      const { table, key } = group[0] as DropRequest;
      if (this.#parked.has(table, key)) {
        this.#parked.append(group); // behind the key's parked requests: commit order
        continue;
      }
      try {
        plans.push(this.#planKey(group));
      } catch (error) {
        failures += group.length;
        this.#logFailure(group, error);
      }
    }
    const applied = this.#erase(plans);
    for (const plan of plans) {
      if (!applied.has(plan)) failures += plan.requests + plan.parked.length;
      else if (plan.blockedBy !== undefined) this.#parked.park(plan.parked, plan.blockedBy);
    }
    const entriesDropped = this.#report(requests, applied);
    return { requests: requests.length, entriesDropped, failures };
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
    const { table, key } = group[0] as DropRequest;
    const stored = this.#tier.getVersionSizes(table, key);
    // A table that never erased has no horizon to look up.
    const before = this.#tier.readableFloor(table) > 0 ? this.#tier.horizon(table, key) : undefined;
    return planKeyDrops(group, stored, before, this.#snapshots);
  }

  /** Erase every plan in one call; on failure, plan by plan. Returns the plans applied. */
  #erase(plans: readonly KeyPlan[]): Set<KeyPlan> {
    try {
      this.#drop(plans);
      return new Set(plans);
    } catch (error) {
      this.#logger.warn('drop batch failed; retrying key by key', { error });
    }
    const applied = new Set<KeyPlan>();
    for (const plan of plans) {
      try {
        this.#drop([plan]);
        applied.add(plan);
      } catch (error) {
        this.#logger.error('drop request failed', { table: plan.table, error });
      }
    }
    return applied;
  }

  /** One tier call: the plans' erasures and their horizons, atomically. */
  #drop(plans: readonly KeyPlan[]): void {
    const horizons = horizonsByTable(plans);
    this.#tier.drop(dropsByTable(plans), horizons);
    if (horizons === undefined) return;
    let highest = 0;
    for (const list of horizons.values()) {
      for (const { horizon } of list) highest = Math.max(highest, horizon.readableFrom);
    }
    this.#horizonsRecorded?.(highest);
  }

  #report(requests: readonly DropRequest[], applied: Iterable<KeyPlan>): number {
    const record = flushRecord(requests, applied);
    this.#emit(record);
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
    ...statsOfErasure(table, key, stored, new Set(planned.erase)),
    horizon: changed ? { key, horizon: planned.horizon as Horizon } : undefined,
    parked: planned.parked,
    blockedBy: planned.blockedBy,
    requests: group.length - planned.parked.length,
  };
}

/** The statistics record of a flush: what the applied plans erased and moved. */
export function flushRecord(
  requests: readonly DropRequest[],
  applied: Iterable<KeyPlan>,
): StorageStatsRecorded {
  const drops: StatsEntry[] = [];
  const moves: StatsEntry[] = [];
  for (const plan of applied) {
    for (const entry of plan.dropped) drops.push(entry);
    for (const entry of plan.moves) moves.push(entry);
  }
  let version = 0;
  for (const request of requests)
    if (request.commitVersion > version) version = request.commitVersion;
  return { type: 'storage-stats', version, writes: [], deletes: [], drops, moves };
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
 * The stats entries of erasing `erase` from a key's `stored` versions (newest
 * first). The newest version, when a value, was counted as current; if it goes,
 * the newest survivor (when a value) becomes current. Each entry of `dropped`
 * names a `(key, version)` pair, so the same objects are the tier's erasures:
 * one object per erased version, not two.
 */
function statsOfErasure(
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

function dropsByTable(plans: readonly KeyPlan[]): Map<string, TierDrop[]> {
  const byTable = new Map<string, TierDrop[]>();
  for (const plan of plans) {
    if (plan.dropped.length === 0) continue;
    const list = byTable.get(plan.table);
    if (list === undefined) byTable.set(plan.table, plan.dropped.slice());
    else for (const drop of plan.dropped) list.push(drop);
  }
  return byTable;
}
