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
 *   COMMIT
 * ```
 *
 * Holding the oracle row from the version's choice to COMMIT makes versions
 * unique, increasing and gapless (a rolled-back commit gives its version
 * back), and makes commits finish in version order: once a reader sees
 * `latest = V`, every commit at or below V is complete, so "latest" needs no
 * watermark of unfinished commits. Statistics are updated in the same
 * transaction from the rows as they were under the lock, so they stay exact
 * with any number of processes. Drop requests are rows written by the commit
 * itself: they survive any crash of the process that made them.
 *
 * @module
 */

import { binaryStringToBytes, bytesToBinaryString } from '../common/bytes.js';
import { TransactionConflictError, VersionTooOldError } from '../common/errors.js';
import type { StorageStatsRecorded } from '../event/events.js';
import { StorageStatsTracker } from '../stats/tracker.js';
import { dropRequestsOf } from '../store/commit-requests.js';
import { StatsEventBuilder, statsObserver } from '../store/commit-stats.js';
import { type ConflictSubject, checkHistory, type StoredHistory } from '../store/conflict-check.js';
import type { CommitPlan, PlannedDrop } from '../store/deltas.js';
import type { DropRequest } from '../store/drop-batch.js';
import { boundKey } from '../store/range.js';
import type { TableRouter } from '../store/routing.js';
import type { Bound, TierWrite } from '../tier/tier.js';
import {
  type Horizon,
  type KeyBound,
  type KeyId,
  type KeyRange,
  keyIdOf,
  VersionOracle,
} from '../transaction/index.js';
import type { Sql } from './database.js';
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
  const { explicit, subject } = request;
  let { plan } = request;
  const oracle = new VersionOracle(await lockOracle(sql, context.names));
  if (subject !== undefined) await checkConflictsIn(sql, context, subject);
  const empty = plan.writes.length === 0 && plan.drops.length === 0 && plan.rangeDrops.length === 0;
  const version = oracle.versionFor({ explicit, empty, highestOpen: request.highestOpen });
  if (version === undefined) {
    return { version, latest: oracle.latest, record: undefined, requests: 0 };
  }
  if (explicit !== undefined) await checkErasedHistory(sql, context, plan, version);
  const record = await writeRows(sql, context, plan, version);
  plan = await withRangeKeys(sql, context, plan, version);
  if (record !== undefined) await addStats(sql, context.names, record);
  const raised = version > oracle.latest;
  oracle.record(version);
  if (raised) {
    await sql.query(`UPDATE ${context.names.oracle} SET latest = $1 WHERE id = 1`, [version]);
  }
  // Requests are rows here, not records of a log: the commit's version
  // stands for the record number the embedded store's request log gives.
  const requests = dropRequestsOf(plan, version, oracle.latest, () => version);
  await insertDropRequests(sql, context.names, requests);
  return { version, latest: oracle.latest, record, requests: requests.length };
}

/**
 * The plan with each range drop turned into the per-key drops it stands for:
 * one per key of the range with a stored version at or below the commit (its
 * own writes included), listed here, in the commit's transaction under the
 * oracle lock, so the requests are rows like any per-key drop's and the drop
 * applier pages through them `batchSize` at a time. Listing costs one
 * statement per table the range meets.
 */
async function withRangeKeys(
  sql: Sql,
  context: CommitContext,
  plan: CommitPlan,
  version: number,
): Promise<CommitPlan> {
  if (plan.rangeDrops.length === 0) return plan;
  const drops: PlannedDrop[] = [...plan.drops];
  for (const { range, upToVersion, keepLastVersions } of plan.rangeDrops) {
    for (const table of context.router.tablesMeeting(boundKey(range.start), boundKey(range.end))) {
      for (const key of await context.rows.keysUpTo(sql, table.name, range, version)) {
        drops.push({ table, key, upToVersion, keepLastVersions });
      }
    }
  }
  return { ...plan, drops, rangeDrops: [] };
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

/** An explicit version below a key's horizon: a value written there could never be read. */
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
  // The first write (in the plan's order) into erased history is the one reported.
  for (const write of plan.writes) {
    const horizon = horizons.get(write.table.name)?.get(bytesToBinaryString(write.key));
    if (horizon !== undefined && version >= horizon.erasedFrom && version < horizon.readableFrom) {
      throw new VersionTooOldError(version, horizon.readableFrom, write.key, 'write');
    }
  }
}

/**
 * First committer wins, judged on stored history under the oracle lock: every
 * commit of every process up to the latest version is visible now. What the
 * shared rule (`checkHistory`) asks is fetched first, then judged in memory.
 */
async function checkConflictsIn(
  sql: Sql,
  context: CommitContext,
  subject: ConflictSubject,
): Promise<void> {
  const keys = new Set<KeyId>(subject.writes);
  for (const key of subject.reads?.keys ?? []) keys.add(key);
  const last = new Map<KeyId, number | undefined>();
  for (const key of keys) last.set(key, await lastChange(sql, context, key));
  const ranges: KeyRange[] = subject.reads === undefined ? [] : [...subject.reads.ranges];
  if (subject.reads?.everything === true) ranges.push(EVERYTHING);
  const changed = new Map<KeyRange, { key: KeyId; version: number } | undefined>();
  for (const range of ranges)
    changed.set(range, await changedIn(sql, context, range, subject.base));
  const history: StoredHistory = {
    lastChange: (key) => last.get(key),
    changedIn: (range) => changed.get(range),
  };
  const found = checkHistory(subject, history, subject.base);
  if (found !== undefined) {
    throw new TransactionConflictError(found.reason, found.version, binaryStringToBytes(found.key));
  }
}

const EVERYTHING: KeyRange = Object.freeze({
  start: Object.freeze({ kind: 'unbounded' }),
  end: Object.freeze({ kind: 'unbounded' }),
});

/** The last version a key changed at: its newest row, its horizon, a queued drop of it. */
async function lastChange(
  sql: Sql,
  context: CommitContext,
  id: KeyId,
): Promise<number | undefined> {
  const key = binaryStringToBytes(id);
  const table = context.router.route(key).name;
  const { names } = context;
  const { rows } = await sql.query(
    `SELECT GREATEST(
       (SELECT max(version) FROM ${names.table(table)} WHERE key = $1),
       (SELECT readable_from FROM ${names.horizons} WHERE table_name = $2 AND key = $1),
       (SELECT max(commit_version) FROM ${names.dropRequests} WHERE table_name = $2 AND key = $1)
     ) AS last`,
    [asBuffer(key), table],
  );
  const value = (rows[0] as { last: unknown }).last;
  return value === null ? undefined : int(value);
}

/** A key of `range` changed above `version` (a row, a horizon, a queued drop), if any. */
async function changedIn(
  sql: Sql,
  context: CommitContext,
  range: KeyRange,
  version: number,
): Promise<{ key: KeyId; version: number } | undefined> {
  const start = boundOf(range.start);
  const end = boundOf(range.end);
  const keyOf = (bound: Bound) => (bound.kind === 'unbounded' ? undefined : bound.key);
  const { names } = context;
  for (const table of context.router.tablesMeeting(keyOf(start), keyOf(end))) {
    const found = await firstAbove(sql, names.table(table.name), 'version', start, end, version);
    if (found !== undefined) return found;
    const erased = await firstAbove(
      sql,
      names.horizons,
      'readable_from',
      start,
      end,
      version,
      table.name,
    );
    if (erased !== undefined) return erased;
  }
  return firstAbove(sql, names.dropRequests, 'commit_version', start, end, version);
}

async function firstAbove(
  sql: Sql,
  from: string,
  column: string,
  start: Bound,
  end: Bound,
  version: number,
  table?: string,
): Promise<{ key: KeyId; version: number } | undefined> {
  const values: unknown[] = [version];
  const terms = [`${column} > $1`];
  const add = (term: string, value: unknown) => {
    values.push(value);
    terms.push(`${term} $${values.length}`);
  };
  if (table !== undefined) add('table_name =', table);
  if (start.kind !== 'unbounded')
    add(start.kind === 'included' ? 'key >=' : 'key >', asBuffer(start.key));
  if (end.kind !== 'unbounded')
    add(end.kind === 'included' ? 'key <=' : 'key <', asBuffer(end.key));
  const { rows } = await sql.query(
    `SELECT key, ${column} AS version FROM ${from} WHERE ${terms.join(' AND ')} ORDER BY key LIMIT 1`,
    values,
  );
  const row = rows[0] as { key: Buffer; version: unknown } | undefined;
  return row === undefined
    ? undefined
    : { key: keyIdOf(new Uint8Array(row.key)), version: int(row.version) };
}

function boundOf(bound: KeyBound): Bound {
  return bound.kind === 'unbounded'
    ? { kind: 'unbounded' }
    : { kind: bound.kind, key: binaryStringToBytes(bound.key) };
}
