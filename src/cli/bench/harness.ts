/**
 * The harness: probes which implementations load, runs every (workload,
 * implementation, shape) in child processes, round after round, measures
 * each implementation's footprint, and folds it all into one report.
 *
 * ```
 *   probe        one child opens and closes every implementation the run needs
 *   groups       per tier, workload and shape: the rounds, interleaved
 *   footprints   per implementation and shape: one child
 *   targets      ratios against the targets, and the reference ratios beside them (targets.ts)
 * ```
 *
 * Rounds of a group are interleaved, so that a burst of machine noise hits
 * every implementation of the group alike instead of one of them:
 *
 * ```
 *   W1 memory shallow:  ours r1, peer r1, ours r2, peer r2, ... ours r5, peer r5  -> medians
 *   W1 sqlite shallow:  ours r1, peer r1, lmdb r1, ... hyperbee r1, ours r2, peer r2, ...
 * ```
 *
 * Every child gets a fresh directory in one temporary root (removed at the
 * end) and the same seed, so all implementations of a group work on the same
 * data; the figures check that they all report the same checksum, and fail
 * the run if not. An implementation that does not load is reported as
 * missing and the rest runs; a child that fails once started fails the run.
 *
 * @module
 */

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type ImplId, implementation } from './catalog.js';
import { BenchError } from './errors.js';
import {
  type BenchReport,
  type FootprintFigures,
  type GroupFigures,
  type RunOutcome,
  summarizeGroup,
  type TimedResult,
} from './figures.js';
import type { Footprint } from './footprint.js';
import { type Group, planGroups, type RunSpec, type Selection, type ShapeId } from './plan.js';
import type { ChildParams, ProbeResult, RunResult } from './protocol.js';
import { SCAN_KEYS, type Sizes, sizesFor } from './sizes.js';
import { evaluateReferences, evaluateTargets } from './targets.js';

/** How to run the benchmark. */
export interface BenchOptions extends Selection {
  readonly n: number;
  readonly seed: number;
  /** Keys per W5 scan (default 1,000; smaller only in tests). */
  readonly scanKeys?: number;
  /** Told before and after each child of a round or footprint. */
  readonly onProgress?: (event: ProgressEvent) => void;
  /**
   * Children the caller runs after these (W8's), counted in the progress
   * total so that it covers the whole command; the caller numbers them on.
   */
  readonly laterChildren?: number;
}

/** One child starting or finished, with the count of children done and in all. */
export interface ProgressEvent {
  readonly kind: 'start' | 'done';
  readonly done: number;
  readonly total: number;
  /** What the child does: `W3 deep sqlite multistore-sqlite round 2/5`. */
  readonly what: string;
  /** `done` only: the child's wall time. */
  readonly elapsedMs?: number;
}

/** Where the run stands, for progress. */
interface RunState {
  readonly options: BenchOptions;
  readonly root: string;
  readonly scanKeys: number;
  readonly available: ReadonlyMap<ImplId, string | null>;
  /** The PostgreSQL tier's server, when the run has one. */
  readonly postgresUrl: string | undefined;
  readonly total: number;
  done: number;
}

const CHILD_SCRIPT = fileURLToPath(new URL('./child.js', import.meta.url));
/** `--expose-gc` lets a child collect setup garbage before timing, and measure retained heap. */
const CHILD_NODE_FLAGS = Object.freeze(['--expose-gc']);
const CHILD_BUFFER_BYTES = 1 << 20;

