/**
 * Every call the API fuzz generates: the store's methods (fuzz-specs.ts) and
 * transactions (fuzz-tx-specs.ts), in one arbitrary.
 *
 * @module
 */

import fc from 'fast-check';
import { type CallSpec, storeCalls } from './fuzz-specs.js';
import { txCalls } from './fuzz-tx-specs.js';

/** Any call. */
export const call: fc.Arbitrary<CallSpec> = fc.oneof(
  ...storeCalls,
  ...(txCalls as { weight: number; arbitrary: fc.Arbitrary<CallSpec> }[]),
);
