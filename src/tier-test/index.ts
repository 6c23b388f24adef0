/**
 * `multistore-kv/tier-test`: the tier contract as a test suite, for anyone
 * writing a tier.
 *
 * The same suite runs against the memory tier, the SQLite tier and the
 * brute-force model in this repository; a custom tier built on
 * `AbstractTier` (from `multistore-kv/tier`) runs it the same way:
 *
 * ```ts
 *   import { describeTierContract } from 'multistore-kv/tier-test';
 *   describeTierContract('my tier', () => new MyTier());   // then: node --test
 * ```
 *
 * `describeTierContract(name, open)` registers `node:test` cases that pin the
 * contract written in abstract-tier.ts: visibility, atomic writes,
 * replacement, out-of-order versions, drops, the write observer, tables,
 * settings, the latest version, ownership of returned bytes, closing, ranges
 * in both directions with every bound kind, cursor resumption and byte order
 * (range.ts), horizons (horizons.ts), the figures and log records kept for
 * the store and the snapshot (state.ts), trimming on set (trims.ts), erasing oldest versions per
 * key (prefixes.ts), and rejection of bad input leaving the tier unchanged
 * (input.ts). Each case opens a fresh tier with `open` and closes it
 * afterwards. It needs nothing but Node (`node:test`, `node:assert`) and
 * this package.
 *
 * @module
 */

import { describe } from 'node:test';
import { describeChangeContract } from './changes.js';
import { describePointContract, describeTableContract } from './contract.js';
import type { OpenTier } from './helpers.js';
import { describeHorizonContract } from './horizons.js';
import { describeInputContract } from './input.js';
import { describePrefixContract } from './prefixes.js';
import { describeRangeContract } from './range.js';
import { describeStateContract } from './state.js';
import { describeTrimContract } from './trims.js';

export type { OpenTier } from './helpers.js';

/** Register the contract suite for the tier `open` creates (a fresh, empty one per case). */
export function describeTierContract(name: string, open: OpenTier): void {
  describe(`tier contract: ${name}`, () => {
    describePointContract(open);
    describeTableContract(open);
    describeRangeContract(open);
    describeHorizonContract(open);
    describeChangeContract(open);
    describeStateContract(open);
    describeTrimContract(open);
    describePrefixContract(open);
    describeInputContract(open);
  });
}
