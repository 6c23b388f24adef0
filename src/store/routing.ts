/**
 * Routing keys to tables by their longest declared prefix.
 *
 * Every key lives in exactly one table: the one whose declared prefix is the
 * longest prefix of the key, or `multi` when none matches. Tables therefore
 * partition the key space, and a range read over several tables is a merge of
 * disjoint, individually sorted streams.
 *
 * ```
 *   tables: sessions "s:"   hot-sessions "s:hot:"
 *   "s:hot:42" -> hot-sessions     "s:7" -> sessions     "user:1" -> multi
 * ```
 *
 * With no declared table (the common case) routing is a constant.
 *
 * @module
 */

import { compareBytes, hasPrefix, prefixEnd } from '../common/bytes.js';
import type { TableConfig } from './options.js';

/** Maps a key to its table. */
export class TableRouter {
  /** Declared tables, longest prefix first; `multi` is the fallback. */
  readonly #byPrefixLength: readonly TableConfig[];
  readonly #fallback: TableConfig;
  readonly #tables: readonly TableConfig[];

  /** `tables[0]` must be the fallback table (`multi`). */
  constructor(tables: readonly TableConfig[]) {
    const [fallback, ...declared] = tables;
    if (fallback === undefined) throw new TypeError('TableRouter needs the fallback table');
    this.#fallback = fallback;
    this.#tables = tables;
    this.#byPrefixLength = [...declared].sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** Every table, the fallback first. */
  get tables(): readonly TableConfig[] {
    return this.#tables;
  }

  /** The table `key` belongs to. */
  route(key: Uint8Array): TableConfig {
    for (const table of this.#byPrefixLength) {
      if (hasPrefix(key, table.prefix)) return table;
    }
    return this.#fallback;
  }

  /**
   * The tables that may hold keys in `[start, end)` (bounds as raw keys,
   * `undefined` = unbounded; the end may be inclusive): the fallback always, a declared table when its
   * prefix range `[prefix, prefixEnd(prefix))` meets the range.
   */
  tablesMeeting(start: Uint8Array | undefined, end: Uint8Array | undefined): TableConfig[] {
    const meeting = [this.#fallback];
    for (const table of this.#tables) {
      if (table === this.#fallback) continue;
      const tableEnd = prefixEnd(table.prefix);
      const startsBeforeEnd = end === undefined || compareBytes(table.prefix, end) <= 0;
      const endsAfterStart =
        start === undefined || tableEnd === undefined || compareBytes(tableEnd, start) > 0;
      if (startsBeforeEnd && endsAfterStart) meeting.push(table);
    }
    return meeting;
  }
}
