/**
 * The change feed and diffs of the PostgreSQL store: the embedded store's
 * rules (store/changes.ts) with every read a statement.
 *
 * ```
 *   changes(from, to)   per table, pages of  WHERE from < version <= to AND (version, key) > cursor
 *                       ORDER BY version, key LIMIT n   (the index "v:<table>" on (version, key)),
 *                       merged across tables in (version, key) order, grouped by version
 *   history check       one statement on the horizons: per table, the first key of the range
 *                       with readable_from > from and erased_from <= to ─► VERSION_TOO_OLD
 *   diff(a, b)          the keys written in (min, max] plus the keys with such a horizon,
 *                       each read at a and at b through the reads of `get` (they refuse alike)
 * ```
 *
 * So a feed costs O(writes returned) plus one horizon statement per page,
 * and a diff O(keys written between the versions).
 *
 * ## Erased history, with other processes
 *
 * The feed is refused as a whole, before anything is handed out, when erased
 * history reaches into it (the embedded store's decision, same key and same
 * resume version). The snapshots it holds keep this process's drops away,
 * but another process may apply a drop while it runs. So the horizons are
 * checked again after every page is fetched, before any of its versions is
 * handed out: a drop committed before the fetch is seen by the check, one
 * committed after it did not change the rows fetched. An erasure while the
 * feed runs fails it rather than shortens it.
 *
 * @module
 */

import { bytesToBinaryString, compareBytes, equalBytes } from '../common/bytes.js';
import { VersionTooOldError } from '../common/errors.js';
import type { Change, ChangeWrite, DiffEntry } from '../store/changes.js';
import { boundKey, type ResolvedRange } from '../store/range.js';
import type { TableRouter } from '../store/routing.js';
import { compareChanges } from '../tier/changes.js';
import type { TierEntry } from '../tier/tier.js';
import type { Sql } from './database.js';
import type { Rows } from './rows.js';

/** One history read of the interval `(from, to]` of a range. */
export interface AsyncHistoryRead {
  readonly sql: Sql;
  readonly rows: Rows;
  readonly router: TableRouter;
  readonly range: ResolvedRange;
  /** -1: from the very first write (version 0 included). */
  readonly from: number;
  readonly to: number;
  readonly pageSize: number;
}

/** A stored write and its table. */
interface TableWrite extends TierEntry {
  readonly table: string;
}

function tablesOf(read: AsyncHistoryRead): string[] {
  const { start, end } = read.range;
  return read.router.tablesMeeting(boundKey(start), boundKey(end)).map((t) => t.name);
}

/**
 * Throw `VERSION_TOO_OLD` when erased history of the range reaches into
 * `(from, to]` or erased the state at `from`: the first refusing key of the
 * first table (in routing order), and the highest floor of the refusing tables.
 */
export async function checkHistoryAsync(read: AsyncHistoryRead): Promise<void> {
  if (read.from >= read.to) return;
  const tables = tablesOf(read);
  const { start, end } = read.range;
  const query = { start, end, from: read.from, to: read.to };
  const refusing = await read.rows.refusingHorizons(read.sql, tables, query);
  if (refusing.size === 0) return;
  let refused: Uint8Array | undefined;
  let resume = 0;
  for (const table of tables) {
    const found = refusing.get(table);
    if (found === undefined) continue;
    refused ??= found.key;
    resume = Math.max(resume, found.floor);
  }
  if (refused !== undefined) throw new VersionTooOldError(Math.max(0, read.from), resume, refused);
}

/** One table's writes in the interval, page by page; the history is checked after every page. */
async function* tableChanges(
  read: AsyncHistoryRead,
  table: string,
  checked: boolean,
): AsyncGenerator<TableWrite, void> {
  const { sql, rows, range, from, to, pageSize } = read;
  let after: { version: number; key: Uint8Array } | undefined;
  for (;;) {
    const query = { start: range.start, end: range.end, from, to, after, limit: pageSize };
    const page = await rows.changes(sql, table, query);
    if (checked) await checkHistoryAsync(read);
    for (const entry of page) yield { ...entry, table };
    if (page.length < pageSize) return;
    const last = page.at(-1) as TierEntry;
    after = { version: last.version, key: last.key };
  }
}

