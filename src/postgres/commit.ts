/**
 * The commit path of the PostgreSQL store: one database transaction per commit.
 *
 * ```
 *   BEGIN
 *   SELECT latest FROM oracle FOR UPDATE        the version oracle's row: commits (and drop
 *                                               flushes) of every process queue here
 *   conflict check (a transaction's)            stored history above its base, under the lock
 *   version = VersionOracle(latest).versionFor  the embedded store's rule: latest + 1, or explicit
 *   rows before (newest, same version)  ─► statsObserver ─► the commit's stats record
 *   INSERT rows; UPDATE stats += record; UPDATE oracle latest; INSERT drop requests
 *   COMMIT                                      (per-key rows; a range drop: one row, range-drops.ts)
 * ```
 *
 * Holding the oracle row from the version's choice to COMMIT makes versions
 * unique, increasing and gapless (a rolled-back commit gives its version
 * back), and makes commits finish in version order: once a reader sees
 * `latest = V`, every commit at or below V is complete, so "latest" needs no
 * watermark of unfinished commits. Statistics are updated in the same
 * transaction from the rows as they were under the lock, so they stay exact
 * with any number of processes. Drop requests are rows written by the commit
 * itself: they survive any crash of the process that made them. A range drop
 * is one row whatever its range holds: the drop applier lists its keys a
 * page at a time (drops.ts), so a commit's work never depends on how many
 * keys a range holds. The conflict check lives in conflicts.ts.
 *
 * @module
 */

import { bytesToBinaryString } from '../common/bytes.js';
import { VersionTooOldError } from '../common/errors.js';
import type { StorageStatsRecorded } from '../event/events.js';
import { StorageStatsTracker } from '../stats/tracker.js';
import { type QueuedDrop, queuedDropsOf } from '../store/commit-requests.js';
import { StatsEventBuilder, statsObserver } from '../store/commit-stats.js';
import type { ConflictSubject } from '../store/conflict-check.js';
import type { CommitPlan } from '../store/deltas.js';
import type { DropRequest } from '../store/drop-batch.js';
import { RangeDrop } from '../store/range-drops.js';
import type { TableRouter } from '../store/routing.js';
import type { TierWrite } from '../tier/tier.js';
import { type Horizon, VersionOracle } from '../transaction/index.js';
import { checkConflictsIn } from './conflicts.js';
import type { Sql } from './database.js';
import { insertRangeDrop } from './range-drops.js';
import { asBuffer, int, type Rows } from './rows.js';
import type { SqlNames } from './schema.js';

/** What the commit path works with. */
export interface CommitContext {
  readonly names: SqlNames;
  readonly rows: Rows;
  readonly router: TableRouter;
}

/** One commit to make. */
export interface CommitRequest {
  readonly plan: CommitPlan;
  readonly explicit: number | undefined;
  /** The highest version an open snapshot of this process reads at (explicit commits). */
  readonly highestOpen: number | undefined;
  /** A transaction's conflict subject, judged under the lock. */
  readonly subject: ConflictSubject | undefined;
}

/** What a commit did. */
export interface CommitOutcome {
  /** The version it took (`undefined`: an empty commit without a version took none). */
  readonly version: number | undefined;
  /** The latest version once it committed. */
  readonly latest: number;
  readonly record: StorageStatsRecorded | undefined;
  /** Drop requests it stored. */
  readonly requests: number;
}

/** Lock the oracle row; returns the latest committed version. */
export async function lockOracle(sql: Sql, names: SqlNames): Promise<number> {
  const { rows } = await sql.query(`SELECT latest FROM ${names.oracle} WHERE id = 1 FOR UPDATE`);
  return int((rows[0] as { latest: unknown }).latest);
}

/** The whole commit, inside the caller's database transaction. */
export async function commitIn(
  sql: Sql,
  context: CommitContext,
  request: CommitRequest,
): Promise<CommitOutcome> {
  const { explicit, subject, plan } = request;
  const oracle = new VersionOracle(await lockOracle(sql, context.names));
  if (subject !== undefined) await checkConflictsIn(sql, context, subject);
  const empty = plan.writes.length === 0 && plan.drops.length === 0 && plan.rangeDrops.length === 0;
  const version = oracle.versionFor({ explicit, empty, highestOpen: request.highestOpen });
  if (version === undefined) {
    return { version, latest: oracle.latest, record: undefined, requests: 0 };
  }
  if (explicit !== undefined) await checkErasedHistory(sql, context, plan, version);
  const record = await writeRows(sql, context, plan, version);
  if (record !== undefined) await addStats(sql, context.names, record);
  const raised = version > oracle.latest;
  oracle.record(version);
  if (raised) {
    await sql.query(`UPDATE ${context.names.oracle} SET latest = $1 WHERE id = 1`, [version]);
  }
  // Requests are rows here, not records of a log: the commit's version
  // stands for the record number the embedded store's request log gives.
  const queued = queuedDropsOf(plan, version, oracle.latest, context.router, () => version);
  await storeDropRequests(sql, context.names, queued);
  return { version, latest: oracle.latest, record, requests: queued.length };
}

/**
 * Store a commit's requests in their order: runs of per-key requests as
 * `drop_requests` rows, each range drop as one `range_drops` row
 * (range-drops.ts), every id from one sequence.
 */
