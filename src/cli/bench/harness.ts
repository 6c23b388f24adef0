/**
 * The harness: runs every (workload, implementation) pair in child
 * processes, round after round, and folds the rounds into medians and ratios.
 *
 * Rounds of a group are interleaved, so that a burst of machine noise hits
 * every implementation of the group alike instead of one of them:
 *
 * ```
 *   W1 memory:  ours r1, peer r1, ours r2, peer r2, ours r3, peer r3  -> medians -> ratio
 *   W2 memory:  ...
 *   W1 sqlite:  ours r1, peer r1, lmdb r1, lmdb-nosync r1, ours r2, ...
 * ```
 *
 * Every child gets a fresh directory in one temporary root (removed at the
 * end) and the same seed, so all implementations of a group work on the same
 * data; the harness checks that they all report the same checksum, and fails
 * the run if not.
 *
 * @module
 */

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BenchError } from './errors.js';
import {
  type Group,
  type ImplId,
  planGroups,
  type RunSpec,
  SCAN_KEYS,
  type Sizes,
  sizesFor,
  TARGETS,
  type TierId,
  WORKLOAD_TITLES,
  type WorkloadId,
} from './plan.js';
import type { ChildParams, ChildResult } from './protocol.js';

const execFileAsync = promisify(execFile);

/** Rounds run so far, for progress. */
interface Counter {
  done: number;
  readonly total: number;
}

/** A child's result and how long its process ran. */
interface TimedResult extends ChildResult {
  readonly childWallMs: number;
}

/** How to run the benchmark. */
export interface BenchOptions {
  readonly n: number;
  readonly rounds: number;
  readonly tiers: readonly TierId[];
  readonly seed: number;
  /** Keys per W5 scan (default 1,000; smaller only in tests). */
  readonly scanKeys?: number;
  /** Called before each child starts, with the rounds done so far and the total. */
  readonly onProgress?: (done: number, total: number, what: string) => void;
}

/** One implementation's figures in a group. */
export interface RunFigures {
  readonly impl: ImplId;
  readonly label: string;
  readonly role: RunSpec['role'];
  readonly retention: boolean;
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
}

/** One workload on one tier: its runs and the ratio ours / peer. */
export interface GroupFigures {
  readonly workload: WorkloadId;
  readonly title: string;
  readonly tier: TierId;
  readonly runs: readonly RunFigures[];
  /** Median ops/s of ours over median ops/s of the peer (W7: retention over plain). */
  readonly ratio: number;
  readonly target: number;
  readonly met: boolean;
}

/** Everything one benchmark run measured. */
export interface BenchReport {
  readonly date: string;
  readonly node: string;
  readonly platform: string;
  readonly cpus: { readonly count: number; readonly model: string };
  readonly n: number;
  readonly sizes: Sizes;
  readonly rounds: number;
  readonly seed: number;
  readonly tiers: readonly TierId[];
  readonly groups: readonly GroupFigures[];
  readonly wallTimeMs: number;
}

const CHILD_SCRIPT = fileURLToPath(new URL('./child.js', import.meta.url));
/** `--expose-gc` lets a child collect setup garbage before timing. */
const CHILD_NODE_FLAGS = Object.freeze(['--expose-gc']);
const CHILD_BUFFER_BYTES = 1 << 20;

