/**
 * Helpers for tiers that keep horizons (see "Horizons" in abstract-tier.ts).
 *
 * ```
 *   refuses(h, v)          v in [h.erasedFrom, h.readableFrom)
 *   widen(old, new)        [min of erasedFrom, max of readableFrom): a horizon only widens
 *   horizonPageOf(all, q)  a horizonPage answer from a table's horizons in any order
 * ```
 *
 * @module
 */

import { compareBytes } from '../common/bytes.js';
import type { Bound, Horizon, HorizonEntry, HorizonPage, PageQuery } from './tier.js';

/** True when `horizon` refuses a read at `version`. */
export function refuses(horizon: Horizon | undefined, version: number): boolean {
  return horizon !== undefined && version >= horizon.erasedFrom && version < horizon.readableFrom;
}

/** The horizon covering both `old` and `added` (a horizon only ever widens). */
export function widen(old: Horizon | undefined, added: Horizon): Horizon {
  if (old === undefined) return { erasedFrom: added.erasedFrom, readableFrom: added.readableFrom };
  return {
    erasedFrom: Math.min(old.erasedFrom, added.erasedFrom),
    readableFrom: Math.max(old.readableFrom, added.readableFrom),
  };
}

/**
 * The `horizonPage` answer for `query` from every horizon of a table, in any
 * order: filtered by bounds, cursor and `readableFrom > version`, sorted, cut
 * to the limit.
 * O(n log n) per page: for small tiers and tests (the built-in tiers walk an
 * ordered index instead).
 */
export function horizonPageOf(horizons: Iterable<HorizonEntry>, query: PageQuery): HorizonPage {
  const { start, end, cursor, version, limit, reverse } = query;
  const direction = reverse ? -1 : 1;
  const refused = [...horizons]
    .filter((h) => within(h.key, start, 1) && within(h.key, end, -1))
    .filter((h) => cursor === undefined || compareBytes(h.key, cursor.lastKey) * direction > 0)
    .filter((h) => h.horizon.readableFrom > version)
    .sort((a, b) => compareBytes(a.key, b.key) * direction);
  const entries = refused
    .slice(0, limit)
    .map((h) => ({ key: new Uint8Array(h.key), horizon: { ...h.horizon } }));
  const last = entries[entries.length - 1];
  const full = entries.length === limit && last !== undefined;
  return { entries, cursor: full ? { lastKey: new Uint8Array(last.key) } : undefined };
}

/** True when `key` is on the inner side of `bound` (`side` 1: a start bound, -1: an end bound). */
export function within(key: Uint8Array, bound: Bound, side: 1 | -1): boolean {
  if (bound.kind === 'unbounded') return true;
  const order = compareBytes(key, bound.key) * side;
  return order > 0 || (order === 0 && bound.kind === 'included');
}