async function storeDropRequests(
  sql: Sql,
  names: SqlNames,
  queued: readonly QueuedDrop[],
): Promise<void> {
  let run: DropRequest[] = [];
  for (const request of queued) {
    if (!(request instanceof RangeDrop)) {
      run.push(request);
      continue;
    }
    await insertDropRequests(sql, names, run);
    run = [];
    await insertRangeDrop(sql, names, request);
  }
  await insertDropRequests(sql, names, run);
}

/**
 * Write the plan's rows at `version`, table by table, and work out its
 * statistics record from the rows the writes meet (the embedded store's
 * write observer, fed from SQL).
 */
async function writeRows(
  sql: Sql,
  context: CommitContext,
  plan: CommitPlan,
  version: number,
): Promise<StorageStatsRecorded | undefined> {
  const stats = new StatsEventBuilder();
  const observe = statsObserver(stats, version);
  const byTable = new Map<string, TierWrite[]>();
  for (const write of plan.writes) {
    const list = byTable.get(write.table.name);
    if (list === undefined) byTable.set(write.table.name, [write]);
    else list.push(write);
  }
  for (const [table, writes] of byTable) {
    const last = new Map<string, TierWrite>();
    for (const write of writes) last.set(bytesToBinaryString(write.key), write);
    const keys = [...last.values()].map((write) => write.key);
    const before = await context.rows.before(sql, table, keys, version);
    for (const write of writes) {
      // Each write meets what the earlier writes of the commit left: a second
      // write of a key replaces the first.
      const id = bytesToBinaryString(write.key);
      const state = before.get(id) ?? { newest: undefined, at: undefined };
      observe(table, write, state.newest, state.at);
      const written = { version, valueBytes: write.value?.length };
      const newest =
        state.newest === undefined || state.newest.version <= version ? written : state.newest;
      before.set(id, { newest, at: written });
    }
    await context.rows.write(sql, table, version, last);
  }
  return stats.empty ? undefined : stats.build(version);
}

/** Add a record's figures to the stats rows of its tables. */
export async function addStats(
  sql: Sql,
  names: SqlNames,
  record: StorageStatsRecorded,
): Promise<void> {
  const tracker = new StorageStatsTracker();
  tracker.record(record);
  for (const [table, f] of Object.entries(tracker.stats().tables)) {
    await sql.query(
      `INSERT INTO ${names.stats} AS s (table_name, current_count, current_key_bytes,
         current_value_bytes, historical_count, historical_key_bytes, historical_value_bytes)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (table_name) DO UPDATE SET
         current_count = s.current_count + EXCLUDED.current_count,
         current_key_bytes = s.current_key_bytes + EXCLUDED.current_key_bytes,
         current_value_bytes = s.current_value_bytes + EXCLUDED.current_value_bytes,
         historical_count = s.historical_count + EXCLUDED.historical_count,
         historical_key_bytes = s.historical_key_bytes + EXCLUDED.historical_key_bytes,
         historical_value_bytes = s.historical_value_bytes + EXCLUDED.historical_value_bytes`,
      [
        table,
        f.currentCount,
        f.currentKeyBytes,
        f.currentValueBytes,
        f.historicalCount,
        f.historicalKeyBytes,
        f.historicalValueBytes,
      ],
    );
  }
}

async function insertDropRequests(
  sql: Sql,
  names: SqlNames,
  requests: readonly DropRequest[],
): Promise<void> {
  if (requests.length === 0) return;
  const column = <T>(pick: (request: DropRequest) => T) => requests.map(pick);
  await sql.query(
    `INSERT INTO ${names.dropRequests} (table_name, key, up_to_version, keep_last_versions,
       pending_version, ceiling, commit_version)
     SELECT t, k, up, keep, pending, ceil, cv
       FROM unnest($1::text[], $2::bytea[], $3::bigint[], $4::bigint[], $5::bigint[],
         $6::bigint[], $7::bigint[]) WITH ORDINALITY AS u(t, k, up, keep, pending, ceil, cv, n)
      ORDER BY n`,
    [
      column((r) => r.table),
      column((r) => asBuffer(r.key)),
      column((r) => r.upToVersion ?? null),
      column((r) => r.keepLastVersions ?? null),
      column((r) => r.pendingVersion ?? null),
      column((r) => r.ceiling),
      column((r) => r.commitVersion),
    ],
  );
}

/**
 * An explicit version below the `readableFrom` of a key's horizon: inside it
 * a value written could never be read, and below it (a deletion's) it would
 * bring the key back where the drop left it absent (store/history-reads.ts).
 */
async function checkErasedHistory(
  sql: Sql,
  context: CommitContext,
  plan: CommitPlan,
  version: number,
): Promise<void> {
  const keysByTable = new Map<string, Uint8Array[]>();
  for (const write of plan.writes) {
    const keys = keysByTable.get(write.table.name);
    if (keys === undefined) keysByTable.set(write.table.name, [write.key]);
    else keys.push(write.key);
  }
  const horizons = new Map<string, Map<string, Horizon>>();
  for (const [table, keys] of keysByTable) {
    horizons.set(table, await context.rows.horizonsOf(sql, table, keys));
  }
  // The first write (in the plan's order) below a horizon is the one reported.
  for (const write of plan.writes) {
    const horizon = horizons.get(write.table.name)?.get(bytesToBinaryString(write.key));
    if (horizon !== undefined && version < horizon.readableFrom) {
      throw new VersionTooOldError(version, horizon.readableFrom, write.key, 'write');
    }
  }
}
