/**
 * The tier contract, run against every tier (and the brute-force model the
 * randomized test trusts), through the suite shipped as `multistore-kv/tier-test`.
 */

import { BruteForceTier } from '../test-support/tier-model.js';
import { describeTierContract } from '../tier-test/index.js';
import { MemoryTier } from './memory/memory-tier.js';
import { SqliteTier } from './sqlite/sqlite-tier.js';

describeTierContract('memory', () => new MemoryTier());
describeTierContract('sqlite :memory:', () => SqliteTier.open(':memory:'));
describeTierContract('brute-force model', () => new BruteForceTier());