/** Run the selection and return the figures. */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const started = Date.now();
  const scanKeys = options.scanKeys ?? SCAN_KEYS;
  const groups = planGroups(options);
  const impls = [...new Set(groups.flatMap((group) => group.runs.map((run) => run.impl)))];
  const root = await mkdtemp(join(tmpdir(), 'multistore-bench-'));
  const server = await postgresServer(impls);
  try {
    const available = await probe(impls, root, server);
    const loadable = impls.filter((impl) => available.get(impl) === null);
    const total =
      groups.reduce((sum, group) => sum + childrenOf(group, available), 0) +
      loadable.length * options.shapes.length +
      (options.laterChildren ?? 0);
    const postgresUrl = server.url;
    const state: RunState = { options, root, scanKeys, available, postgresUrl, total, done: 0 };
    const figures: GroupFigures[] = [];
    for (const group of groups) figures.push(await runGroup(group, state));
    const footprints: FootprintFigures[] = [];
    for (const impl of impls) {
      for (const shape of options.shapes) footprints.push(await runFootprint(impl, shape, state));
    }
    return {
      date: new Date(started).toISOString(),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: { count: availableParallelism(), model: cpus()[0]?.model ?? 'unknown' },
      n: sizesFor(options.n, 'deep', scanKeys).n,
      rounds: options.rounds,
      otherPeerRounds: options.otherRounds,
      seed: options.seed,
      tiers: [...options.tiers],
      shapes: [...options.shapes],
      workloads: [...options.workloads],
      sizes: sizesByShape(options, scanKeys),
      missing: impls.flatMap((impl) => {
        const reason = available.get(impl);
        return reason == null ? [] : [{ impl, reason }];
      }),
      groups: figures,
      footprints,
      targets: evaluateTargets(figures, options),
      references: evaluateReferences(figures, options),
      wallTimeMs: Date.now() - started,
    };
  } finally {
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
}

/** The PostgreSQL tier's server: its URL, or why there is none. */
interface BenchServer {
  readonly url?: string;
  readonly problem?: string;
  close(): Promise<void>;
}

/**
 * When the run measures the PostgreSQL tier: `MULTISTORE_PG_URL`, or a
 * private throw-away cluster started here (removed at the end); when
 * neither can be had, the reason, and the tier's implementations are
 * reported as missing.
 */
async function postgresServer(impls: readonly ImplId[]): Promise<BenchServer> {
  const none = { close: async () => {} };
  if (!impls.some((impl) => implementation(impl).tier === 'postgres')) return none;
  const { postgresAvailable, testServer } = await import('../../postgres/cluster.js');
  if (!postgresAvailable()) {
    return {
      ...none,
      problem: 'PostgreSQL is not installed (no initdb) and MULTISTORE_PG_URL is not set',
    };
  }
  try {
    const server = await testServer();
    return { url: server.url, close: () => server.close() };
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    return { ...none, problem: `the PostgreSQL server did not start: ${reason}` };
  }
}

function sizesByShape(options: BenchOptions, scanKeys: number): Partial<Record<ShapeId, Sizes>> {
  return Object.fromEntries(
    options.shapes.map((shape) => [shape, sizesFor(options.n, shape, scanKeys)]),
  );
}

/** Which implementations load here: `null`, or the reason one does not. */
async function probe(
  impls: readonly ImplId[],
  root: string,
  server: BenchServer,
): Promise<Map<ImplId, string | null>> {
  const dir = await mkdtemp(join(root, 'probe-'));
  const serverless = (impl: ImplId) =>
    server.problem !== undefined && implementation(impl).tier === 'postgres';
  const probed = impls.filter((impl) => !serverless(impl));
  const params = { job: 'probe', impls: probed, dir, ...urlOf(server.url) } as const;
  const result = (await runChild(params, 'probe')) as ProbeResult;
  return new Map(
    impls.map((impl) => [
      impl,
      serverless(impl) ? (server.problem ?? null) : (result[impl] ?? null),
    ]),
  );
}

/** The `postgresUrl` of a child's parameters, when the run has a server. */
function urlOf(url: string | undefined): { postgresUrl?: string } {
  return url === undefined ? {} : { postgresUrl: url };
}

/** Children a group starts: the rounds of every run that can run. */
function childrenOf(group: Group, available: ReadonlyMap<ImplId, string | null>): number {
  return group.runs
    .filter((run) => run.unsupported === undefined && available.get(run.impl) === null)
    .reduce((sum, run) => sum + run.rounds, 0);
}

