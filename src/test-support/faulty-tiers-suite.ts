/**
 * The contract suite registered for every faulty tier (faulty-tiers.ts) and
 * for the same tier without a fault. Run on its own by
 * src/tier-test/faults.test.ts, which expects the fault-free tier to pass and
 * every other to fail.
 *
 * @module
 */

import { describeTierContract } from '../tier-test/index.js';
import { FAULTS, type Fault, faultyTier } from './faulty-tiers.js';

for (const fault of ['none', ...Object.keys(FAULTS)] as Fault[]) {
  describeTierContract(`fault ${fault}`, () => faultyTier(fault));
}
