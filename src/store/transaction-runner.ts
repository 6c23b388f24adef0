/**
 * `store.transaction(fn)`: begin, run, commit, and start again on a conflict.
 *
 * ```
 *   attempt: tx = begin() ─► result = fn(tx) ─► (await it, if a promise) ─► tx.commit()
 *              fn throws / rejects  ─► tx rolled back, the error passed on
 *              TRANSACTION_CONFLICT ─► a new attempt while retries are left, else thrown
 * ```
 *
 * There is no pause between attempts (time is the caller's to spend: a
 * backoff belongs in `fn`), so the runner stays deterministic in both actor
 * modes. If `fn` commits or rolls back the transaction itself, the runner
 * leaves it at that.
 *
 * @module
 */

import { isStoreError } from '../common/errors.js';
import type { Transaction } from './transaction.js';

/** Run `fn` in transactions from `begin` until one commits, at most `retries` more times. */
export function runTransaction<T>(
  begin: () => Transaction,
  fn: (tx: Transaction) => T,
  retries: number,
): T {
  const tx = begin();
  let result: T;
  try {
    result = fn(tx);
  } catch (error) {
    tx.rollback();
    throw error;
  }
  const again = () => runTransaction(begin, fn, retries - 1);
  if (!isPromiseLike(result)) return finish(tx, result, retries, again);
  return Promise.resolve(result).then(
    (value) => finish(tx, value, retries, again),
    (error: unknown) => {
      tx.rollback();
      throw error;
    },
  ) as T;
}

/**
 * Commit an attempt's transaction (unless `fn` ended it) and return `fn`'s
 * result; on a conflict, run `again` while retries are left.
 */
function finish<T>(tx: Transaction, result: T, retries: number, again: () => T): T {
  try {
    if (tx.state === 'open') tx.commit();
    return result;
  } catch (error) {
    if (isStoreError(error, 'TRANSACTION_CONFLICT') && retries > 0) return again();
    throw error;
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
