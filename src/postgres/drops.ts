/**
 * Applying the drop requests stored in the database.
 *
 * Commits write their drop requests as rows, so a request outlives the
 * process that made it: per-key requests in `drop_requests`, range drops in
 * `range_drops` (one row each, range-drops.ts), both in commit order by id
 * (one sequence). Any process may apply them; one batch is one database
 * transaction:
 *
 * ```
 *   BEGIN
 *   SELECT latest FROM oracle FOR UPDATE          the same row commits lock: one applier at
 *                                                 a time, and no commit changes a key meanwhile
 *   the next range drop after the cursor; the per-key requests before it (batchSize at most)
 *   fewer than batchSize: + the range's held-back keys (once a flush) + its next page of keys
 *   per key: version sizes + horizon ─► planKeyDrops (the embedded drop worker's planning)
 *   DELETE the erased rows; UPSERT horizons; UPDATE stats -= the flush record
 *   DELETE the applied requests                   parked ones stay (an open snapshot of this
 *   UPDATE the range's cursor and held keys       process still reads what they would erase),
 *     (DELETE it once done)                       a parked key of a range stays on its row
 *   COMMIT
 * ```
 *
 * A range drop is paged as the embedded drop worker pages it (its
 * `RangeDrop`): each key is listed when the cursor gets there, from the
 * stored history at the request's ceiling, and judged then by the per-key
 * rule; the range stays at the head of the order until its last page, so
 * requests committed after it wait (commit order). Every batch stays
 * bounded: `batchSize` per-key requests, or fewer and one page of a range.
 *
 * Two processes never apply the same request: the second waits for the row
 * lock, and its SELECT (READ COMMITTED, a new snapshot per statement) no
 * longer finds what the first deleted, and finds a range at the cursor the
 * first left. A process that dies mid-batch rolls the whole batch back
 * (cursor included); the requests are still there for the next flush.
 *
 * @module
 */

import { bytesToBinaryString } from '../common/bytes.js';
import type { StorageStatsRecorded } from '../event/events.js';
import {
  type DropRequest,
  erasedTopsByTable,
  flushRecord,
  groupByKey,
  type KeyPlan,
  planKeyDrops,
} from '../store/drop-batch.js';
import type { TableRouter } from '../store/routing.js';
import type { VersionSize } from '../tier/tier.js';
import type { Horizon, OpenSnapshots } from '../transaction/index.js';
import { addStats, lockOracle } from './commit.js';
import type { Database, Sql } from './database.js';
import { nextPageOf, nextRangeDrop, type StoredRange, saveRangeDrop } from './range-drops.js';
import { int, ownBytes, type Rows } from './rows.js';
import type { SqlNames } from './schema.js';

/** What applying drop requests needs. */
export interface DropContext {
  readonly db: Database;
  readonly names: SqlNames;
  readonly rows: Rows;
  /** The open snapshots of this process: what they read is never erased. */
  readonly snapshots: OpenSnapshots;
  /** The table routing: the tables a range drop pages. */
  readonly router: TableRouter;
  /** Requests per database transaction (and keys per page of a range drop). */
  readonly batchSize: number;
}

/** What a flush did. */
export interface DropFlushOutcome {
  /** Requests applied and deleted. */
  readonly applied: number;
  /** Requests left for later (held back by an open snapshot). */
  readonly parked: number;
  /** Stored versions erased. */
  readonly erased: number;
  /** The statistics records of its batches. */
  readonly records: readonly StorageStatsRecorded[];
}

interface StoredRequest {
  readonly id: string;
  readonly request: DropRequest;
}

/** What one flush carries from batch to batch. */
interface FlushState {
  /** The order's cursor: requests with an id at or below it are behind this flush. */
  after: string;
  /** Keys (table, NUL, key) with a request held back in this flush: their later requests wait. */
  readonly held: Set<string>;
  /** Range drops this flush met already: their held-back keys were tried then. */
  readonly met: Set<string>;
}

/** Apply every stored request (batch after batch) that no open snapshot holds back. */
export async function applyDropRequests(context: DropContext): Promise<DropFlushOutcome> {
  const state: FlushState = { after: '0', held: new Set(), met: new Set() };
  let applied = 0;
  let parked = 0;
  let erased = 0;
  const records: StorageStatsRecorded[] = [];
  for (;;) {
    const batch = await context.db.transaction((sql) => applyBatch(sql, context, state));
    applied += batch.applied;
    parked += batch.parked;
    erased += batch.erased;
    if (batch.record !== undefined) records.push(batch.record);
    if (batch.met !== undefined) state.met.add(batch.met);
    if (batch.next === undefined) break;
    state.after = batch.next;
  }
  return { applied, parked, erased, records };
}