async function runGroup(group: Group, state: RunState): Promise<GroupFigures> {
  const outcomes: RunOutcome[] = group.runs.map((run) => skipped(run, state));
  const results: TimedResult[][] = group.runs.map(() => []);
  const rounds = Math.max(0, ...group.runs.map((run) => run.rounds));
  for (let round = 1; round <= rounds; round++) {
    for (const [index, run] of group.runs.entries()) {
      if ('status' in (outcomes[index] as RunOutcome) || round > run.rounds) continue;
      const what = `${group.workload} ${group.shape} ${group.tier} ${run.label} round ${round}/${run.rounds}`;
      (results[index] as TimedResult[]).push(await runRound(group, run, state, what));
    }
  }
  return summarizeGroup(
    group,
    outcomes.map((outcome, index) =>
      'status' in outcome ? outcome : { results: results[index] as TimedResult[] },
    ),
  );
}

/** Why `run` is not run (not applicable, or its implementation is missing), or empty results. */
function skipped(run: RunSpec, state: RunState): RunOutcome {
  if (run.unsupported !== undefined) return { status: 'n/a', reason: run.unsupported };
  const missing = state.available.get(run.impl);
  if (missing != null) return { status: 'missing', reason: missing };
  return { results: [] };
}

/** One round of one implementation, in a fresh directory removed afterwards. */
async function runRound(
  group: Group,
  run: RunSpec,
  state: RunState,
  what: string,
): Promise<TimedResult> {
  const dir = await mkdtemp(join(state.root, `${group.workload}-${run.impl}-`));
  const params: ChildParams = {
    job: 'run',
    workload: group.workload,
    impl: run.impl,
    shape: group.shape,
    retention: run.retention,
    ...(run.transactional !== undefined && { transactional: run.transactional }),
    n: state.options.n,
    scanKeys: state.scanKeys,
    seed: state.options.seed,
    dir,
    ...urlOf(state.postgresUrl),
  };
  try {
    const { result, wallMs } = await timedChild(params, what, state);
    return { ...(result as RunResult), childWallMs: wallMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function runFootprint(
  impl: ImplId,
  shape: ShapeId,
  state: RunState,
): Promise<FootprintFigures> {
  const missing = state.available.get(impl);
  if (missing != null) return { impl, shape, status: 'missing', reason: missing };
  const dir = await mkdtemp(join(state.root, `footprint-${impl}-`));
  const { options } = state;
  const params: ChildParams = {
    job: 'footprint',
    impl,
    shape,
    n: options.n,
    scanKeys: state.scanKeys,
    seed: options.seed,
    dir,
    ...urlOf(state.postgresUrl),
  };
  try {
    const { result } = await timedChild(params, `footprint ${shape} ${impl}`, state);
    return { impl, shape, status: 'measured', ...(result as Footprint) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Run a child, telling progress before and after. */
async function timedChild(
  params: ChildParams,
  what: string,
  state: RunState,
): Promise<{ result: unknown; wallMs: number }> {
  const { onProgress } = state.options;
  onProgress?.({ kind: 'start', done: state.done, total: state.total, what });
  const started = performance.now();
  const result = await runChild(params, what);
  const wallMs = performance.now() - started;
  state.done++;
  onProgress?.({ kind: 'done', done: state.done, total: state.total, what, elapsedMs: wallMs });
  return { result, wallMs };
}

/** Run one child process and parse its one-line result. */
async function runChild(params: ChildParams, what: string): Promise<unknown> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(
      process.execPath,
      [...CHILD_NODE_FLAGS, CHILD_SCRIPT, JSON.stringify(params)],
      { maxBuffer: CHILD_BUFFER_BYTES },
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
    return JSON.parse(line) as unknown;
  } catch {
    throw new BenchError(`${what}: the child printed no result`);
  }
}

const execFileAsync = promisify(execFile);
