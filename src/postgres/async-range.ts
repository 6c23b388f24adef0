/**
 * Ranges of the PostgreSQL store: pages of each table merged in key order.
 *
 * Tables partition the key space, so a range is a merge of one sorted stream
 * per table that may hold its keys (the embedded store's rule, `tablesMeeting`).
 * Each stream reads a page at a time (`Rows.page`: one row per key, newest at
 * or below the read version) and places, where its key falls, the first key
 * whose horizon refuses the read: reaching it fails the range with
 * `VERSION_TOO_OLD`, as in the embedded store.
 *
 * ```
 *   multi:    a ─ c ─────── x         (page by page)
 *   sessions:     s:1 ─ s:2           (page by page)
 *   merged:   a ─ c ─ s:1 ─ s:2 ─ x   live keys only
 * ```
 *
 * @module
 */

import { compareBytes } from '../common/bytes.js';
import { VersionTooOldError } from '../common/errors.js';
import {
  boundKey,
  type Item,
  type Refused,
  type ResolvedRange,
  type StoreEntry,
} from '../store/range.js';
import type { TableRouter } from '../store/routing.js';
import type { TierEntry } from '../tier/tier.js';
import type { BufferedWrite, LiveEntry } from '../transaction/index.js';
import type { Sql } from './database.js';
import type { Rows } from './rows.js';

/** One range read. */
export interface AsyncRangeRead {
  readonly sql: Sql;
  readonly rows: Rows;
  readonly router: TableRouter;
  readonly range: ResolvedRange;
  readonly version: number;
  readonly reverse: boolean;
  readonly pageSize: number;
}

/** The live entries of a range at a version, merged over the tables it meets. */
export async function* readRangeAsync(read: AsyncRangeRead): AsyncGenerator<StoreEntry, void> {
  const tables = read.router.tablesMeeting(boundKey(read.range.start), boundKey(read.range.end));
  const streams = tables.map((table) => tableItems(read, table.name));
  const heads = await Promise.all(streams.map((stream) => stream.next()));
  const direction = read.reverse ? -1 : 1;
  try {
    for (;;) {
      let best = -1;
      for (let index = 0; index < heads.length; index++) {
        const head = heads[index] as IteratorResult<Item>;
        if (head.done === true) continue;
        const bestHead = heads[best] as IteratorResult<Item> | undefined;
        if (bestHead === undefined || bestHead.done === true) best = index;
        else if (direction * compareBytes(head.value.key, bestHead.value.key) < 0) best = index;
      }
      if (best < 0) return;
      const item = (heads[best] as IteratorYieldResult<Item>).value;
      if ('refused' in item)
        throw new VersionTooOldError(read.version, item.readableFrom, item.key);
      heads[best] = await (streams[best] as AsyncGenerator<Item>).next();
      if (item.value !== undefined)
        yield { key: item.key, value: item.value, version: item.version };
    }
  } finally {
    await Promise.all(streams.map((stream) => stream.return(undefined)));
  }
}

async function* tableItems(read: AsyncRangeRead, table: string): AsyncGenerator<Item, void> {
  const { sql, rows, range, version, reverse, pageSize } = read;
  const query = { start: range.start, end: range.end, version, reverse };
  const refused = await rows.firstRefused(sql, table, query);
  let pending: Refused | undefined =
    refused === undefined ? undefined : { ...refused, refused: true };
  const direction = reverse ? -1 : 1;
  let after: Uint8Array | undefined;
  for (;;) {
    const page = await rows.page(sql, table, { ...query, after, limit: pageSize });
    for (const entry of page) {
      if (pending !== undefined && direction * compareBytes(pending.key, entry.key) <= 0) {
        yield pending;
        pending = undefined;
      }
      yield entry;
    }
    if (page.length < pageSize) break;
    after = (page.at(-1) as TierEntry).key;
  }
  if (pending !== undefined) yield pending;
}

/**
 * The asynchronous form of the transaction core's `overlay`: a snapshot's
 * live entries with a transaction's own writes (same range and order) laid
 * over them, its sets shown and its deletions hiding the snapshot's entry.
 */
export async function* overlayAsync<E extends LiveEntry>(
  snapshot: AsyncIterable<E>,
  own: readonly BufferedWrite[],
  reverse: boolean,
  ownEntry: (write: Extract<BufferedWrite, { type: 'set' }>) => E,
): AsyncGenerator<E, void> {
  const direction = reverse ? -1 : 1;
  let next = 0;
  for await (const entry of snapshot) {
    let replaced = false;
    for (; next < own.length && !replaced; next++) {
      const write = own[next] as BufferedWrite;
      const order = direction * compareBytes(write.key, entry.key);
      if (order > 0) break;
      if (write.type === 'set') yield ownEntry(write);
      replaced = order === 0;
    }
    if (!replaced) yield entry;
  }
  for (; next < own.length; next++) {
    const write = own[next] as BufferedWrite;
    if (write.type === 'set') yield ownEntry(write);
  }
}
