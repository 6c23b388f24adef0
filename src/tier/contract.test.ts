/**
 * The TierStorage contract, run against every tier (and the brute-force
 * model the randomized test trusts).
 */

import { describeTierContract } from '../test-support/tier-contract.js';
import { BruteForceTier } from '../test-support/tier-model.js';
import { MemoryTier } from './memory/memory-tier.js';
import { SqliteTier } from './sqlite/sqlite-tier.js';

describeTierContract('memory', () => new MemoryTier());
describeTierContract('sqlite :memory:', () => SqliteTier.open(':memory:'));
describeTierContract('brute-force model', () => new BruteForceTier());
