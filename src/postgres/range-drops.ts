/**
 * Range drops as rows: one `range_drops` row per range (or prefix) drop, paged
 * by the drop applier (drops.ts) as the embedded drop worker pages its
 * `RangeDrop` (store/range-drops.ts, whose paging and per-key requests this
 * module reuses; only the reads are SQL here).
 *
 * ```
 *   commit:  INSERT range_drops (id = nextval of drop_requests' sequence, bounds,
 *            constraints, ceiling, commit_version, written keys, cursor = first table)
 *   batch:   row ─► RangeDrop at its cursor ─► keysPage(table, after cursor, at the ceiling)
 *              ─► take(keys): per-key requests ─► planned and erased with the batch
 *            UPDATE cursor (next key or table) and held keys, or DELETE once done
 * ```
 *
 * The row's id comes from the sequence of `drop_requests`, so one order (the
 * commit order) runs through both tables: requests committed after the range
 * wait behind it. A NULL cursor table means every key has been listed. Keys
 * of the range that an open snapshot of the applying process holds back stay
 * on the row (`held_tables`, `held_keys`), at the range's place in the order,
 * until a later flush applies them; the row goes once nothing is left.
 *
 * Conflict checks (conflicts.ts) read the queued rows too: a queued range
 * drop is a write of every key of its range at its commit version.
 *
 * @module
 */

import { binaryStringToBytes, bytesToBinaryString } from '../common/bytes.js';
import type { DropRequest } from '../store/drop-batch.js';
import { RangeDrop, type RangeDropCursor } from '../store/range-drops.js';
import type { TableRouter } from '../store/routing.js';
import type { Bound } from '../tier/tier.js';
import { type KeyRange, keyRangeOf } from '../transaction/index.js';
import type { Sql } from './database.js';
import { asBuffer, int, ownBytes, type Rows } from './rows.js';
import type { SqlNames } from './schema.js';

/** A stored range drop as the applier works on it. */
export interface StoredRange {
  /** Its id: its place in the order of every drop request. */
  readonly id: string;
  /** The range at its cursor. */
  readonly range: RangeDrop;
  /** Keys of the range held back earlier: per-key requests at the range's place. */
  readonly held: readonly DropRequest[];
}

/** A queued range drop as the conflict checks see it. */
export interface QueuedRange {
  readonly range: KeyRange;
  readonly commitVersion: number;
}

/** Store `range` (a commit's range drop, not paged yet) as one row, next in the order. */
export async function insertRangeDrop(sql: Sql, names: SqlNames, range: RangeDrop): Promise<void> {
  const { spec } = range;
  await sql.query(
    `INSERT INTO ${names.rangeDrops} (id, start_kind, start_key, end_kind, end_key, up_to_version,
       keep_last_versions, ceiling, commit_version, written, cursor_table)
     VALUES (nextval(pg_get_serial_sequence($1, 'id')), $2, $3, $4, $5, $6, $7, $8, $9,
       $10::bytea[], $11)`,
    [
      names.dropRequests,
      spec.start.kind,
      boundKey(spec.start),
      spec.end.kind,
      boundKey(spec.end),
      spec.upToVersion ?? null,
      spec.keepLastVersions ?? null,
      spec.ceiling,
      spec.commitVersion,
      [...spec.written].map((id) => asBuffer(binaryStringToBytes(id))),
      range.cursor?.table ?? null,
    ],
  );
}

/** The first range drop after `after` in the order, at its cursor, if any. */
export async function nextRangeDrop(
  sql: Sql,
  names: SqlNames,
  router: TableRouter,
  after: string,
): Promise<StoredRange | undefined> {
  const { rows } = await sql.query(
    `SELECT * FROM ${names.rangeDrops} WHERE id > $1 ORDER BY id LIMIT 1`,
    [after],
  );
  const row = rows[0] as RangeRow | undefined;
  return row === undefined ? undefined : storedRangeOf(row, router);
}

