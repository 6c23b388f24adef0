/**
 * Which runner runs which folder.
 *
 * One table maps each runner kind (the folder name that selects it, see
 * `discover.ts`) to the factory that creates its runner. A kind without a
 * factory is not an error here: the run reports each of its scripts as
 * FAILED with "no store runner yet", so a missing runner can never look like
 * a pass.
 *
 * To add a runner, write a {@link RunnerFactory} (see `runner.ts` for the
 * contract and `tier-runner.ts` for an example) and put it in the table.
 *
 * @module
 */

import type { RunnerKind } from './discover.js';
import type { RunnerFactory } from './runner.js';
import { createStatsRunner, createStoreRunner } from './store-runner.js';
import { createTierRunner } from './tier-runner.js';
import { createTxnRunner } from './txn-runner.js';

/** Finds the factory for a runner kind; `undefined` when there is none yet. */
export type RunnerLookup = (kind: RunnerKind) => RunnerFactory | undefined;

const RUNNERS: Readonly<Record<RunnerKind, RunnerFactory | undefined>> = Object.freeze({
  tier: (context) => createTierRunner(context),
  store: (context) => createStoreRunner(context),
  stats: (context) => createStatsRunner(context),
  txn: (context) => createTxnRunner(context),
});

/** The registered factory for `kind`, or `undefined` when that runner does not exist yet. */
export const runnerFor: RunnerLookup = (kind) => RUNNERS[kind];
