/**
 * The randomized isolation test at full size (the slow step, `npm run
 * test:slow`): many more and longer histories per tier and actor mode, with
 * the coverage reached printed per setup. What it checks: `isolation-suite.ts`.
 */
import { isolationSuite } from './isolation-suite.js';

isolationSuite({ numRuns: 250, maxLength: 90, report: true });
