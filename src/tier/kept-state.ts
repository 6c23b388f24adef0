/**
 * The store state of a tier that keeps it in memory.
 *
 * Every tier keeps, beside its data, the figures and log records the store
 * hands to `set` and `drop` (see "Store state" in abstract-tier.ts). A tier
 * without a file of its own (the memory tier, a custom tier over some other
 * structure) can keep them here and answer `readFigures` / `readLog` from
 * it:
 *
 * ```
 *   _set(version, writes, observe, change):   write ...; state.apply(change)
 *   _drop(drops, change):                     erase ...; state.apply(change)
 *   _clearTable(table):                       clear ...; state.clearTable(table)
 *   _readFigures() / _readLog():              state.figures() / state.log()
 * ```
 *
 * `apply` calls `change.figures` first, so a failing figures function keeps
 * nothing of the change. Records and figures are copied as they are kept and
 * as they are read back, like any bytes a tier keeps.
 *
 * @module
 */

import type { LogRecord, StateChange, TableFigures } from './tier.js';

/** Figures and log records kept in memory, for a tier to embed. */
export class KeptState {
  readonly #figures = new Map<string, TableFigures>();
  readonly #log = new Map<number, Uint8Array>();

  /** Keep what `change` says: figures (calling its function now), records, forgotten records. */
  apply(change: StateChange | undefined): void {
    if (change === undefined) return;
    const figures = change.figures?.();
    for (const [table, value] of figures ?? [])
      this.#figures.set(table, Object.freeze({ ...value }));
    for (const record of change.log ?? []) this.#log.set(record.seq, new Uint8Array(record.bytes));
    for (const seq of change.forget ?? []) this.#log.delete(seq);
  }

  /** Forget the figures of a table that was emptied. */
  clearTable(table: string): void {
    this.#figures.delete(table);
  }

  /** The figures kept, per table (a fresh map). */
  figures(): Map<string, TableFigures> {
    return new Map(this.#figures);
  }

  /** The records kept, by increasing `seq` (fresh copies). */
  log(): LogRecord[] {
    return [...this.#log]
      .sort(([a], [b]) => a - b)
      .map(([seq, bytes]) => ({ seq, bytes: new Uint8Array(bytes) }));
  }
}
