/**
 * The transaction runner's exclusion list (see `exclusions.ts` for the rules).
 *
 * Empty: every script of ReifyDB's transaction suite passes on both tiers.
 * An entry would look like
 *
 * ```
 *   { folder: 'txn-conformance', script: 'reference/multi/bank',
 *     reason: 'why this project decided against what the script pins' }
 * ```
 *
 * and the run would print it, with its reason, every time.
 *
 * @module
 */

import type { Exclusion } from './exclusions.js';

/** Transaction scripts expected to fail, each with its reason. */
export const TXN_EXCLUSIONS: readonly Exclusion[] = Object.freeze([]);
