/**
 * What the harness and a child process say to each other.
 *
 * ```
 *   harness ── node [--expose-gc] dist/cli/bench/child.js '<ChildParams JSON>' ──► child
 *   harness ◄── one line of ChildResult JSON on stdout (exit 0) ─────────────────┘
 *           ◄── one line of error on stderr (exit 1)
 * ```
 *
 * Parameters travel as JSON on the command line, so a child can be rerun by
 * hand, for instance under `node --cpu-prof`, with the same arguments.
 *
 * @module
 */

import { BenchError } from './errors.js';
import { IMPLEMENTATIONS, type ImplId, WORKLOADS, type WorkloadId } from './plan.js';
import type { Measurement } from './workloads.js';

/** Everything a child needs to run one round of one (workload, implementation) pair. */
export interface ChildParams {
  readonly workload: WorkloadId;
  readonly impl: ImplId;
  /** W7: run on a `keepLastVersions: 1` table (else on the same table without retention). */
  readonly retention: boolean;
  readonly n: number;
  /** Keys per W5 scan (also the least number of history keys). */
  readonly scanKeys: number;
  readonly seed: number;
  /** A fresh directory for the implementation's files (removed by the harness). */
  readonly dir: string;
}

/** One round's figures, as the child prints them. */
export interface ChildResult extends Measurement {
  readonly opsPerSec: number;
}

/** Parse and check the JSON parameters of a child. */
export function parseChildParams(text: string | undefined): ChildParams {
  let raw: unknown;
  try {
    raw = JSON.parse(text ?? '');
  } catch {
    throw new BenchError('child: the first argument must be the JSON parameters');
  }
  const params = raw as Partial<ChildParams> | null;
  if (typeof params !== 'object' || params === null)
    throw new BenchError('child: parameters must be an object');
  if (!WORKLOADS.includes(params.workload as WorkloadId))
    throw new BenchError(`child: unknown workload ${String(params.workload)}`);
  if (!IMPLEMENTATIONS.includes(params.impl as ImplId))
    throw new BenchError(`child: unknown implementation ${String(params.impl)}`);
  if (!Number.isSafeInteger(params.n) || (params.n as number) <= 0)
    throw new BenchError('child: n must be a positive integer');
  if (!Number.isSafeInteger(params.scanKeys) || (params.scanKeys as number) <= 0) {
    throw new BenchError('child: scanKeys must be a positive integer');
  }
  if (!Number.isSafeInteger(params.seed)) throw new BenchError('child: seed must be an integer');
  if (typeof params.dir !== 'string' || params.dir === '')
    throw new BenchError('child: dir must be a path');
  return params as ChildParams;
}
