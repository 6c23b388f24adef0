/**
 * What the harness and a child process say to each other.
 *
 * ```
 *   harness ── node --expose-gc dist/cli/bench/child.js '<ChildParams JSON>' ──► child
 *   harness ◄── one line of result JSON on stdout (exit 0) ──────────────────────┘
 *           ◄── one line of error on stderr (exit 1)
 * ```
 *
 * A child does one of three jobs:
 *
 * ```
 *   run        one round of one (workload, implementation, shape)  -> RunResult
 *   footprint  one implementation holding one shape's history      -> Footprint (footprint.ts)
 *   probe      open and close each listed implementation           -> ProbeResult
 * ```
 *
 * Parameters travel as JSON on the command line, so a child can be rerun by
 * hand, for instance under `node --cpu-prof`, with the same arguments.
 *
 * @module
 */

import { IMPLEMENTATIONS, type ImplId } from './catalog.js';
import { BenchError } from './errors.js';
import { SHAPES, type ShapeId, WORKLOADS, type WorkloadId } from './plan.js';
import type { Measurement } from './workloads.js';

/** What every job that touches data needs. */
interface DataParams {
  readonly impl: ImplId;
  readonly shape: ShapeId;
  readonly n: number;
  /** Keys per W5 scan (also the least number of shallow history keys). */
  readonly scanKeys: number;
  readonly seed: number;
  /** A fresh directory for the implementation's files (removed by the harness). */
  readonly dir: string;
  /** The PostgreSQL tier's server, when the run has one. */
  readonly postgresUrl?: string;
}

/** One round of one (workload, implementation, shape). */
export interface RunParams extends DataParams {
  readonly job: 'run';
  readonly workload: WorkloadId;
  /** W7: run on a `keepLastVersions: 1` table (else on the same table without retention). */
  readonly retention: boolean;
  /** W9, W10: read-modify-writes in transactions (absent or false: in plain commits). */
  readonly transactional?: boolean;
}

/** The footprint of one implementation holding one shape's history. */
export interface FootprintParams extends DataParams {
  readonly job: 'footprint';
}

/** Which implementations can be loaded here. */
export interface ProbeParams {
  readonly job: 'probe';
  readonly impls: readonly ImplId[];
  /** A fresh directory to open each implementation in. */
  readonly dir: string;
  /** The PostgreSQL tier's server, when the run has one. */
  readonly postgresUrl?: string;
}

/** Everything a child can be asked. */
export type ChildParams = RunParams | FootprintParams | ProbeParams;

/** One round's figures, as the child prints them. */
export interface RunResult extends Measurement {
  readonly opsPerSec: number;
}

/** Per implementation: `null` when it loads, else why it does not (one line). */
export type ProbeResult = Readonly<Partial<Record<ImplId, string | null>>>;

/** Parse and check the JSON parameters of a child. */
export function parseChildParams(text: string | undefined): ChildParams {
  let raw: unknown;
  try {
    raw = JSON.parse(text ?? '');
  } catch {
    throw new BenchError('child: the first argument must be the JSON parameters');
  }
  const params = raw as Record<string, unknown> | null;
  if (typeof params !== 'object' || params === null)
    throw new BenchError('child: parameters must be an object');
  if (typeof params.dir !== 'string' || params.dir === '')
    throw new BenchError('child: dir must be a path');
  if (params.postgresUrl !== undefined && typeof params.postgresUrl !== 'string')
    throw new BenchError('child: postgresUrl must be a connection string');
  switch (params.job) {
    case 'probe':
      if (!Array.isArray(params.impls) || !params.impls.every(isImpl))
        throw new BenchError('child: impls must list implementations');
      return params as unknown as ProbeParams;
    case 'footprint':
      checkDataParams(params);
      return params as unknown as FootprintParams;
    case 'run':
      checkDataParams(params);
      if (!WORKLOADS.includes(params.workload as WorkloadId))
        throw new BenchError(`child: unknown workload ${String(params.workload)}`);
      if (typeof params.retention !== 'boolean')
        throw new BenchError('child: retention must be a boolean');
      if (params.transactional !== undefined && typeof params.transactional !== 'boolean')
        throw new BenchError('child: transactional must be a boolean');
      return params as unknown as RunParams;
    default:
      throw new BenchError(`child: unknown job ${String(params.job)}`);
  }
}

function checkDataParams(params: Record<string, unknown>): void {
  if (!isImpl(params.impl))
    throw new BenchError(`child: unknown implementation ${String(params.impl)}`);
  if (!SHAPES.includes(params.shape as ShapeId))
    throw new BenchError(`child: unknown shape ${String(params.shape)}`);
  for (const name of ['n', 'scanKeys'] as const) {
    const value = params[name];
    if (!Number.isSafeInteger(value) || (value as number) <= 0)
      throw new BenchError(`child: ${name} must be a positive integer`);
  }
  if (!Number.isSafeInteger(params.seed)) throw new BenchError('child: seed must be an integer');
}

function isImpl(value: unknown): value is ImplId {
  return IMPLEMENTATIONS.includes(value as ImplId);
}