interface BatchOutcome {
  readonly applied: number;
  readonly parked: number;
  readonly erased: number;
  readonly record: StorageStatsRecorded | undefined;
  /** Where the next batch starts, or `undefined` when this one was the last. */
  readonly next: string | undefined;
  /** The range drop this batch paged. */
  readonly met: string | undefined;
}

/** The requests of one batch, in commit order: per-key rows, then a range's. */
interface BatchHead {
  readonly stored: readonly StoredRequest[];
  /** The range drop this batch pages, if it gets that far. */
  readonly range: StoredRange | undefined;
  /** The range's requests: its held-back keys (first met in the flush), then its next page. */
  readonly expanded: readonly DropRequest[];
  /** The range's held-back keys are tried (they are in `expanded`). */
  readonly retried: boolean;
}

/**
 * The next requests in commit order: up to `batchSize` per-key requests
 * before the next range drop and, when fewer, that range's held-back keys
 * (once a flush) and its next page.
 */
async function readHead(sql: Sql, context: DropContext, state: FlushState): Promise<BatchHead> {
  const next = await nextRangeDrop(sql, context.names, context.router, state.after);
  const stored = await readRequests(sql, context, state.after, next?.id);
  if (next === undefined || stored.length >= context.batchSize) {
    return { stored, range: undefined, expanded: [], retried: false };
  }
  // Once a flush: a key held back now stays so until a snapshot ends.
  const retried = !state.met.has(next.id);
  const page = await nextPageOf(sql, context.rows, next.range, context.batchSize);
  const expanded = retried ? [...next.held, ...page] : page;
  return { stored, range: next, expanded, retried };
}

async function applyBatch(
  sql: Sql,
  context: DropContext,
  state: FlushState,
): Promise<BatchOutcome> {
  await lockOracle(sql, context.names);
  const head = await readHead(sql, context, state);
  const { stored, range, expanded } = head;
  const requests = [...stored.map((entry) => entry.request), ...expanded];
  if (requests.length === 0 && range === undefined) return NOTHING_LEFT;
  const { plans, kept } = await planBatch(sql, context, requests, state.held);
  await erase(sql, context.rows, plans);
  const record = flushRecord(
    requests.filter((request) => !kept.has(request)),
    plans,
  );
  if (requests.length > 0) await addStats(sql, context.names, record);
  const done = stored.filter((entry) => !kept.has(entry.request));
  if (done.length > 0) {
    await sql.query(`DELETE FROM ${context.names.dropRequests} WHERE id = ANY($1::bigint[])`, [
      done.map((entry) => entry.id),
    ]);
  }
  const gone = range !== undefined && (await saveRange(sql, context, head, kept));
  return {
    applied: done.length + (gone ? 1 : 0),
    parked: kept.size,
    erased: record.drops.length,
    record: requests.length > 0 ? record : undefined,
    next: nextCursor(head, state.after, context.batchSize),
    met: range?.id,
  };
}

const NOTHING_LEFT: BatchOutcome = Object.freeze({
  applied: 0,
  parked: 0,
  erased: 0,
  record: undefined,
  next: undefined,
  met: undefined,
});

/**
 * Record the progress of the batch's range: its cursor, and the keys held
 * back now (those not tried in this batch, and those of this batch kept).
 * Returns whether the range is done (its row gone).
 */
async function saveRange(
  sql: Sql,
  context: DropContext,
  head: BatchHead,
  kept: ReadonlySet<DropRequest>,
): Promise<boolean> {
  const range = head.range as StoredRange;
  const untried = head.retried ? [] : range.held;
  const held = [...untried, ...head.expanded.filter((request) => kept.has(request))];
  return saveRangeDrop(sql, context.names, range, held);
}

/**
 * Where the batch after `head` starts: past its per-key requests, and past
 * its range once every key of it is listed; on the range again while it is
 * part-way; `undefined` when nothing follows.
 */
function nextCursor(head: BatchHead, after: string, batchSize: number): string | undefined {
  const last = head.stored.at(-1)?.id;
  if (head.range === undefined) return head.stored.length < batchSize ? undefined : last;
  return head.range.range.cursor === undefined ? head.range.id : (last ?? after);
}

/**
 * Plan each key's requests (in commit order) with the per-key rule; a key
 * with a request held back earlier in this flush keeps its later ones
 * (commit order). Returns the plans and the requests kept for later.
 */
