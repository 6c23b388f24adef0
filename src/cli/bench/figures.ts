/**
 * The figures of a run, as the report prints them and `--json` writes them,
 * and how the rounds of a group fold into them.
 *
 * ```
 *   BenchReport
 *     sizes        per shape (sizes.ts)
 *     missing      implementations that could not be loaded, and why
 *     groups       per (tier, workload, shape): every run's rounds, medians, the ratio ours / peer
 *     footprints   per (implementation, shape): heap and disk bytes per stored version
 *     targets      per (target, workload, shape): ratio, pass / miss / n/a (targets.ts)
 *     references   per (reference, workload, shape): a ratio shown beside a target, no threshold
 * ```
 *
 * A run that was not measured keeps its slot, with `status` `missing` (the
 * implementation could not be loaded) or `n/a` (it cannot do the
 * workload) and the reason, so nothing is silently left out of the JSON.
 *
 * @module
 */

import type { ImplId } from './catalog.js';
import { BenchError } from './errors.js';
import type { Footprint } from './footprint.js';
import type { Group, RunSpec, ShapeId, TierId, WorkloadId } from './plan.js';
import { WORKLOAD_TITLES } from './plan.js';
import type { RunResult } from './protocol.js';
import type { Sizes } from './sizes.js';
import type { ReferenceResult, TargetResult } from './targets.js';

/** What identifies a run in its group. */
interface RunIdentity {
  readonly impl: ImplId;
  readonly label: string;
  readonly role: RunSpec['role'];
  readonly retention: boolean;
  /** W9, W10: the run in transactions (absent for other workloads). */
  readonly transactional?: boolean;
}

/** A run that was measured. */
export interface MeasuredRun extends RunIdentity {
  readonly status: 'measured';
  readonly medianOpsPerSec: number;
  /** ops/s of every round, in run order. */
  readonly rounds: readonly number[];
  readonly ops: number;
  /** Timed milliseconds of every round. */
  readonly elapsedMs: readonly number[];
  /** Wall milliseconds of every round's child process (start-up, data, load, check included). */
  readonly childWallMs: readonly number[];
  readonly checksum: number;
  readonly versionsPerKey?: { readonly min: number; readonly max: number };
  /** W10: transactions that conflicted and were run again. */
  readonly conflicts?: number;
}

/** A run that was not measured, and why. */
export interface UnmeasuredRun extends RunIdentity {
  readonly status: 'missing' | 'n/a';
  readonly reason: string;
}

/** One implementation's figures in a group. */
export type RunFigures = MeasuredRun | UnmeasuredRun;

/** One workload on one tier and shape. */
export interface GroupFigures {
  readonly workload: WorkloadId;
  readonly title: string;
  readonly tier: TierId;
  readonly shape: ShapeId;
  readonly runs: readonly RunFigures[];
  /** Median ops/s of ours over the main peer's (W7: retention over plain); null if either is unmeasured. */
  readonly ratio: number | null;
}

/** The footprint of one implementation on one shape, or why there is none. */
export type FootprintFigures =
  | ({ readonly impl: ImplId; readonly shape: ShapeId; readonly status: 'measured' } & Footprint)
  | {
      readonly impl: ImplId;
      readonly shape: ShapeId;
      readonly status: 'missing';
      readonly reason: string;
    };

/** Everything one benchmark run measured. */
export interface BenchReport {
  readonly date: string;
  readonly node: string;
  readonly platform: string;
  readonly cpus: { readonly count: number; readonly model: string };
  readonly n: number;
  readonly rounds: number;
  /** Rounds of the implementations other than ours and the main peer. */
  readonly otherPeerRounds: number;
  readonly seed: number;
  readonly tiers: readonly TierId[];
  readonly shapes: readonly ShapeId[];
  readonly workloads: readonly WorkloadId[];
  readonly sizes: Readonly<Partial<Record<ShapeId, Sizes>>>;
  /** Implementations that could not be loaded, and why. */
  readonly missing: readonly { readonly impl: ImplId; readonly reason: string }[];
  readonly groups: readonly GroupFigures[];
  readonly footprints: readonly FootprintFigures[];
  readonly targets: readonly TargetResult[];
  /** Ratios printed beside the targets they explain, judged by none. */
  readonly references: readonly ReferenceResult[];
  readonly wallTimeMs: number;
}

/** A child's result and how long its process ran. */
export interface TimedResult extends RunResult {
  readonly childWallMs: number;
}

/** What a run's slot holds once its rounds are done: results, or why it was not run. */
export type RunOutcome =
  | { readonly results: readonly TimedResult[] }
  | { readonly status: 'missing' | 'n/a'; readonly reason: string };

/** Fold the outcomes of a group's runs (in `group.runs` order) into its figures. */
export function summarizeGroup(group: Group, outcomes: readonly RunOutcome[]): GroupFigures {
  const runs = group.runs.map((run, index) => runFigures(run, outcomes[index]));
  checkSameWork(group, runs);
  const ours = runs.find((run) => run.role === 'ours');
  const peer = runs.find((run) => run.role === 'peer');
  const ratio =
    ours?.status === 'measured' && peer?.status === 'measured'
      ? ours.medianOpsPerSec / peer.medianOpsPerSec
      : null;
  return {
    workload: group.workload,
    title: WORKLOAD_TITLES[group.workload],
    tier: group.tier,
    shape: group.shape,
    runs,
    ratio,
  };
}

function runFigures(run: RunSpec, outcome: RunOutcome | undefined): RunFigures {
  const identity = {
    impl: run.impl,
    label: run.label,
    role: run.role,
    retention: run.retention,
    ...(run.transactional !== undefined && { transactional: run.transactional }),
  };
  if (outcome === undefined) throw new BenchError(`${run.label}: no outcome`);
  if (!('results' in outcome)) return { ...identity, ...outcome };
  const [first] = outcome.results;
  if (first === undefined) throw new BenchError(`${run.label}: no round was run`);
  for (const result of outcome.results) {
    if (result.checksum !== first.checksum || result.ops !== first.ops) {
      throw new BenchError(
        `${run.label}: rounds disagree (checksum ${result.checksum} over ${result.ops} ops, then ${first.checksum} over ${first.ops})`,
      );
    }
  }
  const rounds = outcome.results.map((result) => result.opsPerSec);
  return {
    ...identity,
    status: 'measured',
    medianOpsPerSec: median(rounds),
    rounds,
    ops: first.ops,
    elapsedMs: outcome.results.map((result) => result.elapsedMs),
    childWallMs: outcome.results.map((result) => Math.round(result.childWallMs)),
    checksum: first.checksum,
    ...(first.versionsPerKey && { versionsPerKey: first.versionsPerKey }),
    ...(first.conflicts !== undefined && { conflicts: first.conflicts }),
  };
}

/** Every measured run of a group must have read the same things in every round. */
function checkSameWork(group: Group, runs: readonly RunFigures[]): void {
  const measured = runs.filter((run): run is MeasuredRun => run.status === 'measured');
  const [expected] = measured;
  if (expected === undefined) return;
  for (const run of measured) {
    if (run.checksum !== expected.checksum || run.ops !== expected.ops) {
      throw new BenchError(
        `${group.workload} ${group.tier} ${group.shape}: ${run.label} read checksum ${run.checksum} over ${run.ops} ops, ` +
          `${expected.label} ${expected.checksum} over ${expected.ops}: the implementations did not do the same work`,
      );
    }
  }
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  if (sorted.length % 2 === 1) return sorted[middle] as number;
  return ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
