/**
 * Judging one call of the API fuzz: it may succeed, or throw a StoreError
 * with a code documented for that method, or let the caller's own hostile
 * error through (a Proxy trap that throws is the caller's doing). Anything
 * else (a TypeError, a RangeError, a code the method should never give) fails
 * the test with the stack of what was thrown.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { type ErrorCode, isStoreError } from '../../common/errors.js';
import type { FuzzTally, Method } from './fuzz-tally.js';
import { isHostileAccess } from './hostile-values.js';

/** Codes each method may throw while the store is open. */
export const ALLOWED_CODES: Readonly<Record<Method, readonly ErrorCode[]>> = {
  open: ['INVALID_OPTIONS', 'INVALID_ARGUMENT'],
  commit: ['INVALID_VERSION', 'INVALID_KEY', 'INVALID_VALUE', 'INVALID_DELTA'],
  get: ['INVALID_KEY', 'INVALID_VERSION'],
  contains: ['INVALID_KEY', 'INVALID_VERSION'],
  versions: ['INVALID_KEY'],
  range: ['INVALID_ARGUMENT', 'INVALID_KEY', 'INVALID_VERSION'],
  flush: [],
  stats: [],
  dropWorkerStats: [],
  close: [],
};

/** What a judged call gave: its value, or nothing when it was (acceptably) rejected. */
export type Judged<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

/** Run `fn` synchronously and judge how it ended (fails the test on anything not allowed). */
export function judge<T>(tally: FuzzTally, method: Method, fn: () => T): Judged<T> {
  try {
    const value = fn();
    tally.record(method, 'ok');
    return { ok: true, value };
  } catch (error) {
    return rejected(tally, method, error);
  }
}

/** As {@link judge}, for a method that returns a promise. */
export async function judgeAsync<T>(
  tally: FuzzTally,
  method: Method,
  fn: () => Promise<T>,
): Promise<Judged<T>> {
  try {
    const value = await fn();
    tally.record(method, 'ok');
    return { ok: true, value };
  } catch (error) {
    return rejected(tally, method, error);
  }
}

function rejected(tally: FuzzTally, method: Method, error: unknown): { ok: false } {
  if (isHostileAccess(error)) {
    tally.record(method, 'hostile');
    return { ok: false };
  }
  if (isStoreError(error) && ALLOWED_CODES[method].includes(error.code)) {
    tally.record(method, error.code);
    return { ok: false };
  }
  const what = isStoreError(error) ? `StoreError ${error.code}: ${error.message}` : String(error);
  const allowed = ALLOWED_CODES[method].join('/') || 'none';
  const stack = error instanceof Error ? error.stack : '';
  return assert.fail(`${method} threw ${what} (allowed: StoreError ${allowed})\n${stack}`);
}
