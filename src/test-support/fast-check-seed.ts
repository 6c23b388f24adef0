/**
 * Applies the seed policy of `seed-policy.ts` to fast-check in this process:
 * `node --import ./dist/test-support/fast-check-seed.js` (scripts/tests.mjs
 * loads it before every unit and slow test file).
 *
 * @module
 */

import fc from 'fast-check';
import { chosenSeed } from './seed-policy.js';

const seed = chosenSeed(process.env);
if (seed !== undefined) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
