/**
 * The conflict check of a committing transaction on PostgreSQL: first
 * committer wins, judged on stored history under the oracle lock (every
 * commit of every process up to the latest version is visible then). The
 * shared rule (`checkHistory`, store/conflict-check.ts) decides; this module
 * fetches what it asks:
 *
 * ```
 *   lastChange(key)        newest row, horizon (readable_from), queued per-key drop,
 *                          queued range drop covering the key           (its commit version)
 *   changedIn(range, base) a row, a horizon or a queued per-key drop of the range above the
 *                          base; a queued range drop overlapping it committed above the base
 * ```
 *
 * A range drop counts as a write of every key of its range: while queued,
 * by its row (at its commit version, for every key of its bounds, stored or
 * not); once applied, by the horizons it left on the keys it erased (a
 * deletion's horizon reaches its commit version), as any erasure does.
 *
 * @module
 */

import { binaryStringToBytes } from '../common/bytes.js';
import { TransactionConflictError } from '../common/errors.js';
import { type ConflictSubject, checkHistory, type StoredHistory } from '../store/conflict-check.js';
import type { Bound } from '../tier/tier.js';
import {
  ALL_KEYS,
  firstKeyOf,
  inRange,
  type KeyBound,
  type KeyId,
  type KeyRange,
  keyIdOf,
  overlap,
} from '../transaction/index.js';
import type { CommitContext } from './commit.js';
import type { Sql } from './database.js';
import { type QueuedRange, queuedRangesAbove } from './range-drops.js';
import { asBuffer, int } from './rows.js';

/**
 * First committer wins, judged on stored history under the oracle lock: every
 * commit of every process up to the latest version is visible now. What the
 * shared rule (`checkHistory`) asks is fetched first, then judged in memory.
 */
export async function checkConflictsIn(
  sql: Sql,
  context: CommitContext,
  subject: ConflictSubject,
): Promise<void> {
  const keys = new Set<KeyId>(subject.writes);
  for (const key of subject.reads?.keys ?? []) keys.add(key);
  const queued = await queuedRangesAbove(sql, context.names, subject.base);
  const last = new Map<KeyId, number | undefined>();
  for (const key of keys) {
    last.set(key, latest(await lastChange(sql, context, key), lastRangeDrop(queued, key)));
  }
  const ranges: KeyRange[] = subject.reads === undefined ? [] : [...subject.reads.ranges];
  if (subject.reads?.everything === true) ranges.push(ALL_KEYS);
  const changed = new Map<string, { key: KeyId; version: number } | undefined>();
  for (const range of ranges) {
    const found = await changedIn(sql, context, range, subject.base);
    changed.set(rangeId(range), found ?? firstRangeDropIn(queued, range));
  }
  const history: StoredHistory = {
    lastChange: (key) => last.get(key),
    changedIn: (range) => changed.get(rangeId(range)),
  };
  const found = checkHistory(subject, history, subject.base);
  if (found !== undefined) {
    throw new TransactionConflictError(found.reason, found.version, binaryStringToBytes(found.key));
  }
}

/**
 * A range as a map key, by its bounds: `checkHistory` asks with range objects
 * of its own (every key, for a transaction that read everything).
 */
function rangeId(range: KeyRange): string {
  const { start, end } = range;
  const keyOf = (bound: KeyBound) => (bound.kind === 'unbounded' ? '' : bound.key);
  return JSON.stringify([start.kind, keyOf(start), end.kind, keyOf(end)]);
}

/** The last version a key changed at: its newest row, its horizon, a queued per-key drop of it. */
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

/** A key of `range` changed above `version` (a row, a horizon, a queued per-key drop), if any. */
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

function latest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

/** The newest commit version of a queued range drop (of `queued`) whose range holds `key`. */
function lastRangeDrop(queued: readonly QueuedRange[], key: KeyId): number | undefined {
  let last: number | undefined;
  for (const { range, commitVersion } of queued) {
    if (inRange(key, range)) last = latest(last, commitVersion);
  }
  return last;
}

/**
 * A queued range drop (of `queued`, all committed above the base) that
 * overlaps `range`: the first key both hold, at the drop's commit version.
 */
function firstRangeDropIn(
  queued: readonly QueuedRange[],
  range: KeyRange,
): { key: KeyId; version: number } | undefined {
  for (const { range: dropped, commitVersion } of queued) {
    const shared = overlap(range, dropped);
    if (shared !== undefined) return { key: firstKeyOf(shared), version: commitVersion };
  }
  return undefined;
}
