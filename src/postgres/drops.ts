/**
 * Applying the drop requests stored in the database.
 *
 * Commits write their drop requests as rows (`drop_requests`, in commit
 * order by id), so a request outlives the process that made it. Any process
 * may apply them; one batch is one database transaction:
 *
 * ```
 *   BEGIN
 *   SELECT latest FROM oracle FOR UPDATE          the same row commits lock: one applier at
 *                                                 a time, and no commit changes a key meanwhile
 *   SELECT * FROM drop_requests WHERE id > cursor ORDER BY id LIMIT batch
 *   per key: version sizes + horizon ─► planKeyDrops (the embedded drop worker's planning)
 *   DELETE the erased rows; UPSERT horizons; UPDATE stats -= the flush record
 *   DELETE the applied requests                   parked ones stay (an open snapshot of this
 *   COMMIT                                        process still reads what they would erase)
 * ```
 *
 * Two processes never apply the same request: the second waits for the row
 * lock, and its SELECT (READ COMMITTED, a new snapshot per statement) no
 * longer finds what the first deleted. A process that dies mid-batch rolls
 * the whole batch back; the requests are still there for the next flush.
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
import type { VersionSize } from '../tier/tier.js';
import type { Horizon, OpenSnapshots } from '../transaction/index.js';
import { addStats, lockOracle } from './commit.js';
import type { Database, Sql } from './database.js';
import { int, ownBytes, type Rows } from './rows.js';
import type { SqlNames } from './schema.js';

/** What applying drop requests needs. */
export interface DropContext {
  readonly db: Database;
  readonly names: SqlNames;
  readonly rows: Rows;
  /** The open snapshots of this process: what they read is never erased. */
  readonly snapshots: OpenSnapshots;
  /** Requests per database transaction. */
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

/** Apply every stored request (batch after batch) that no open snapshot holds back. */
export async function applyDropRequests(context: DropContext): Promise<DropFlushOutcome> {
  const held = new Set<string>();
  let cursor = '0';
  let applied = 0;
  let parked = 0;
  let erased = 0;
  const records: StorageStatsRecorded[] = [];
  for (;;) {
    const batch = await context.db.transaction((sql) => applyBatch(sql, context, cursor, held));
    applied += batch.applied;
    parked += batch.parked;
    erased += batch.erased;
    if (batch.record !== undefined) records.push(batch.record);
    if (batch.last === undefined) break;
    cursor = batch.last;
  }
  return { applied, parked, erased, records };
}

interface BatchOutcome {
  readonly applied: number;
  readonly parked: number;
  readonly erased: number;
  readonly record: StorageStatsRecorded | undefined;
  /** The id of the batch's last request, or `undefined` when the batch was the last. */
  readonly last: string | undefined;
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

async function applyBatch(
  sql: Sql,
  context: DropContext,
  after: string,
  held: Set<string>,
): Promise<BatchOutcome> {
  await lockOracle(sql, context.names);
  const stored = await readRequests(sql, context, after);
  if (stored.length === 0) {
    return { applied: 0, parked: 0, erased: 0, record: undefined, last: undefined };
  }
  const plans: KeyPlan[] = [];
  const kept = new Set<DropRequest>();
  const groups = groupByKey(stored.map((entry) => entry.request));
  const stateOf = await keyStates(sql, context, groups);
  for (const group of groups) {
    const { table, key } = group[0] as DropRequest;
    const heldKey = `${table}\u0000${bytesToBinaryString(key)}`;
    // Behind a request of the key held back earlier in this flush: commit order.
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
  await erase(sql, context.rows, plans);
  const done = stored.filter((entry) => !kept.has(entry.request));
  const record = flushRecord(
    done.map((entry) => entry.request),
    plans,
  );
  await addStats(sql, context.names, record);
  await sql.query(`DELETE FROM ${context.names.dropRequests} WHERE id = ANY($1::bigint[])`, [
    done.map((entry) => entry.id),
  ]);
  const last = stored.length < context.batchSize ? undefined : (stored.at(-1) as StoredRequest).id;
  return { applied: done.length, parked: kept.size, erased: record.drops.length, record, last };
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

async function readRequests(
  sql: Sql,
  context: DropContext,
  after: string,
): Promise<StoredRequest[]> {
  const { rows } = await sql.query(
    `SELECT id, table_name, key, up_to_version, keep_last_versions, pending_version, ceiling,
            commit_version
       FROM ${context.names.dropRequests} WHERE id > $1 ORDER BY id LIMIT $2`,
    [after, context.batchSize],
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
