// Where the shared conformance suite is, and what the conformance step does
// about it. The suite (the specification's goldenscript files) is not part
// of this repository: CI lays it beside the clone, as ../shared/conformance.
//
//   ../shared/conformance   present  -> run it and conformance/ (ours), on both tiers
//                           missing  -> run conformance/ only, after ONE line saying
//                                       what was not found and where CI lays it
//                           missing, and required (.ci/run sets
//                           MULTISTORE_REQUIRE_SHARED=1) -> fail: CI always runs it
//
// MULTISTORE_SHARED names another folder to use instead of ../shared (the
// tests point it at folders that exist or not). Pure decisions here; the
// caller looks at the disk and runs the command.
import { join, resolve } from 'node:path';

/** The shared folder for the repository at `root`: $MULTISTORE_SHARED, else ../shared. */
export function sharedDir(root, env = process.env) {
  const given = env.MULTISTORE_SHARED;
  return given !== undefined && given !== '' ? resolve(given) : resolve(root, '..', 'shared');
}

/** True when the environment asks that the shared suite be there (CI). */
export function sharedRequired(env = process.env) {
  return env.MULTISTORE_REQUIRE_SHARED === '1';
}

/**
 * What the conformance step does: `{ paths, notice }` (the script folders
 * to run, and the one line to print first, if any), or `{ error }` when it
 * must fail without running anything.
 */
export function conformancePlan({ shared, present, required }) {
  const suite = join(shared, 'conformance');
  if (present) return { paths: [suite, 'conformance'], notice: undefined };
  if (required) {
    return {
      error:
        `conformance: the shared conformance suite is missing at ${suite}, and this run ` +
        'requires it (MULTISTORE_REQUIRE_SHARED=1, as in .ci/run): lay the shared folder ' +
        'beside the clone, as ../shared',
    };
  }
  return {
    paths: ['conformance'],
    notice:
      `conformance: shared suite not found at ${suite} (CI lays it beside the clone, ` +
      "as ../shared/conformance); running this repository's conformance/ scripts only",
  };
}
