/**
 * Entry of a benchmark child process: one round of one (workload,
 * implementation) pair, then exit.
 *
 * Running each round in a fresh process keeps rounds independent: no JIT
 * state, heap or open file carries over from another implementation. Before
 * the measured run, the child runs the same workload once, untimed, on a
 * throw-away subject of the same implementation with up to
 * {@link WARMUP_OPS} operations: every implementation is then measured with
 * its code compiled, not while the JIT is still warming up (which otherwise
 * dominates small runs and favours the simplest code). The child prints one
 * JSON line (protocol.ts) and removes nothing: the harness owns the directory.
 *
 * Rerun a round by hand (for instance to profile it):
 * `node --expose-gc --cpu-prof dist/cli/bench/child.js '{"workload":"W3",...}'`.
 *
 * @module
 */

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UPDATE_PREFIX } from './data.js';
import { sizesFor } from './plan.js';
import { type ChildResult, parseChildParams } from './protocol.js';
import { openSubject } from './subjects/open.js';
import { runWorkload } from './workloads.js';

/** Operations of the untimed warm-up run (fewer when the measured run is smaller). */
export const WARMUP_OPS = 20_000;

async function main(): Promise<void> {
  const params = parseChildParams(process.argv[2]);
  const table =
    params.workload === 'W7'
      ? { prefix: UPDATE_PREFIX, keepLastVersions: params.retention ? 1 : undefined }
      : undefined;
  const context = {
    sizes: sizesFor(params.n, params.scanKeys),
    seed: params.seed,
    retention: params.retention,
  };
  const warmupDir = join(params.dir, 'warmup');
  mkdirSync(warmupDir, { recursive: true });
  const warmup = await openSubject(params.impl, { dir: warmupDir, ...(table && { table }) });
  try {
    const sizes = sizesFor(Math.min(params.n, WARMUP_OPS), params.scanKeys);
    await runWorkload(params.workload, warmup, { ...context, seed: context.seed + 1, sizes });
  } finally {
    await warmup.close();
  }
  const subject = await openSubject(params.impl, { dir: params.dir, ...(table && { table }) });
  try {
    const measured = await runWorkload(params.workload, subject, context);
    const result: ChildResult = {
      ...measured,
      opsPerSec: measured.ops / (measured.elapsedMs / 1000),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await subject.close();
  }
}

try {
  await main();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