/** Run every group of `options.tiers` and return the figures. */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const started = Date.now();
  const sizes = sizesFor(options.n, options.scanKeys);
  const groups = planGroups(options.tiers);
  const total = groups.reduce((sum, group) => sum + group.runs.length, 0) * options.rounds;
  const root = await mkdtemp(join(tmpdir(), 'multistore-bench-'));
  const counter: Counter = { done: 0, total };
  try {
    const figures: GroupFigures[] = [];
    const sized = { ...options, n: sizes.n, scanKeys: sizes.scanKeys };
    for (const group of groups) figures.push(await runGroup(group, sized, root, counter));
    return {
      date: new Date(started).toISOString(),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: { count: availableParallelism(), model: cpus()[0]?.model ?? 'unknown' },
      n: sizes.n,
      sizes,
      rounds: options.rounds,
      seed: options.seed,
      tiers: [...options.tiers],
      groups: figures,
      wallTimeMs: Date.now() - started,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function runGroup(
  group: Group,
  options: BenchOptions,
  root: string,
  counter: Counter,
): Promise<GroupFigures> {
  const results: TimedResult[][] = group.runs.map(() => []);
  for (let round = 1; round <= options.rounds; round++) {
    for (const [index, run] of group.runs.entries()) {
      const what = `${group.workload} ${group.tier} ${run.label} (round ${round}/${options.rounds})`;
      options.onProgress?.(counter.done, counter.total, what);
      (results[index] as TimedResult[]).push(await runRound(group, run, options, root, what));
      counter.done++;
    }
  }
  options.onProgress?.(counter.done, counter.total, `${group.workload} ${group.tier} done`);
  return summarize(group, results);
}

/** One round of one implementation, in a fresh directory removed afterwards. */
async function runRound(
  group: Group,
  run: RunSpec,
  options: BenchOptions,
  root: string,
  what: string,
): Promise<TimedResult> {
  const params: ChildParams = {
    workload: group.workload,
    impl: run.impl,
    retention: run.retention,
    n: options.n,
    scanKeys: options.scanKeys ?? SCAN_KEYS,
    seed: options.seed,
    dir: await mkdtemp(join(root, `${group.workload}-${run.impl}-`)),
  };
  try {
    const started = performance.now();
    const result = await runChild(params, what);
    return { ...result, childWallMs: performance.now() - started };
  } finally {
    await rm(params.dir, { recursive: true, force: true });
  }
}

/** Run one round in a child process and parse its one-line result. */
async function runChild(params: ChildParams, what: string): Promise<ChildResult> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(
      process.execPath,
      [...CHILD_NODE_FLAGS, CHILD_SCRIPT, JSON.stringify(params)],
      {
        maxBuffer: CHILD_BUFFER_BYTES,
      },
    ));
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    const reason = stderr
      ? stderr.split('\n')[0]
      : error instanceof Error
        ? error.message
        : String(error);
    throw new BenchError(`${what} failed: ${reason}`);
  }
  const line = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as ChildResult;
  } catch {
    throw new BenchError(`${what}: the child printed no result`);
  }
}

function summarize(group: Group, results: readonly TimedResult[][]): GroupFigures {
  const runs = group.runs.map((run, index) => runFigures(run, results[index] as TimedResult[]));
  checkSameWork(group, runs, results);
  const ours = runs.find((run) => run.role === 'ours');
  const peer = runs.find((run) => run.role === 'peer');
  const ratio =
    ours !== undefined && peer !== undefined
      ? ours.medianOpsPerSec / peer.medianOpsPerSec
      : Number.NaN;
  const target = TARGETS[group.workload][group.tier];
  return {
    workload: group.workload,
    title: WORKLOAD_TITLES[group.workload],
    tier: group.tier,
    runs,
    ratio,
    target,
    met: ratio >= target,
  };
}

function runFigures(run: RunSpec, results: readonly TimedResult[]): RunFigures {
  const first = results[0];
  if (first === undefined) throw new BenchError(`${run.label}: no round was run`);
  const rounds = results.map((result) => result.opsPerSec);
  return {
    impl: run.impl,
    label: run.label,
    role: run.role,
    retention: run.retention,
    medianOpsPerSec: median(rounds),
    rounds,
    ops: first.ops,
    elapsedMs: results.map((result) => result.elapsedMs),
    childWallMs: results.map((result) => Math.round(result.childWallMs)),
    checksum: first.checksum,
    ...(first.versionsPerKey && { versionsPerKey: first.versionsPerKey }),
  };
}

/** Every round of every implementation must have read the same things. */
function checkSameWork(
  group: Group,
  runs: readonly RunFigures[],
  results: readonly ChildResult[][],
): void {
  const expected = runs[0] as RunFigures;
  for (const [index, run] of runs.entries()) {
    for (const result of results[index] as ChildResult[]) {
      if (result.checksum !== expected.checksum || result.ops !== expected.ops) {
        throw new BenchError(
          `${group.workload} ${group.tier}: ${run.label} read checksum ${result.checksum} over ${result.ops} ops, ` +
            `${expected.label} ${expected.checksum} over ${expected.ops}: the implementations did not do the same work`,
        );
      }
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
