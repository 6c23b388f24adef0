/**
 * Reads that refuse erased history: the store's point reads and ranges, and
 * the check of explicit writes, against the horizons the drop worker records.
 *
 * ```
 *   read(key, V)        V >= floor (every read at the latest version)  ─► tier.get
 *                       else V >= the table's floor                    ─► tier.get
 *                       else horizon(key) refuses V ? VERSION_TOO_OLD  : tier.get
 *   range(..., V)       store/range.ts: a table whose floor is above V pages its horizons too
 *   checkWrites(ws, V)  an explicit write below a horizon's readableFrom   ─► VERSION_TOO_OLD
 * ```
 *
 * Writes are refused below `readableFrom`, not only inside the horizon: a
 * write at V shows from V up to the key's next stored version. Below a
 * deletion nothing is stored above V, so the write would bring the key back
 * where the drop left it absent:
 *
 * ```
 *   k:  v2 "a"   drop @3 (deletes k)     horizon [2, 3), nothing stored
 *   write k @1 "new"  ─► k reads "new" at 1, refused at 2, "new" again from 3 on
 * ```
 *
 * Below what `keepLastVersions` or `upToVersion` kept, the oldest survivor
 * would mask such a write, but one rule for every horizon keeps a key's
 * history below `readableFrom` closed: it can no longer be written.
 *
 * `floor` is the highest readable floor of every table, kept here so that a
 * read at or above it costs one comparison; the drop worker raises it as it
 * records horizons (a horizon's `readableFrom` is never above the latest
 * version, so reads at the latest version never look further). A
 * read-only tier's horizons are written by another process: there every
 * read below the latest asks the tier for the table's floor.
 *
 * @module
 */

import { VersionTooOldError } from '../common/errors.js';
import type { TierEntry, TierReader } from '../tier/tier.js';
import type { PlannedWrite } from './deltas.js';
import { type ResolvedRange, readRange, type StoreEntry } from './range.js';
import type { TableRouter } from './routing.js';

/** The store's history-checked reads. */
export class HistoryReads {
  readonly #tier: TierReader;
  readonly #router: TableRouter;
  #floor: number;
  #erasures = 0;

  /**
   * Reads through `tier` (a tier, or a snapshot of one); `readOnly` when
   * another process writes it, so that no floor can be kept here.
   */
  constructor(tier: TierReader, router: TableRouter, readOnly: boolean) {
    this.#tier = tier;
    this.#router = router;
    const floors = router.tables.map((table) => tier.readableFloor(table.name));
    this.#floor = readOnly ? Number.POSITIVE_INFINITY : Math.max(0, ...floors);
  }

  /** Horizons reaching up to `readableFrom` were recorded. */
  raiseFloor(readableFrom: number): void {
    this.#erasures++;
    if (readableFrom > this.#floor) this.#floor = readableFrom;
  }

  /**
   * How many erasures recorded horizons so far: a reader of history between
   * two versions (changes.ts) checks its horizons again when it moved.
   */
  get erasures(): number {
    return this.#erasures;
  }

  /** The tier and router, for the history reads of changes.ts. */
  get tier(): TierReader {
    return this.#tier;
  }

  get router(): TableRouter {
    return this.#router;
  }

  /**
   * The entry of `key` at `version` (a tombstone too: `value` undefined);
   * `VERSION_TOO_OLD` when an erasure changed that answer.
   */
  read(key: Uint8Array, version: number): TierEntry | undefined {
    const table = this.#router.route(key).name;
    // Read, then check: a reader's writer (another process) may erase between
    // the two statements, and an erasure seen only after the read would
    // otherwise turn erased history into "absent". Checked after, an erasure
    // before the read is found; one after it left the read's answer true.
    const entry = this.#tier.get(table, key, version);
    if (version < this.#floor) this.#check(table, key, version, 'read');
    return entry;
  }

  /**
   * Throw `VERSION_TOO_OLD` if a write at `version` is below the
   * `readableFrom` of a key's horizon, in erased history or under it (one
   * comparison when `version` is at or above the floor).
   */
  checkWrites(writes: readonly PlannedWrite[], version: number): void {
    if (version >= this.#floor) return;
    for (const write of writes) this.#check(write.table.name, write.key, version, 'write');
  }

  /** The live entries of a range at `version`, erased history refused as iteration reaches it. */
  range(
    range: ResolvedRange,
    version: number,
    reverse: boolean,
    pageSize: number,
  ): Generator<StoreEntry, void, undefined> {
    return readRange({ tier: this.#tier, router: this.#router, range, version, reverse, pageSize });
  }

  #check(table: string, key: Uint8Array, version: number, operation: 'read' | 'write'): void {
    if (version >= this.#tier.readableFloor(table)) return;
    const horizon = this.#tier.horizon(table, key);
    if (horizon === undefined || version >= horizon.readableFrom) return;
    // Below `erasedFrom` a read answers as before the erasure, but a write
    // there does not only change those versions: it shows up to the key's
    // next stored version, and after a deletion there is none (step 5 of
    // the drop rule keeps the key absent from the drop on).
    if (operation === 'write' || version >= horizon.erasedFrom) {
      throw new VersionTooOldError(version, horizon.readableFrom, key, operation);
    }
  }
}