function storedRangeOf(row: RangeRow, router: TableRouter): StoredRange {
  const commitVersion = int(row.commit_version);
  const spec = {
    start: boundOf(row.start_kind, row.start_key),
    end: boundOf(row.end_kind, row.end_key),
    upToVersion: optional(row.up_to_version),
    keepLastVersions: optional(row.keep_last_versions),
    ceiling: int(row.ceiling),
    commitVersion,
    written: new Set(row.written.map((key) => bytesToBinaryString(key))),
  };
  // Requests of a stored range carry its commit version as `seq`, as per-key rows do.
  const range =
    row.cursor_table === null
      ? new RangeDrop(spec, [], commitVersion)
      : RangeDrop.of(spec, router, commitVersion, cursorOf(row.cursor_table, row.cursor_key));
  const held = row.held_keys.map((key, at) =>
    range.requestOf(row.held_tables[at] as string, ownBytes(key)),
  );
  return { id: String(row.id), range, held };
}

/**
 * The per-key requests of the next page of `range` (at most `limit` keys of
 * one table), its cursor moved past them; none once every key is listed.
 */
export async function nextPageOf(
  sql: Sql,
  rows: Rows,
  range: RangeDrop,
  limit: number,
): Promise<DropRequest[]> {
  const read = range.nextRead(limit);
  if (read === undefined) return [];
  const { start, end, version, cursor } = read.request;
  const keys = await rows.keysPage(sql, read.table, {
    start: start ?? { kind: 'unbounded' },
    end: end ?? { kind: 'unbounded' },
    after: cursor?.lastKey,
    version,
    limit,
  });
  // A full page: the table may hold more after its last key.
  return range.take(read.table, keys, keys.length === limit ? keys.at(-1) : undefined);
}

/**
 * Record how far `stored` got: its range's cursor and the keys held back
 * now (`held`); the row goes once every key is listed and none is held.
 * Returns whether it went.
 */
export async function saveRangeDrop(
  sql: Sql,
  names: SqlNames,
  stored: StoredRange,
  held: readonly DropRequest[],
): Promise<boolean> {
  const cursor = stored.range.cursor;
  if (cursor === undefined && held.length === 0) {
    await sql.query(`DELETE FROM ${names.rangeDrops} WHERE id = $1`, [stored.id]);
    return true;
  }
  await sql.query(
    `UPDATE ${names.rangeDrops}
        SET cursor_table = $2, cursor_key = $3, held_tables = $4::text[], held_keys = $5::bytea[]
      WHERE id = $1`,
    [
      stored.id,
      cursor?.table ?? null,
      cursor?.lastKey === undefined ? null : asBuffer(cursor.lastKey),
      held.map((request) => request.table),
      held.map((request) => asBuffer(request.key)),
    ],
  );
  return false;
}

/** The queued range drops committed above `version`, in commit order. */
export async function queuedRangesAbove(
  sql: Sql,
  names: SqlNames,
  version: number,
): Promise<QueuedRange[]> {
  const { rows } = await sql.query(
    `SELECT start_kind, start_key, end_kind, end_key, commit_version FROM ${names.rangeDrops}
      WHERE commit_version > $1 ORDER BY id`,
    [version],
  );
  return (rows as RangeRow[]).map((row) => ({
    range: keyRangeOf(boundOf(row.start_kind, row.start_key), boundOf(row.end_kind, row.end_key)),
    commitVersion: int(row.commit_version),
  }));
}

interface RangeRow {
  readonly id: unknown;
  readonly start_kind: Bound['kind'];
  readonly start_key: Buffer | null;
  readonly end_kind: Bound['kind'];
  readonly end_key: Buffer | null;
  readonly up_to_version: unknown;
  readonly keep_last_versions: unknown;
  readonly ceiling: unknown;
  readonly commit_version: unknown;
  readonly written: Buffer[];
  readonly cursor_table: string | null;
  readonly cursor_key: Buffer | null;
  readonly held_tables: string[];
  readonly held_keys: Buffer[];
}

function boundKey(bound: Bound): Buffer | null {
  return bound.kind === 'unbounded' ? null : asBuffer(bound.key);
}

function boundOf(kind: Bound['kind'], key: Buffer | null): Bound {
  return kind === 'unbounded' || key === null
    ? { kind: 'unbounded' }
    : { kind, key: ownBytes(key) };
}

function cursorOf(table: string, lastKey: Buffer | null): RangeDropCursor {
  return { table, lastKey: lastKey === null ? undefined : ownBytes(lastKey) };
}

function optional(value: unknown): number | undefined {
  return value === null ? undefined : int(value);
}
