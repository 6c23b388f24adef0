/**
 * Chooses the seed of every fast-check property in a test run. Applied before
 * each test file by `fast-check-seed.ts` (`node --import`, see
 * `scripts/tests.mjs`); kept apart so that a test can import the policy
 * without applying it.
 *
 * - Under `CI` the seed is fixed: CI runs the same histories every time, so a
 *   red run is a defect the change brought, never an unlucky draw, and a
 *   rerun reproduces it.
 * - Elsewhere each run draws a new seed (fast-check's default): local runs
 *   keep exploring, and fast-check prints the seed and the shrunk case of a
 *   failure.
 * - `TEST_SEED=<integer>` replays one seed; `TEST_SEED=random` explores even
 *   under `CI`.
 *
 * A property that names its own seed keeps it.
 *
 * @module
 */

/** The seed CI runs with. */
export const CI_SEED = 20_261_129;

/** The seed `env` asks for, or `undefined` for a fresh one per property. */
export function chosenSeed(env: NodeJS.ProcessEnv): number | undefined {
  const asked = env.TEST_SEED;
  if (asked === 'random') return undefined;
  if (asked !== undefined && asked !== '') {
    const seed = Number(asked);
    if (!Number.isInteger(seed))
      throw new Error(`TEST_SEED must be an integer or "random", not ${asked}`);
    return seed;
  }
  return env.CI !== undefined && env.CI !== '' && env.CI !== 'false' ? CI_SEED : undefined;
}
