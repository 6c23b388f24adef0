/**
 * The crash test loop: kill a committing child again and again, check each time.
 *
 * ```
 *   temp dir / crash.db   (one file for the whole run: state accumulates)
 *   for each iteration:
 *     plan (from seed, iteration): when to kill, actor mode, drop-worker tuning,
 *                                  SQLite locking (normal, or exclusive: no shared-memory WAL index),
 *                                  commits (plain, or grouped: commitAsync, acked once durable)
 *     runChild ─► SIGKILL ─► checkAfterCrash (reopen, compare with the model,
 *                                            flush, commit one more, close)
 *     one line: iteration, acks, kill moment, latest version, outcome
 *   "N passed, N failed"
 * ```
 *
 * Kill moments: mostly 20-300 ms after the child said "started"; sometimes
 * within 3 ms of it (with a 5 ms warm-up in the child, so before the first
 * commit), sometimes 0-40 ms after spawn (before the store is even open), and
 * sometimes never: the child stops by itself after a few hundred commits and
 * closes the store cleanly. The seed fixes each iteration's plan and the
 * workload; where the SIGKILL lands is up to the machine, and every landing
 * must pass. What the checks may demand of a file whose drops a crash may have
 * lost is the rule in model.ts; the content of every commit is recomputed
 * from the seed (workload.ts).
 *
 * @module
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type CheckReport, checkAfterCrash } from './check.js';
import { type ChildLife, type ChildPlan, type KillMode, runChild } from './child-run.js';
import { CrashModel } from './model.js';
import { MAX_BURST, Rng } from './workload.js';

/** Options of {@link runCrashTest}. */
export interface CrashTestOptions {
  readonly iterations: number;
  readonly seed: number;
  /** Keep the temp dir (it is also kept when an iteration fails). */
  readonly keepDir?: boolean;
  /** Where the per-iteration lines go (default: stdout). */
  readonly log?: (line: string) => void;
  /** Kill a child that has not ended after this long (default 30 s). */
  readonly childTimeoutMs?: number;
}

/** The outcome of one iteration. */
export interface IterationResult {
  readonly iteration: number;
  readonly plan: ChildPlan;
  readonly life: ChildLife;
  readonly report: CheckReport;
  readonly problems: readonly string[];
}

/** The outcome of a run. */
export interface CrashTestSummary {
  readonly passed: number;
  readonly failed: number;
  readonly seed: number;
  /** The temp dir, when kept. */
  readonly dir: string | undefined;
  /** Iterations whose reopen found drop requests pending in the file's log. */
  readonly reopenedWithPending: number;
  /** Drop requests recovered from the log over the run. */
  readonly recovered: number;
  /** Iterations whose child had requests parked behind a snapshot at its last report before the kill. */
  readonly killedWithParked: number;
  readonly results: readonly IterationResult[];
}

/** Run the crash test; resolves with counts (it never throws for a failed iteration). */
export async function runCrashTest(options: CrashTestOptions): Promise<CrashTestSummary> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dir = mkdtempSync(join(tmpdir(), 'multistore-crash-'));
  const path = join(dir, 'crash.db');
  const model = new CrashModel(options.seed);
  const results: IterationResult[] = [];
  log(`crash test: ${options.iterations} iterations, seed ${options.seed}, file ${path}`);
  for (let iteration = 1; iteration <= options.iterations; iteration++) {
    const result = await runIteration(options, path, model, iteration);
    results.push(result);
    log(describeIteration(result, options.iterations));
    for (const problem of result.problems) log(`    - ${problem}`);
    if (result.report.fatal) {
      const left = options.iterations - iteration;
      log(
        `aborted after iteration ${iteration}: the file can no longer be checked (${left} not run, counted as failed)`,
      );
      break;
    }
  }
  const passed = results.filter((result) => result.problems.length === 0).length;
  const failed = options.iterations - passed;
  const keep = options.keepDir === true || failed > 0;
  if (keep) log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
  const pending = results.filter((result) => result.report.recovered > 0);
  return {
    passed,
    failed,
    seed: options.seed,
    dir: keep ? dir : undefined,
    results,
    reopenedWithPending: pending.length,
    recovered: pending.reduce((sum, result) => sum + result.report.recovered, 0),
    killedWithParked: results.filter((result) => result.life.killed && result.life.parked > 0)
      .length,
  };
}

/** One child's life and the check after it. */
async function runIteration(
  options: CrashTestOptions,
  path: string,
  model: CrashModel,
  iteration: number,
): Promise<IterationResult> {
  const plan = planIteration(options, path, iteration);
  const life = await runChild(plan);
  rmSync(plan.outputPath, { force: true });
  const report = await checkAfterCrash(
    path,
    model,
    life,
    plan.commits === 'grouped' ? MAX_BURST : 1,
  );
  const problems = [...lifeProblems(plan, life), ...report.problems];
  return { iteration, plan, life, report, problems };
}

