/**
 * The horizons of one memory table: which versions of which keys an erasure
 * made unreadable (see "Horizons" in abstract-tier.ts).
 *
 * ```
 *   byKey  Map<string, row>       point lookups, O(1): every drop of a key reads and widens its horizon
 *   rows   BTree<string, row>     key order, O(log n): horizon pages
 *            "a" ──> { erasedFrom 1, readableFrom 9 }
 *   floor  the highest readableFrom: reads at or above it never look here
 * ```
 *
 * Both indexes hold the same rows, and a row is never removed (a key keeps
 * its horizon for good), so they cannot disagree. A retention table gives
 * every key it trims a horizon, and each flush looks it up and widens it:
 * through the B+ tree alone its lookups were 4.5 % of a retention workload
 * (W7, memory tier, deep shape; BNodeInternal.get self time).
 *
 * A table that never erased anything has no `MemoryHorizons` at all (its
 * table creates one on the first horizon), so its reads pay nothing.
 *
 * @module
 */

import BTreeModule from 'sorted-btree';
import { binaryStringToBytes } from '../../common/bytes.js';
import { type KeyIndex, walkPage } from '../range-walk.js';
import type { Horizon, HorizonEntry, HorizonPage, PageQuery } from '../tier.js';
import { compareKeyStrings, keyString } from './key-string.js';
import { seekPair } from './memory-table.js';

const BTree = BTreeModule.default;
type BTree<K, V> = InstanceType<typeof BTreeModule.default<K, V>>;

/**
 * One key's horizon, with the key's index string. Widened in place (readers
 * get copies): a retention table widens a key's horizon at every trim, and a
 * new horizon object each time was a good part of that trim's garbage.
 */
interface HorizonRow {
  readonly id: string;
  erasedFrom: number;
  readableFrom: number;
}

/** The horizons of one table. */
export class MemoryHorizons implements KeyIndex<string, HorizonRow> {
  readonly #byKey = new Map<string, HorizonRow>();
  readonly #rows: BTree<string, HorizonRow> = new BTree(undefined, compareKeyStrings);
  readonly #pair = [] as unknown as [string, HorizonRow];
  #floor = 0;

  /** The highest readableFrom of the table. */
  get floor(): number {
    return this.#floor;
  }

  /** The horizon of `key`, if any (a copy). */
  get(key: Uint8Array): Horizon | undefined {
    const row = this.#byKey.get(keyString(key));
    return row === undefined ? undefined : horizonOf(row);
  }

  /** Widen the horizon of `key` (index string `id`, when the caller has it) to cover `horizon` too. */
  widen(key: Uint8Array, horizon: Horizon, id = keyString(key)): void {
    const row = this.#byKey.get(id);
    if (row === undefined) {
      const added = { id, erasedFrom: horizon.erasedFrom, readableFrom: horizon.readableFrom };
      this.#byKey.set(id, added);
      this.#rows.set(id, added);
    } else {
      // A horizon only widens (tier/horizons.ts, `widen`).
      if (horizon.erasedFrom < row.erasedFrom) row.erasedFrom = horizon.erasedFrom;
      if (horizon.readableFrom > row.readableFrom) row.readableFrom = horizon.readableFrom;
    }
    if (horizon.readableFrom > this.#floor) this.#floor = horizon.readableFrom;
  }

  /** The keys of a range whose horizon reaches above `query.version`. */
  page(query: PageQuery): HorizonPage {
    return walkPage(this, query, (row): HorizonEntry | undefined =>
      row.readableFrom > query.version
        ? { key: binaryStringToBytes(row.id), horizon: horizonOf(row) }
        : undefined,
    );
  }

  encode(bytes: Uint8Array): string {
    return keyString(bytes);
  }

  compare(a: string, b: string): number {
    return compareKeyStrings(a, b);
  }

  seek(from: string | undefined, inclusive: boolean, reverse: boolean): HorizonRow | undefined {
    return seekPair(this.#rows, this.#pair, from, inclusive, reverse)?.[1];
  }

  keyOf(row: HorizonRow): string {
    return row.id;
  }
}

/** A copy of a row's horizon, for a reader to own. */
function horizonOf(row: HorizonRow): Horizon {
  return { erasedFrom: row.erasedFrom, readableFrom: row.readableFrom };
}
