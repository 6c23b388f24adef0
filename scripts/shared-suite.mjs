// Where the shared conformance suites are, and what the conformance step does
// about them. The suites are not part of this repository: CI lays the shared
// folder beside the clone, with two of them in it:
//
//   ../shared/conformance       the specification's goldenscript files
//   ../shared/txn-conformance   ReifyDB's transaction scripts
//
//   both present      -> run them and conformance/ (ours), on both tiers
//   one or both missing -> run what is there and conformance/, after ONE line
//                          saying what was not found and where CI lays it
//   missing, and required (.ci/run sets MULTISTORE_REQUIRE_SHARED=1)
//                      -> fail: CI always runs both
//
// MULTISTORE_SHARED names another folder to use instead of ../shared (the
// tests point it at folders that exist or not). Pure decisions here; the
// caller looks at the disk and runs the command.
import { join, resolve } from 'node:path';

/** The shared suites, as folder names inside the shared folder, in the order they run. */
export const SHARED_SUITES = Object.freeze(['conformance', 'txn-conformance']);

/** The shared folder for the repository at `root`: $MULTISTORE_SHARED, else ../shared. */
export function sharedDir(root, env = process.env) {
  const given = env.MULTISTORE_SHARED;
  return given !== undefined && given !== '' ? resolve(given) : resolve(root, '..', 'shared');
}

/** True when the environment asks that the shared suites be there (CI). */
export function sharedRequired(env = process.env) {
  return env.MULTISTORE_REQUIRE_SHARED === '1';
}

/**
 * What the conformance step does: `{ paths, notice }` (the script folders
 * to run, and the one line to print first, if any), or `{ error }` when it
 * must fail without running anything. `present` lists the names of
 * {@link SHARED_SUITES} found in `shared`.
 */
export function conformancePlan({ shared, present, required }) {
  const found = SHARED_SUITES.filter((name) => present.includes(name));
  const missing = SHARED_SUITES.filter((name) => !present.includes(name));
  const paths = [...found.map((name) => join(shared, name)), 'conformance'];
  if (missing.length === 0) return { paths, notice: undefined };
  const where = missing.map((name) => join(shared, name)).join(' and ');
  const ci = missing.map((name) => `../shared/${name}`).join(' and ');
  const suites = missing.length === 1 ? 'shared suite' : 'shared suites';
  if (required) {
    return {
      error:
        `conformance: the ${suites} ${where} ${missing.length === 1 ? 'is' : 'are'} missing, ` +
        'and this run requires them (MULTISTORE_REQUIRE_SHARED=1, as in .ci/run): lay the ' +
        'shared folder beside the clone, as ../shared',
    };
  }
  const running = paths.map((path) => (path === 'conformance' ? 'conformance/' : path));
  return {
    paths,
    notice:
      `conformance: ${suites} not found at ${where} (CI lays ${missing.length === 1 ? 'it' : 'them'} ` +
      `beside the clone, as ${ci}); running ${running.join(' and ')} only`,
  };
}
