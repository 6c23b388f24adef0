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
 * The same figures are kept in the tier, in the step that writes or erases
 * (see "Store state" in abstract-tier.ts): the store asks
 * {@link StorageStatsTracker.figuresAfter} what the touched tables' figures
 * will be, hands them to the tier, and once the step has committed makes
 * them its own with {@link StorageStatsTracker.adopt}. A step that fails
 * changes neither.
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
    fold(event, (table) => this.#counter(table));
  }

  /** The figures of the tables `event` touches, as they will be once it is counted; changes nothing. */
  figuresAfter(event: StorageStatsRecorded): Map<string, StorageFigures> {
    const touched = new Map<string, FigureCounter>();
    fold(event, (table) => {
      let counter = touched.get(table);
      if (counter === undefined) {
        counter = new FigureCounter();
        const current = this.#tables.get(table);
        if (current !== undefined) counter.add(current);
        touched.set(table, counter);
      }
      return counter;
    });
    const after = new Map<string, StorageFigures>();
    for (const [table, counter] of touched) after.set(table, counter.snapshot());
    return after;
  }

  /** Take the given tables' figures as they are (from {@link figuresAfter}, once the step committed). */
  adopt(figures: ReadonlyMap<string, StorageFigures>): void {
    for (const [table, value] of figures) {
      const counter = new FigureCounter();
      counter.add(value);
      this.#tables.set(table, counter);
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

  #counter(table: string): FigureCounter {
    let counter = this.#tables.get(table);
    if (counter === undefined) {
      counter = new FigureCounter();
      this.#tables.set(table, counter);
    }
    return counter;
  }
}

/** Apply every entry of `event` to the counter of its table. */
function fold(event: StorageStatsRecorded, counterOf: (table: string) => FigureCounter): void {
  const count = (entry: StatsEntry, category: StatsCategory, sign: 1 | -1) =>
    counterOf(entry.table).apply(category, versionedKeyBytes(entry.key), entry.valueBytes, sign);
  for (const entry of event.writes) count(entry, entry.category, 1);
  for (const entry of event.deletes) count(entry, entry.category, 1);
  for (const entry of event.drops) count(entry, entry.category, -1);
  for (const entry of event.moves) {
    count(entry, other(entry.category), -1);
    count(entry, entry.category, 1);
  }
}

function other(category: StatsCategory): StatsCategory {
  return category === 'current' ? 'historical' : 'current';
}
