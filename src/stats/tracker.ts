/**
 * The statistics tracker: folds `storage-stats` records into figures.
 *
 * The store builds one record per commit and one per drop-worker flush; each
 * entry of a record says which stored version it is about and in which
 * category (current/historical) it is, or was, counted. The code that
 * produces a record (the commit path, the drop flush) hands it to
 * {@link StorageStatsTracker.record} directly, before any listener sees it
 * as an event: the tracker listens to no channel that user code can write
 * to, so figures cannot be forged. The tracker only adds and subtracts, so
 * it holds no per-key state and costs O(entries):
 *
 * ```
 *   writes, deletes  ->  +1 in entry.category
 *   drops            ->  -1 in entry.category
 *   moves            ->  -1 in the other category, +1 in entry.category
 * ```
 *
 * Figures are exact once every drop requested so far has been applied
 * (`await store.flush()` guarantees it); writes count as their commit returns.
 *
 * @module
 */

import type { StatsCategory, StatsEntry, StorageStatsRecorded } from '../event/events.js';
import {
  FigureCounter,
  type StorageFigures,
  type StorageStats,
  versionedKeyBytes,
} from './figures.js';

/** Keeps per-table storage figures from `storage-stats` records. */
export class StorageStatsTracker {
  readonly #tables = new Map<string, FigureCounter>();

  /** Start from `initial` figures (for a reopened file: a recount of the tier). */
  constructor(initial?: ReadonlyMap<string, StorageFigures>) {
    for (const [table, figures] of initial ?? []) this.#counter(table).add(figures);
  }

  /** Fold one record into the figures. */
  record(event: StorageStatsRecorded): void {
    for (const entry of event.writes) this.#count(entry, entry.category, 1);
    for (const entry of event.deletes) this.#count(entry, entry.category, 1);
    for (const entry of event.drops) this.#count(entry, entry.category, -1);
    for (const entry of event.moves) {
      this.#count(entry, other(entry.category), -1);
      this.#count(entry, entry.category, 1);
    }
  }

  /** Make sure `table` is listed (with zero figures) even before it stores anything. */
  declareTable(table: string): void {
    this.#counter(table);
  }

  /** Current figures per table and in total. */
  stats(): StorageStats {
    const total = new FigureCounter();
    const sorted = [...this.#tables].sort(([a], [b]) => (a < b ? -1 : 1));
    for (const [, counter] of sorted) total.add(counter);
    // fromEntries defines own properties, so even a table named `__proto__` is listed.
    const tables = Object.fromEntries(sorted.map(([name, counter]) => [name, counter.snapshot()]));
    return Object.freeze({ total: total.snapshot(), tables: Object.freeze(tables) });
  }

  #count(entry: StatsEntry, category: StatsCategory, sign: 1 | -1): void {
    this.#counter(entry.table).apply(
      category,
      versionedKeyBytes(entry.key),
      entry.valueBytes,
      sign,
    );
  }

  #counter(table: string): FigureCounter {
    let counter = this.#tables.get(table);
    if (counter === undefined) {
      counter = new FigureCounter();
      this.#tables.set(table, counter);
    }
    return counter;
  }
}

function other(category: StatsCategory): StatsCategory {
  return category === 'current' ? 'historical' : 'current';
}
