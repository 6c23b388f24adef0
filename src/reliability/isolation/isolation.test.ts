/**
 * The randomized isolation test, small enough for the unit run; the slow step
 * runs it bigger (`isolation.slow.test.ts`). What it checks: `isolation-suite.ts`.
 */
import { isolationSuite } from './isolation-suite.js';

isolationSuite({ numRuns: 12, maxLength: 40 });
