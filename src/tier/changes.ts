/**
 * Helpers for the change index of a tier (see "Changes" in abstract-tier.ts).
 *
 * A change read lists stored writes in (version, key) order, the order a
 * replica must apply them in; a tier answers it from an index by version, so
 * that a page costs O(limit) plus the writes of the table it steps over,
 * never a walk of every key:
 *
 * ```
 *   by version:  v3 [a, c]   v5 [b]   v9 [a, d, x]
 *   changePage(from 3, to 9, limit 2)           -> b@5, a@9     cursor (9, a)
 *   changePage(from 3, to 9, cursor (9, a))     -> d@9, x@9     cursor (9, x)
 * ```
 *
 * ```
 *   compareChanges(a, b)   (version, key) order
 *   changeAfter(e, q)      e is inside q's version interval and key range, past its cursor
 *   changePageOf(all, q)   a changePage answer from a table's stored versions in any order
 * ```
 *
 * @module
 */

import { compareBytes } from '../common/bytes.js';
import { within } from './horizons.js';
import type { ChangeCursor, ChangePage, ChangeQuery, TierEntry } from './tier.js';

/** (version, key) order of two writes. */
export function compareChanges(
  a: { readonly version: number; readonly key: Uint8Array },
  b: { readonly version: number; readonly key: Uint8Array },
): number {
  return a.version - b.version || compareBytes(a.key, b.key);
}

/** True when the write of `key` at `version` belongs in a page of `query`. */
export function changeAfter(key: Uint8Array, version: number, query: ChangeQuery): boolean {
  if (version <= query.from || version > query.to) return false;
  if (!within(key, query.start, 1) || !within(key, query.end, -1)) return false;
  const { cursor } = query;
  if (cursor === undefined) return true;
  return compareChanges({ version, key }, { version: cursor.lastVersion, key: cursor.lastKey }) > 0;
}

/** The cursor of a page holding `entries` for `limit`: set exactly when the page is full. */
export function changeCursorOf(
  entries: readonly TierEntry[],
  limit: number,
): ChangeCursor | undefined {
  const last = entries[entries.length - 1];
  if (entries.length < limit || last === undefined) return undefined;
  return { lastVersion: last.version, lastKey: new Uint8Array(last.key) };
}

/**
 * The `changePage` answer for `query` from every stored version of a table,
 * in any order: filtered, sorted, cut to the limit. O(n log n) per page: for
 * small tiers and tests (the built-in tiers keep an index by version).
 */
export function changePageOf(stored: Iterable<TierEntry>, query: ChangeQuery): ChangePage {
  const entries = [...stored]
    .filter((entry) => changeAfter(entry.key, entry.version, query))
    .sort(compareChanges)
    .slice(0, query.limit)
    .map((entry) => ({
      key: new Uint8Array(entry.key),
      version: entry.version,
      value: entry.value && new Uint8Array(entry.value),
    }));
  return { entries, cursor: changeCursorOf(entries, query.limit) };
}
