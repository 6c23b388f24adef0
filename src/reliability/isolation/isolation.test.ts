/**
 * The randomized isolation test, small enough for the unit run and with a
 * fixed seed (the same histories every run, so the coverage it asserts is
 * stable); the slow step runs it bigger, with random seeds
 * (`isolation.slow.test.ts`). What it checks: `isolation-suite.ts`.
 */
import { isolationSuite } from './isolation-suite.js';

isolationSuite({ numRuns: 30, maxLength: 50, seed: 20_261_129 });
