/**
 * Bugs the API fuzz found that are still open, and the inputs that trigger them.
 *
 * Each open bug is pinned by a failing test in `known-bugs.test.ts`. While a
 * bug is open, the fuzz leaves its triggering input out (otherwise every run
 * would stop at the same known failure and find nothing new). Once the lead
 * fixes one, set its flag to `false`: the failing test passes and the fuzz
 * generates the input again.
 *
 * @module
 */

/** Which open bugs keep their triggering input out of the fuzz. */
export const OPEN_BUGS = Object.freeze({
  /** Byte views that are `instanceof Uint8Array` but unreadable escape as TypeError. */
  brokenByteViews: true,
  /** A table named `__proto__` is missing from `stats().tables` (becomes its prototype). */
  protoTableName: true,
  /** A commit at version -0 is stored as -0 by the memory tier (SQLite gives back 0). */
  negativeZeroVersion: true,
  /** A delta without a key whose type cannot become a string escapes as TypeError. */
  unprintableDeltaType: true,
  /**
   * A file open that fails on a table name the tier rejects (NUL, lone
   * surrogate, over 256 UTF-8 bytes) has already stored the declarations: the
   * file can no longer be opened without tables.
   */
  tierRejectedTableName: true,
});
