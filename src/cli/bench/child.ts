/**
 * Entry of a benchmark child process: one job (protocol.ts), then exit.
 *
 * Running each round in a fresh process keeps rounds independent: no JIT
 * state, heap or open file carries over from another implementation. Before
 * the measured run, the child runs the same workload once, untimed, on a
 * throw-away subject of the same implementation with up to
 * {@link WARMUP_OPS} operations: every implementation is then measured with
 * its code compiled, not while the JIT is still warming up (which otherwise
 * dominates small runs and favours the simplest code). The child prints one
 * JSON line and removes nothing: the harness owns the directory.
 *
 * The probe opens and closes each listed implementation in turn and reports
 * the first line of whatever stopped one (a package that is not installed,
 * a native module that does not load), so the harness can report it as
 * missing instead of failing the run.
 *
 * Rerun a round by hand (for instance to profile it):
 * `node --expose-gc --cpu-prof dist/cli/bench/child.js '{"job":"run","workload":"W3",...}'`.
 *
 * @module
 */

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ImplId } from './catalog.js';
import { UPDATE_PREFIX } from './data.js';
import { measureFootprint } from './footprint.js';
import {
  type FootprintParams,
  type ProbeParams,
  type ProbeResult,
  parseChildParams,
  type RunParams,
  type RunResult,
} from './protocol.js';
import { sizesFor } from './sizes.js';
import { openSubject } from './subjects/open.js';
import { runWorkload } from './workloads.js';

/** Operations of the untimed warm-up run (fewer when the measured run is smaller). */
export const WARMUP_OPS = 20_000;

async function run(params: RunParams): Promise<RunResult> {
  const table =
    params.workload === 'W7'
      ? { prefix: UPDATE_PREFIX, keepLastVersions: params.retention ? 1 : undefined }
      : undefined;
  const context = {
    sizes: sizesFor(params.n, params.shape, params.scanKeys),
    seed: params.seed,
    retention: params.retention,
    transactional: params.transactional === true,
  };
  const warmupDir = join(params.dir, 'warmup');
  mkdirSync(warmupDir, { recursive: true });
  const transactional = params.transactional === true;
  const server = params.postgresUrl === undefined ? {} : { postgresUrl: params.postgresUrl };
  const warmup = await openSubject(params.impl, {
    dir: warmupDir,
    transactional,
    ...server,
    ...(table && { table }),
  });
  try {
    const sizes = sizesFor(Math.min(params.n, WARMUP_OPS), params.shape, params.scanKeys);
    await runWorkload(params.workload, warmup, { ...context, seed: context.seed + 1, sizes });
  } finally {
    await warmup.close();
  }
  const subject = await openSubject(params.impl, {
    dir: params.dir,
    transactional,
    ...server,
    ...(table && { table }),
  });
  try {
    const measured = await runWorkload(params.workload, subject, context);
    return { ...measured, opsPerSec: measured.ops / (measured.elapsedMs / 1000) };
  } finally {
    await subject.close();
  }
}

async function footprint(params: FootprintParams) {
  const server = params.postgresUrl === undefined ? {} : { postgresUrl: params.postgresUrl };
  const subject = await openSubject(params.impl, { dir: params.dir, ...server });
  const sizes = sizesFor(params.n, params.shape, params.scanKeys);
  return measureFootprint(subject, params.dir, sizes, params.seed);
}

async function probe(params: ProbeParams): Promise<ProbeResult> {
  const result: Partial<Record<ImplId, string | null>> = {};
  for (const impl of params.impls) {
    const dir = join(params.dir, impl);
    mkdirSync(dir, { recursive: true });
    try {
      const server = params.postgresUrl === undefined ? {} : { postgresUrl: params.postgresUrl };
      const subject = await openSubject(impl, { dir, ...server });
      await subject.close();
      result[impl] = null;
    } catch (error) {
      result[impl] = firstLine(error);
    }
  }
  return result;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

try {
  const params = parseChildParams(process.argv[2]);
  const result =
    params.job === 'run'
      ? await run(params)
      : params.job === 'footprint'
        ? await footprint(params)
        : await probe(params);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  process.stderr.write(`${firstLine(error)}\n`);
  process.exitCode = 1;
}
