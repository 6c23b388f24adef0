/**
 * Versions are non-negative safe integers.
 *
 * A version is a plain `number` so that it costs nothing to pass around and
 * compares with `<`. Anything that is not an integer in `[0, 2^53 - 1]` is
 * rejected with `INVALID_VERSION`: NaN, fractions, negatives, Infinity,
 * bigints and strings never reach a tier.
 *
 * @module
 */

import { describe } from './bytes.js';
import { InvalidInputError } from './errors.js';

/** The highest version there can be: reads "at the newest version" use it. */
export const MAX_VERSION = Number.MAX_SAFE_INTEGER;

/** True when `value` is a valid version. */
export function isVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Return `value` if it is a valid version, else throw `INVALID_VERSION`. */
export function checkVersion(value: unknown, what = 'version'): number {
  // `+ 0` turns -0 into 0, so every tier stores and returns the same zero.
  if (isVersion(value)) return value + 0;
  throw new InvalidInputError(
    'INVALID_VERSION',
    `${what} must be a non-negative safe integer, got ${describe(value)}`,
  );
}

/**
 * Return `value` if it is a non-negative safe integer count (as for
 * `keepLastVersions`), else throw an {@link InvalidInputError} with `code`.
 */
export function checkCount(
  value: unknown,
  what: string,
  code: 'INVALID_ARGUMENT' | 'INVALID_DELTA' | 'INVALID_OPTIONS' = 'INVALID_ARGUMENT',
): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw new InvalidInputError(
    code,
    `${what} must be a non-negative integer, got ${describe(value)}`,
  );
}
