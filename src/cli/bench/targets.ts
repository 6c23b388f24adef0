/**
 * The performance targets, and how a run measures up to them.
 *
 * A target is a ratio of medians measured in the same run, on both data
 * shapes (higher is better for ours):
 *
 * ```
 *   comparison                        workloads   at least
 *   memory tier / sorted-btree        W1-W6       0.8 (W3: 1.0)
 *   SQLite tier / better-sqlite3      W1-W4       0.9
 *                                     W5, W6      0.8
 *   the same, both with exclusive     W1-W4       0.9   (multistore-sqlite-exclusive /
 *     locking                         W5, W6      0.8    better-sqlite3-exclusive)
 *   retention / plain (each tier)     W7          0.8   (a retention table costs at most 20%)
 *   SQLite tier / lmdb (durable)      W1, W2      0.5   (multistore-sqlite-group: synchronous
 *                                                         'full', commitAsync / lmdb: synced)
 *   SQLite tier / Hyperbee            W1-W6       2.0
 * ```
 *
 * Each (target, workload, shape) is `pass` or `miss`, or `n/a` with the
 * reason when one side has no figure: a peer that is missing (not
 * installed), or a workload the peer cannot do (Hyperbee cannot erase
 * versions). Targets outside the run's selection are left out.
 *
 * Beside a target the report can show reference ratios
 * ({@link REFERENCES}): no threshold, no pass or miss, just what explains
 * the target's figure. Beside the durable target:
 *
 * ```
 *   ratio                                          W1, W2   what it says
 *   better-sqlite3-group / lmdb                    ceiling  raw SQLite, the tier's schema, synchronous
 *                                                           FULL, grouped as commitAsync: the most the
 *                                                           tier could reach against lmdb on this engine
 *   multistore-sqlite-group / better-sqlite3-group the store's share of the durable target's ratio
 * ```
 *
 * @module
 */

import type { ImplId } from './catalog.js';
import type { GroupFigures, RunFigures } from './figures.js';
import type { Selection, ShapeId, TierId, WorkloadId } from './plan.js';

/** One comparison of the targets. */
export interface TargetSpec {
  /** What is compared, as the report prints it. */
  readonly comparison: string;
  readonly tier: TierId;
  /** The run whose ops/s is divided: ours (W7: the retention run). */
  readonly ours: RunSelector;
  /** The run it is divided by. */
  readonly peer: RunSelector;
  /** Least ratio for each workload this target covers. */
  readonly thresholds: Readonly<Partial<Record<WorkloadId, number>>>;
}

/** Which run of a group a target reads: by implementation, or by role (W7). */
type RunSelector = { readonly impl: ImplId } | { readonly role: 'ours' | 'peer' };

/** One ratio against its target. */
export interface TargetResult {
  readonly comparison: string;
  readonly tier: TierId;
  readonly workload: WorkloadId;
  readonly shape: ShapeId;
  readonly target: number;
  /** Median ops/s of ours over the peer's, or null when one is not measured. */
  readonly ratio: number | null;
  readonly status: 'pass' | 'miss' | 'n/a';
  /** Why the ratio is n/a. */
  readonly reason?: string;
}

const ours = { role: 'ours' } as const;
/** The targets for the SQLite tier against raw SQLite on its schema and settings. */
const SQLITE_THRESHOLDS = Object.freeze({ W1: 0.9, W2: 0.9, W3: 0.9, W4: 0.9, W5: 0.8, W6: 0.8 });
const plain = { role: 'peer' } as const;

/** The targets of the issue, in report order. */
export const TARGETS: readonly TargetSpec[] = Object.freeze([
  {
    comparison: 'memory / sorted-btree',
    tier: 'memory',
    ours,
    peer: { impl: 'sorted-btree' },
    thresholds: { W1: 0.8, W2: 0.8, W3: 1.0, W4: 0.8, W5: 0.8, W6: 0.8 },
  },
  {
    comparison: 'sqlite / better-sqlite3',
    tier: 'sqlite',
    ours,
    peer: { impl: 'better-sqlite3' },
    thresholds: SQLITE_THRESHOLDS,
  },
  {
    comparison: 'sqlite exclusive / better-sqlite3 exclusive',
    tier: 'sqlite',
    ours: { impl: 'multistore-sqlite-exclusive' },
    peer: { impl: 'better-sqlite3-exclusive' },
    thresholds: SQLITE_THRESHOLDS,
  },
  {
    comparison: 'memory retention / plain',
    tier: 'memory',
    ours,
    peer: plain,
    thresholds: { W7: 0.8 },
  },
  {
    comparison: 'sqlite retention / plain',
    tier: 'sqlite',
    ours,
    peer: plain,
    thresholds: { W7: 0.8 },
  },
  {
    comparison: 'sqlite grouped durable / lmdb (durable)',
    tier: 'sqlite',
    // Both durable: ours synced at each group's COMMIT, lmdb at each of its (queued) commits.
    ours: { impl: 'multistore-sqlite-group' },
    peer: { impl: 'lmdb' },
    thresholds: { W1: 0.5, W2: 0.5 },
  },
  {
    comparison: 'sqlite / hyperbee',
    tier: 'sqlite',
    ours,
    peer: { impl: 'hyperbee' },
    thresholds: { W1: 2, W2: 2, W3: 2, W4: 2, W5: 2, W6: 2 },
  },
]);