/** The iteration's child plan, fixed by (seed, iteration). */
export function planIteration(
  options: Pick<CrashTestOptions, 'seed' | 'childTimeoutMs'>,
  path: string,
  iteration: number,
): ChildPlan {
  const rng = new Rng(options.seed, iteration, 0x1ce);
  const roll = rng.next();
  const kill: KillMode =
    roll < 0.08 ? 'at-spawn' : roll < 0.16 ? 'at-start' : roll < 0.22 ? 'self-exit' : 'running';
  return {
    path,
    outputPath: join(dirname(path), `child-${iteration}.out`),
    seed: options.seed,
    runSeed: rng.below(2 ** 31),
    kill,
    delayMs: killDelay(rng, kill),
    maxCommits: kill === 'self-exit' ? rng.between(1, 300) : undefined,
    warmupMs: kill === 'at-start' ? 5 : 0,
    mode: rng.next() < 0.25 ? 'inline' : 'event-loop',
    dropWorker: {
      batchSize: rng.pick([1, 4, 32, 100]),
      flushIntervalMs: rng.pick([0, 2, 50]),
      mailboxCapacity: rng.pick([2, 16, 256]),
    },
    // Drawn last, so the other fields of a seed's plans stay what they were.
    locking: rng.next() < 0.3 ? 'exclusive' : 'normal',
    // Drawn after locking, for the same reason.
    commits: rng.next() < 0.4 ? 'grouped' : 'sync',
    timeoutMs: options.childTimeoutMs ?? 30_000,
  };
}

/** Milliseconds after spawn ('at-spawn') or after "started" (the others). */
function killDelay(rng: Rng, kill: KillMode): number {
  switch (kill) {
    case 'at-spawn':
      return rng.between(0, 40);
    case 'at-start':
      return rng.between(0, 3);
    case 'running':
      return rng.between(20, 300);
    case 'self-exit':
      return 0;
  }
}

/** What went wrong with the child itself (independent of the file's content). */
function lifeProblems(plan: ChildPlan, life: ChildLife): string[] {
  const problems: string[] = [];
  if (life.spawnError !== undefined) problems.push(`child could not run: ${life.spawnError}`);
  if (life.timedOut)
    problems.push(
      `child killed after the ${plan.timeoutMs} ms timeout (${life.startVersion === undefined ? 'never started' : 'never ended'})`,
    );
  if (life.garbage.length > 0)
    problems.push(`child wrote unexpected lines: ${life.garbage.slice(0, 3).join(' | ')}`);
  const endedByItself = !life.killed && !life.timedOut && life.spawnError === undefined;
  if (endedByItself && !(life.finished && life.exitCode === 0))
    problems.push(
      `child ended by itself (exit ${life.exitCode ?? life.signal}${life.finished ? '' : ', without "done"'}): ${lastLine(life.stderr)}`,
    );
  if (plan.kill === 'self-exit' && life.finished && life.acked.length !== plan.maxCommits)
    problems.push(`child said done after ${life.acked.length} commits, planned ${plan.maxCommits}`);
  return problems;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines.slice(0, 3).join(' / ') || '(no stderr)';
}

function describeIteration(result: IterationResult, total: number): string {
  const { iteration, plan, life, report, problems } = result;
  const acked = life.acked;
  const ackText =
    acked.length === 0 ? 'acked 0' : `acked ${acked.length} (v${acked[0]}-v${acked.at(-1)})`;
  const tuning = `${plan.mode}, ${plan.commits} commits, ${plan.locking} locking, batch ${plan.dropWorker.batchSize}/${plan.dropWorker.flushIntervalMs}ms/mbox ${plan.dropWorker.mailboxCapacity}`;
  const outcome = problems.length === 0 ? 'ok' : `FAILED (${problems.length} problems)`;
  const inFlight = report.inFlight === 'visible' ? ', in-flight commits visible' : '';
  const recovered = report.recovered > 0 ? `, ${report.recovered} drops recovered` : '';
  const parked = life.parked > 0 ? ` (${life.parked} parked behind a snapshot)` : '';
  return `iteration ${iteration}/${total}: ${killText(plan, life)} [${tuning}], ${ackText}, latest ${report.latest ?? '?'}${inFlight}${recovered}${parked}: ${outcome}`;
}

function killText(plan: ChildPlan, life: ChildLife): string {
  if (!life.killed) return life.finished ? 'exited by itself after its commits' : 'ended unplanned';
  const after = Math.round(life.killedAfterMs ?? plan.delayMs);
  if (life.startVersion === undefined) return `killed ${after} ms after spawn, before start`;
  return `killed ${after} ms after start`;
}
