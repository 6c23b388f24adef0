/**
 * Entry of a benchmark child process: one round of one (workload,
 * implementation) pair, then exit.
 *
 * Running each round in a fresh process keeps rounds independent: no JIT
 * state, heap or open file carries over from another implementation. The
 * child prints one JSON line (protocol.ts) and removes nothing: the harness
 * owns the directory.
 *
 * Rerun a round by hand (for instance to profile it):
 * `node --expose-gc --cpu-prof dist/cli/bench/child.js '{"workload":"W3",...}'`.
 *
 * @module
 */

import { UPDATE_PREFIX } from './data.js';
import { sizesFor } from './plan.js';
import { type ChildResult, parseChildParams } from './protocol.js';
import { openSubject } from './subjects/open.js';
import { runWorkload } from './workloads.js';

async function main(): Promise<void> {
  const params = parseChildParams(process.argv[2]);
  const table =
    params.workload === 'W7'
      ? { prefix: UPDATE_PREFIX, keepLastVersions: params.retention ? 1 : undefined }
      : undefined;
  const subject = await openSubject(params.impl, { dir: params.dir, ...(table && { table }) });
  try {
    const context = {
      sizes: sizesFor(params.n, params.scanKeys),
      seed: params.seed,
      retention: params.retention,
    };
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