/** Every target of `TARGETS` within a run's selection, against the groups it measured. */
export function evaluateTargets(
  groups: readonly GroupFigures[],
  selection: Pick<Selection, 'tiers' | 'shapes' | 'workloads'>,
): TargetResult[] {
  const results: TargetResult[] = [];
  for (const spec of TARGETS.filter((target) => selection.tiers.includes(target.tier))) {
    for (const [workload, target] of Object.entries(spec.thresholds) as [WorkloadId, number][]) {
      if (!selection.workloads.includes(workload)) continue;
      for (const shape of selection.shapes) {
        const group = groups.find(
          (g) => g.tier === spec.tier && g.workload === workload && g.shape === shape,
        );
        results.push(evaluate(spec, workload, shape, target, group));
      }
    }
  }
  return results;
}

function evaluate(
  spec: TargetSpec,
  workload: WorkloadId,
  shape: ShapeId,
  target: number,
  group: GroupFigures | undefined,
): TargetResult {
  const base = { comparison: spec.comparison, tier: spec.tier, workload, shape, target };
  const divided = divide(group, spec.ours, spec.peer);
  if (divided.ratio === null)
    return { ...base, ratio: null, status: 'n/a', reason: divided.reason };
  const { ratio } = divided;
  return { ...base, ratio, status: ratio >= target ? 'pass' : 'miss' };
}

/** The median of `ours` over the median of `peer` in `group`, or why there is none. */
function divide(
  group: GroupFigures | undefined,
  ours: RunSelector,
  peer: RunSelector,
):
  | { readonly ratio: number; readonly reason?: undefined }
  | { readonly ratio: null; readonly reason: string } {
  if (group === undefined) return { ratio: null, reason: 'not run' };
  const mine = select(group, ours);
  const theirs = select(group, peer);
  for (const run of [mine, theirs]) {
    if (run === undefined) return { ratio: null, reason: 'not run' };
    if (run.status !== 'measured') return { ratio: null, reason: `${run.label}: ${run.reason}` };
  }
  return { ratio: medianOf(mine) / medianOf(theirs) };
}

function select(group: GroupFigures, selector: RunSelector): RunFigures | undefined {
  return group.runs.find((run) =>
    'impl' in selector ? run.impl === selector.impl : run.role === selector.role,
  );
}

function medianOf(run: RunFigures | undefined): number {
  return run?.status === 'measured' ? run.medianOpsPerSec : Number.NaN;
}

/** A ratio shown beside a target, for what it explains: no threshold of its own. */
export interface ReferenceSpec {
  /** What is compared, as the report prints it. */
  readonly comparison: string;
  /** The target (its `comparison`) the report prints this ratio under. */
  readonly beside: string;
  readonly tier: TierId;
  readonly ours: { readonly impl: ImplId };
  readonly peer: { readonly impl: ImplId };
  readonly workloads: readonly WorkloadId[];
}

/** One reference ratio of a run. */
export interface ReferenceResult {
  readonly comparison: string;
  readonly beside: string;
  readonly tier: TierId;
  readonly workload: WorkloadId;
  readonly shape: ShapeId;
  /** Median ops/s of `ours` over `peer`'s, or null when one is not measured. */
  readonly ratio: number | null;
  /** Why the ratio is null. */
  readonly reason?: string;
}

const DURABLE = 'sqlite grouped durable / lmdb (durable)';

/** The reference ratios, in report order. */
export const REFERENCES: readonly ReferenceSpec[] = Object.freeze([
  {
    comparison: "SQLite's ceiling: better-sqlite3-group / lmdb",
    beside: DURABLE,
    tier: 'sqlite',
    ours: { impl: 'better-sqlite3-group' },
    peer: { impl: 'lmdb' },
    workloads: ['W1', 'W2'],
  },
  {
    comparison: "the store's cost: sqlite grouped / better-sqlite3-group",
    beside: DURABLE,
    tier: 'sqlite',
    ours: { impl: 'multistore-sqlite-group' },
    peer: { impl: 'better-sqlite3-group' },
    workloads: ['W1', 'W2'],
  },
]);

/** Every reference ratio of `REFERENCES` within a run's selection. */
export function evaluateReferences(
  groups: readonly GroupFigures[],
  selection: Pick<Selection, 'tiers' | 'shapes' | 'workloads'>,
): ReferenceResult[] {
  const results: ReferenceResult[] = [];
  for (const spec of REFERENCES.filter((ref) => selection.tiers.includes(ref.tier))) {
    for (const workload of spec.workloads.filter((w) => selection.workloads.includes(w))) {
      for (const shape of selection.shapes) {
        const group = groups.find(
          (g) => g.tier === spec.tier && g.workload === workload && g.shape === shape,
        );
        const { ratio, reason } = divide(group, spec.ours, spec.peer);
        const { comparison, beside, tier } = spec;
        results.push({
          comparison,
          beside,
          tier,
          workload,
          shape,
          ratio,
          ...(reason && { reason }),
        });
      }
    }
  }
  return results;
}
