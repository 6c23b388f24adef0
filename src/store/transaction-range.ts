/**
 * A transaction's range iterator: its own writes laid over a snapshot that
 * the iterator holds itself.
 *
 * The transaction's lease protects the version the transaction reads at
 * *now*; `tx.asOf` moves it. A range read page by page must keep reading the
 * version it began at, so it holds a snapshot of its own (a range lease, as
 * `store.range` does) for as long as it runs:
 *
 * ```
 *   tx.range()  ── range lease at V ──► pages read at V, own writes laid over ──► done: lease closed
 *      tx.asOf(W) meanwhile   the range still reads V (drops wait, explicit commits <= V refused)
 *      tx ends meanwhile      the lease closes at once; the next step throws TRANSACTION_CLOSED
 * ```
 *
 * V is the transaction's read version when the range began, or the latest
 * version when that is in the future (a future read version follows commits;
 * a range reads one state).
 *
 * Every step first asks the transaction whether it can still read
 * (`STORE_CLOSED`, `TRANSACTION_CLOSED`, `TRANSACTION_TOO_OLD`). It is a
 * class rather than a generator so that `return()` before the first `next()`
 * still releases the snapshot.
 *
 * @module
 */

/** What a transaction range needs from its transaction. */
export interface TransactionRangeParts<E> {
  /** The snapshot's entries; `return()` releases the snapshot (undefined: reads nothing). */
  readonly snapshot: Iterator<unknown> | undefined;
  /** The entries to yield: the snapshot's with the transaction's own writes laid over. */
  readonly entries: Iterator<E>;
  /** Throw unless the transaction can still read. */
  readonly assertUsable: () => void;
  /** The range ended (exhausted, returned, failed): forget it. */
  readonly ended: (range: TransactionRange<E>) => void;
}

/** A transaction's range iterator; see the module documentation. */
export class TransactionRange<E> implements IterableIterator<E> {
  readonly #parts: TransactionRangeParts<E>;
  #entries: Iterator<E> | undefined;

  constructor(parts: TransactionRangeParts<E>) {
    this.#parts = parts;
    this.#entries = parts.entries;
  }

  next(): IteratorResult<E, undefined> {
    const entries = this.#entries;
    if (entries === undefined) return { done: true, value: undefined };
    let next: IteratorResult<E>;
    try {
      this.#parts.assertUsable();
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
    this.#end();
    return { done: true, value: undefined };
  }

  throw(error?: unknown): IteratorResult<E, undefined> {
    this.#end();
    throw error;
  }

  [Symbol.iterator](): this {
    return this;
  }

  /**
   * The transaction ended: release the snapshot now, but keep the iterator
   * running so that its next step reports why it cannot go on.
   */
  release(): void {
    this.#parts.snapshot?.return?.();
  }

  #end(): void {
    if (this.#entries === undefined) return;
    this.#entries = undefined;
    this.#parts.snapshot?.return?.();
    this.#parts.ended(this);
  }
}
