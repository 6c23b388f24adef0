/**
 * `store.transaction(fn)`: begin, run, commit, and start again on a conflict.
 *
 * ```
 *   attempt: tx = begin() ─► result = fn(tx) ─► (await it, if a promise) ─► settle tx
 *              fn throws / rejects   ─► tx rolled back; a TRANSACTION_CONFLICT (fn's own
 *                                       commit's included) starts a new attempt while
 *                                       retries are left, unless fn committed tx (no
 *                                       double commit); anything else is passed on
 *              settle: committed by fn        ─► fn's result
 *                      rolled back by fn      ─► fn's result (its decision), unless the
 *                                                store closed meanwhile: STORE_CLOSED
 *                      open, or released      ─► tx.commit() (TRANSACTION_TOO_OLD when
 *                                                its maxAgeMs passed while fn ran)
 * ```
 *
 * Nothing is reported as done that was not committed: a transaction that
 * expired, or whose store closed, while `fn` ran fails rather than returning
 * `fn`'s result over writes that were never made.
 *
 * Attempts run in a loop, not by recursion, so any number of retries costs
 * no stack. There is no pause between attempts (time is the caller's to
 * spend: a backoff belongs in `fn`), so the runner stays deterministic in
 * both actor modes.
 *
 * @module
 */

import { isStoreError } from '../common/errors.js';
import type { Transaction } from './transaction.js';

/** A transaction of any key and value types (the runner only commits and rolls back). */
type AnyTransaction = Transaction<unknown, unknown>;

/** What the runner needs from the store. */
export interface RunnerHost<Tx extends AnyTransaction = AnyTransaction> {
  /** Begin an attempt's transaction. */
  begin(): Tx;
  /** Throw `STORE_CLOSED` once the store is closed. */
  assertOpen(): void;
}

/** Run `fn` in transactions from `host.begin` until one commits, at most `retries` more times. */
export function runTransaction<T, Tx extends AnyTransaction>(
  host: RunnerHost<Tx>,
  fn: (tx: Tx) => T,
  retries: number,
): T {
  for (let left = retries; ; left--) {
    const tx = host.begin();
    try {
      const result = fn(tx);
      if (isPromiseLike(result)) return runAsync(host, fn, tx, result, left) as T;
      settle(tx, host);
      return result;
    } catch (error) {
      tx.rollback();
      if (!retryable(error, tx, left)) throw error;
    }
  }
}

/** The async attempts: `first` is the pending result of the attempt running in `tx`. */
async function runAsync<T, Tx extends AnyTransaction>(
  host: RunnerHost<Tx>,
  fn: (tx: Tx) => T,
  tx: Tx,
  first: PromiseLike<unknown>,
  retries: number,
): Promise<unknown> {
  let current = tx;
  let pending: unknown = first;
  for (let left = retries; ; left--) {
    try {
      const result = await pending;
      settle(current, host);
      return result;
    } catch (error) {
      current.rollback();
      if (!retryable(error, current, left)) throw error;
    }
    const next = host.begin();
    current = next;
    // A synchronous throw of fn becomes a rejection, handled like the others.
    pending = new Promise((resolve) => resolve(fn(next)));
  }
}

/** Commit the attempt's transaction unless `fn` ended it (see the module documentation). */
function settle(tx: AnyTransaction, host: RunnerHost<AnyTransaction>): void {
  const state = tx.state;
  if (state === 'committed') return;
  if (state === 'rolled back') {
    host.assertOpen(); // a store closing rolls its transactions back
    return;
  }
  tx.commit();
}

/**
 * A conflict is worth another attempt while retries are left, unless the
 * attempt's transaction committed (fn committed it, then something else
 * conflicted): running fn again would commit its work twice.
 */
function retryable(error: unknown, tx: AnyTransaction, left: number): boolean {
  return left > 0 && tx.state !== 'committed' && isStoreError(error, 'TRANSACTION_CONFLICT');
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
