/**
 * The shared shape of the multi-process test: what the writer commits and
 * what a reader may therefore see.
 *
 * Every commit `v` sets all {@link ACCOUNTS} keys of the `accounts` table to
 * the same value, `v` padded to a fixed width (so every version of every key
 * has the same size), in one transaction. The table keeps 3 versions per key
 * (retention), so the drop worker erases behind the writer all the time.
 * Whatever a reader reads in one snapshot must be one commit:
 *
 * ```
 *   range of accounts/   every key present, all with the same value v
 *   stats                accounts: currentCount = ACCOUNTS, current value bytes = ACCOUNTS * WIDTH
 *   latest version       never goes backwards
 * ```
 *
 * @module
 */

import type { TableDeclaration } from '../../store/options.js';

/** Keys every commit writes. */
export const ACCOUNTS = 60;

/** Bytes of every value. */
export const WIDTH = 12;

export const PREFIX = 'accounts/';

export const TABLES: readonly TableDeclaration[] = Object.freeze([
  { name: 'accounts', prefix: PREFIX, retention: { keepLastVersions: 3 } },
]);

/** The key of account `i`. */
export function account(i: number): string {
  return `${PREFIX}${String(i).padStart(3, '0')}`;
}

/** The value every account gets at commit `version`. */
export function valueAt(version: number): string {
  return String(version).padStart(WIDTH, '0');
}
