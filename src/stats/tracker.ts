/**
 * The statistics tracker: folds `storage-stats` events into figures.
 *
 * The store emits one event per commit and one per drop-worker flush; each
 * entry of an event says which stored version it is about and in which
 * category (current/historical) it is, or was, counted. The tracker only adds
 * and subtracts, so it holds no per-key state and costs O(entries):
 *
 * ```
 *   writes, deletes  ->  +1 in entry.category
 *   drops            ->  -1 in entry.category
 *   moves            ->  -1 in the other category, +1 in entry.category
 * ```
 *
 * Figures are exact once every event emitted so far has been delivered
 * (`await store.flush()` guarantees it).
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

/** What the tracker needs of an event bus. */
export interface StatsEventSource {
  on(type: 'storage-stats', listener: (event: StorageStatsRecorded) => void): () => void;
}

/** Keeps per-table storage figures from `storage-stats` events. */
export class StorageStatsTracker {
  readonly #tables = new Map<string, FigureCounter>();
  #unsubscribe: (() => void) | undefined;

  /** Start from `initial` figures (for a reopened file), then follow `source`. */
  constructor(source?: StatsEventSource, initial?: ReadonlyMap<string, StorageFigures>) {
    for (const [table, figures] of initial ?? []) this.#counter(table).add(figures);
    this.#unsubscribe = source?.on('storage-stats', (event) => this.record(event));
  }

  /** Fold one event into the figures. */
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

  /** Stop following the event source. */
  detach(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
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
