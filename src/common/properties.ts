/**
 * Option objects are closed: a property the receiver does not know is an
 * error, never ignored, because a misspelt name (`revers`, `keepLastVersion`)
 * would otherwise silently mean its default.
 *
 * @module
 */

import { describe } from './bytes.js';
import { type InvalidInputCode, InvalidInputError } from './errors.js';

/**
 * Throw an {@link InvalidInputError} with `code` naming the first own
 * enumerable property of `given` that is not in `known` (`where` says whose:
 * `options.dropWorker`, `range options`, ...).
 */
export function rejectUnknownProperties(
  given: object,
  known: readonly string[],
  where: string,
  code: InvalidInputCode,
): void {
  for (const name of Object.keys(given)) {
    if (!known.includes(name)) {
      throw new InvalidInputError(
        code,
        `unknown property ${where}.${name} (known: ${known.join(', ')})`,
      );
    }
  }
}

/**
 * True for an object literal (or one without a prototype): what an options
 * argument must be. An array, a `Map`, a `Date` or any other class instance
 * is an object too, but its content is not its own enumerable properties
 * (a Map's entries, an array's items), so read as options it would silently
 * mean every default. A literal's prototype is a root (`Object.prototype`,
 * of this realm or another: a `vm` context's object is plain too).
 */
export function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

/**
 * The message for `value` given as `what` where an options object is wanted:
 * "must be an object" for a string, a number..., "must be a plain object"
 * for an array, a Map, a Date.
 */
export function objectExpected(what: string, value: unknown): string {
  const wanted = typeof value === 'object' && value !== null ? 'a plain object' : 'an object';
  return `${what} must be ${wanted}, got ${describe(value)}`;
}