async function planBatch(
  sql: Sql,
  context: DropContext,
  requests: readonly DropRequest[],
  held: Set<string>,
): Promise<{ plans: KeyPlan[]; kept: Set<DropRequest> }> {
  const plans: KeyPlan[] = [];
  const kept = new Set<DropRequest>();
  const groups = groupByKey(requests);
  const stateOf = await keyStates(sql, context, groups);
  for (const group of groups) {
    const { table, key } = group[0] as DropRequest;
    const heldKey = `${table}\u0000${bytesToBinaryString(key)}`;
    if (held.has(heldKey)) {
      for (const request of group) kept.add(request);
      continue;
    }
    const { sizes, horizon } = stateOf(table, key);
    const plan = planKeyDrops(group, sizes, horizon, context.snapshots);
    plans.push(plan);
    if (plan.parked.length > 0) held.add(heldKey);
    for (const request of plan.parked) kept.add(request);
  }
  return { plans, kept };
}

/**
 * What the batch's keys hold (stored version sizes and horizon), read with
 * two statements per table rather than two per key.
 */
async function keyStates(
  sql: Sql,
  context: DropContext,
  groups: readonly (readonly DropRequest[])[],
): Promise<
  (table: string, key: Uint8Array) => { sizes: VersionSize[]; horizon: Horizon | undefined }
> {
  const keysByTable = new Map<string, Uint8Array[]>();
  for (const group of groups) {
    const { table, key } = group[0] as DropRequest;
    const keys = keysByTable.get(table);
    if (keys === undefined) keysByTable.set(table, [key]);
    else keys.push(key);
  }
  const sizes = new Map<string, Map<string, VersionSize[]>>();
  const horizons = new Map<string, Map<string, Horizon>>();
  for (const [table, keys] of keysByTable) {
    sizes.set(table, await context.rows.versionSizesOf(sql, table, keys));
    horizons.set(table, await context.rows.horizonsOf(sql, table, keys));
  }
  return (table, key) => {
    const id = bytesToBinaryString(key);
    return { sizes: sizes.get(table)?.get(id) ?? [], horizon: horizons.get(table)?.get(id) };
  };
}

async function erase(sql: Sql, rows: Rows, plans: readonly KeyPlan[]): Promise<void> {
  const drops = new Map<string, { key: Uint8Array; version: number }[]>();
  const horizons = new Map<string, NonNullable<KeyPlan['horizon']>[]>();
  for (const plan of plans) {
    const list = drops.get(plan.table) ?? [];
    for (const drop of plan.dropped) list.push(drop);
    drops.set(plan.table, list);
    if (plan.horizon === undefined) continue;
    const changed = horizons.get(plan.table) ?? [];
    changed.push(plan.horizon);
    horizons.set(plan.table, changed);
  }
  for (const [table, list] of drops) await rows.erase(sql, table, list);
  // Before the horizons raise the floor: a NULL top (a schema from before) reads as the old floor.
  for (const [table, top] of erasedTopsByTable(plans)) await rows.raiseErasedTop(sql, table, top);
  for (const [table, list] of horizons) await rows.setHorizons(sql, table, list);
}

/** The per-key requests after `after` (and before `before`), `batchSize` at most. */
async function readRequests(
  sql: Sql,
  context: DropContext,
  after: string,
  before: string | undefined,
): Promise<StoredRequest[]> {
  const { rows } = await sql.query(
    `SELECT id, table_name, key, up_to_version, keep_last_versions, pending_version, ceiling,
            commit_version
       FROM ${context.names.dropRequests}
      WHERE id > $1 AND ($3::bigint IS NULL OR id < $3) ORDER BY id LIMIT $2`,
    [after, context.batchSize, before ?? null],
  );
  return rows.map((row: RequestRow) => ({
    id: String(row.id),
    request: {
      table: row.table_name,
      key: ownBytes(row.key),
      upToVersion: optional(row.up_to_version),
      keepLastVersions: optional(row.keep_last_versions),
      pendingVersion: optional(row.pending_version),
      ceiling: int(row.ceiling),
      commitVersion: int(row.commit_version),
      seq: int(row.commit_version),
    },
  }));
}

interface RequestRow {
  readonly id: unknown;
  readonly table_name: string;
  readonly key: Buffer;
  readonly up_to_version: unknown;
  readonly keep_last_versions: unknown;
  readonly pending_version: unknown;
  readonly ceiling: unknown;
  readonly commit_version: unknown;
}

function optional(value: unknown): number | undefined {
  return value === null ? undefined : int(value);
}