/** Every write of the interval, merged across tables in (version, key) order. */
async function* mergedChanges(read: AsyncHistoryRead): AsyncGenerator<TableWrite, void> {
  const streams = tablesOf(read).map((table) => tableChanges(read, table, true));
  try {
    const heads: (TableWrite | undefined)[] = [];
    for (const stream of streams) heads.push(await pull(stream));
    for (;;) {
      let best = -1;
      for (let index = 0; index < heads.length; index++) {
        const head = heads[index];
        if (head === undefined) continue;
        const current = heads[best];
        if (current === undefined || compareChanges(head, current) < 0) best = index;
      }
      if (best < 0) return;
      const item = heads[best] as TableWrite;
      heads[best] = await pull(streams[best] as AsyncGenerator<TableWrite, void>);
      yield item;
    }
  } finally {
    await Promise.all(streams.map((stream) => stream.return(undefined)));
  }
}

async function pull(stream: AsyncGenerator<TableWrite, void>): Promise<TableWrite | undefined> {
  const next = await stream.next();
  return next.done === true ? undefined : next.value;
}

/**
 * The change feed of the interval: one {@link Change} per version, its
 * writes in key order; refused before anything is handed out when erased
 * history reaches into it, and failed if an erasure reaches into it later.
 */
export async function* readChangesAsync(read: AsyncHistoryRead): AsyncGenerator<Change, void> {
  await checkHistoryAsync(read);
  let current: { version: number; writes: ChangeWrite[] } | undefined;
  for await (const { key, version, value, table } of mergedChanges(read)) {
    if (current !== undefined && current.version !== version) {
      yield current;
      current = undefined;
    }
    current ??= { version, writes: [] };
    current.writes.push({ key, value, table });
  }
  if (current !== undefined) yield current;
}

/** Reads a key at a version as `get` does (refusing erased history); a tombstone is `value` undefined. */
export type CheckedRead = (key: Uint8Array, version: number) => Promise<TierEntry | undefined>;

/**
 * The keys of the range whose visible value differs between `before` and
 * `after` (either order), in key order (or reverse); `read.from`/`read.to`
 * are the lower and upper of the two (capped at the latest version).
 */
export async function* readDiffAsync(
  read: AsyncHistoryRead,
  readAt: CheckedRead,
  before: number,
  after: number,
  reverse: boolean,
): AsyncGenerator<DiffEntry, void> {
  const keys = await candidateKeys(read);
  keys.sort(compareBytes);
  if (reverse) keys.reverse();
  for (const key of keys) {
    const old = (await readAt(key, before))?.value;
    const now = (await readAt(key, after))?.value;
    if (old === now) continue;
    if (old !== undefined && now !== undefined && equalBytes(old, now)) continue;
    yield { key, before: old, after: now };
  }
}

/** Every key that may differ over the interval: written in it, or with a horizon reaching into it. */
async function candidateKeys(read: AsyncHistoryRead): Promise<Uint8Array[]> {
  if (read.from >= read.to) return []; // a version does not differ from itself
  const seen = new Map<string, Uint8Array>();
  const add = (key: Uint8Array) => {
    const id = bytesToBinaryString(key);
    if (!seen.has(id)) seen.set(id, key);
  };
  const tables = tablesOf(read);
  for (const table of tables) {
    // The reads of each key refuse erased history; no check of the whole interval.
    for await (const { key } of tableChanges(read, table, false)) add(key);
  }
  const { start, end } = read.range;
  const query = { start, end, from: read.from, to: read.to };
  for (const { key } of await read.rows.horizonKeys(read.sql, tables, query)) add(key);
  return [...seen.values()];
}
