/**
 * A range iterator that reads one state: it holds a snapshot while it runs.
 *
 * A range is read page by page, so without protection a commit or a drop
 * landing between two pages could change what the later pages show: over
 * keys a, c, e at version 5, an explicit commit of d at version 3 and a drop
 * of e applied while iterating would yield "a c d", a state that never
 * existed. So the iterator registers a lease at its version for as long as
 * it runs:
 *
 * ```
 *   store.range(...)  ── lease at V (kind 'range') ──► pages read at V ... ──► done: lease closed
 *        commits meanwhile:  automatic ones land above V (invisible at V);
 *                            explicit ones at or below V are refused (SNAPSHOT_VIOLATION)
 *        drops meanwhile:    never erase what V reads (capped, the rest parked)
 * ```
 *
 * The lease ends when the iterator is exhausted, when `return()` or
 * `throw()` is called (a `for ... of` that breaks calls `return()`), when the
 * store closes, or, for an iterator dropped half-way, when it is garbage
 * collected (with a warning in the log). It is a class rather than a
 * generator so that `return()` before the first `next()` still releases it.
 *
 * @module
 */

import type { SnapshotLease, SnapshotRegistry } from '../transaction/index.js';
import type { StoreEntry } from './range.js';

/** Live entries of a range read at one version, with the snapshot held while they are read. */
export class SnapshotRange<E = StoreEntry> implements IterableIterator<E> {
  readonly #snapshots: SnapshotRegistry;
  readonly #lease: SnapshotLease;
  readonly #assertOpen: () => void;
  #entries: Iterator<E> | undefined;

  /**
   * Open the snapshot at `version` now (released after `maxAgeMs`, when
   * given: a transaction's range expires with it); `read` builds the
   * entries' iterator (it runs now too, but reads nothing before the first
   * `next()`).
   */
  constructor(
    snapshots: SnapshotRegistry,
    version: number,
    assertOpen: () => void,
    read: (version: number) => Iterator<E>,
    maxAgeMs?: number,
  ) {
    this.#snapshots = snapshots;
    this.#assertOpen = assertOpen;
    this.#lease = snapshots.open({ version, kind: 'range', owner: this, maxAgeMs });
    this.#entries = read(version);
  }

  /** The version the range reads at. */
  get version(): number {
    return this.#lease.version;
  }

  next(): IteratorResult<E, undefined> {
    const entries = this.#entries;
    if (entries === undefined) return { done: true, value: undefined };
    this.#assertOpen();
    let next: IteratorResult<E>;
    try {
      next = entries.next();
    } catch (error) {
      this.#end();
      throw error;
    }
    if (next.done !== true) return next;
    this.#end();
    return { done: true, value: undefined };
  }

  return(): IteratorResult<E, undefined> {
    const entries = this.#entries;
    this.#end();
    entries?.return?.();
    return { done: true, value: undefined };
  }

  throw(error?: unknown): IteratorResult<E, undefined> {
    this.return();
    throw error;
  }

  [Symbol.iterator](): this {
    return this;
  }

  #end(): void {
    this.#entries = undefined;
    this.#snapshots.close(this.#lease);
  }
}
