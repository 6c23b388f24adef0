/**
 * Judging one call of the API fuzz against its prediction (fuzz-predict.ts):
 *
 * ```
 *   predicted accept  ─► must return;  a rejection (any code) fails the test
 *   predicted CODE    ─► must throw a StoreError with exactly CODE; returning,
 *                        another code, or anything that is not a StoreError fails
 *                        (the caller's own hostile error may come through only
 *                        where the prediction allows it)
 * ```
 *
 * A failure names the call, the prediction and why it was made, and carries
 * the stack of what was thrown.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { isStoreError } from '../../common/errors.js';
import type { Prediction } from './fuzz-predict.js';
import type { FuzzTally, Method } from './fuzz-tally.js';
import { isHostileAccess } from './hostile-values.js';

/** What a judged call gave: its value, or nothing when it was (rightly) rejected. */
export type Judged<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

/** Run `fn` synchronously and check how it ended against `prediction`. */
export function judge<T>(
  tally: FuzzTally,
  method: Method,
  prediction: Prediction,
  fn: () => T,
): Judged<T> {
  let value: T;
  try {
    value = fn();
  } catch (error) {
    return rejected(tally, method, prediction, error);
  }
  return accepted(tally, method, prediction, value);
}

/** As {@link judge}, for a method that returns a promise. */
export async function judgeAsync<T>(
  tally: FuzzTally,
  method: Method,
  prediction: Prediction,
  fn: () => Promise<T>,
): Promise<Judged<T>> {
  let value: T;
  try {
    value = await fn();
  } catch (error) {
    return rejected(tally, method, prediction, error);
  }
  return accepted(tally, method, prediction, value);
}

function accepted<T>(tally: FuzzTally, method: Method, prediction: Prediction, value: T) {
  if (!prediction.accept)
    assert.fail(`${method} accepted a call that must fail with ${expected(prediction)}`);
  tally.record(method, 'ok');
  return { ok: true as const, value };
}

function rejected(
  tally: FuzzTally,
  method: Method,
  prediction: Prediction,
  error: unknown,
): { ok: false } {
  if (!prediction.accept && prediction.hostile && isHostileAccess(error)) {
    tally.record(method, 'hostile');
    return { ok: false };
  }
  if (!prediction.accept && isStoreError(error, prediction.code)) {
    tally.record(method, error.code);
    return { ok: false };
  }
  const what = isStoreError(error) ? `StoreError ${error.code}: ${error.message}` : String(error);
  const wanted = prediction.accept ? 'to be accepted' : `to fail with ${expected(prediction)}`;
  const stack = error instanceof Error ? error.stack : '';
  return assert.fail(`${method} threw ${what}, but the call was predicted ${wanted}\n${stack}`);
}

function expected(prediction: Exclude<Prediction, { accept: true }>): string {
  const hostile = prediction.hostile ? ' (or the caller’s own hostile error)' : '';
  return `${prediction.code}${hostile}, because ${prediction.why}`;
}
