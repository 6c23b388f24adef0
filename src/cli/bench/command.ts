/**
 * `multistore bench [--quick] [--json FILE] [--tier memory|sqlite|all]`.
 *
 * Runs the workloads W1-W7 against the peers (harness.ts), prints one table
 * per tier (report.ts) and, with `--json`, writes every figure to a file.
 * Progress goes to stderr, and only when stderr is a terminal, so the table
 * on stdout stays clean when piped.
 *
 * | status | when |
 * |---|---|
 * | 0 | the run finished (whether or not every target was met) |
 * | 1 | a bad argument, a failed child, or a failed check (e.g. W7's one version per key) |
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { BenchError } from './errors.js';
import { type BenchOptions, type BenchReport, runBench } from './harness.js';
import { DEFAULT_SEED, FULL, QUICK, TIERS, type TierId } from './plan.js';
import { formatReport } from './report.js';

/** Options of `bench` as commander parses them. */
export interface BenchCommandOptions {
  readonly quick?: boolean;
  readonly json?: string;
  readonly tier: TierId | 'all';
  readonly ops?: number;
  readonly rounds?: number;
  readonly seed?: number;
  /** Keys per W5 scan; not on the command line (the unit test shrinks it). */
  readonly scanKeys?: number;
}

/** Where `bench` writes: one call per line. */
export interface BenchOutput {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Show a progress bar (stderr is a terminal). */
  readonly progress: boolean;
  /** Without a bar: called with one line before each child starts (e.g. by a long test). */
  readonly progressLine?: (line: string) => void;
}

const consoleOutput: BenchOutput = Object.freeze({
  out: (line: string) => console.log(line),
  err: (line: string) => console.error(line),
  progress: process.stderr.isTTY === true,
});

/** Register the `bench` command on `program`. */
export function addBenchCommand(program: Command, output: BenchOutput = consoleOutput): void {
  program
    .command('bench')
    .description(
      'measure multistore against sorted-btree, better-sqlite3 and lmdb (workloads W1-W7)',
    )
    .option(
      '--quick',
      `small run: N = ${QUICK.n.toLocaleString('en-US')}, ${QUICK.rounds} rounds (default N = ${FULL.n.toLocaleString('en-US')}, ${FULL.rounds} rounds)`,
    )
    .option('--json <file>', 'also write every figure (all rounds, medians, ratios) to FILE')
    .addOption(
      new Option('--tier <tier>', 'tier(s) to measure')
        .choices(['memory', 'sqlite', 'all'])
        .default('all'),
    )
    .addOption(new Option('--ops <n>', 'operations per workload (N)').argParser(positiveInteger))
    .addOption(
      new Option('--rounds <n>', 'rounds per implementation (median reported)').argParser(
        positiveInteger,
      ),
    )
    .addOption(
      new Option('--seed <n>', 'seed of the generated data').argParser(positiveInteger).hideHelp(),
    )
    .action(async (options: BenchCommandOptions) => {
      process.exitCode = await benchCommand(options, output);
    });
}

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError('expected a positive integer.');
  }
  return value;
}

/** Run the benchmark, print the tables, write the JSON; return the exit status. */
export async function benchCommand(
  options: BenchCommandOptions,
  output: BenchOutput,
): Promise<number> {
  const jsonFile = options.json === undefined ? undefined : resolve(options.json);
  if (jsonFile !== undefined && !existsSync(dirname(jsonFile))) {
    output.err(`multistore bench: the folder of --json ${options.json} does not exist`);
    return 1;
  }
  const preset = options.quick === true ? QUICK : FULL;
  const benchOptions: BenchOptions = {
    n: options.ops ?? preset.n,
    rounds: options.rounds ?? preset.rounds,
    tiers: options.tier === 'all' ? TIERS : [options.tier],
    seed: options.seed ?? DEFAULT_SEED,
    ...(options.scanKeys !== undefined && { scanKeys: options.scanKeys }),
  };
  try {
    const report = await withProgress(benchOptions, output);
    for (const line of formatReport(report)) output.out(line);
    if (jsonFile !== undefined) {
      await writeFile(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
      output.out(`figures written to ${jsonFile}`);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof BenchError) && !isFileError(error)) throw error;
    output.err(`multistore bench: ${error.message}`);
    return 1;
  }
}

/** Run with a progress bar on stderr when asked, else with progress lines when asked. */
async function withProgress(options: BenchOptions, output: BenchOutput): Promise<BenchReport> {
  const { progress, progressLine } = output;
  if (!progress && progressLine !== undefined) {
    return runBench({
      ...options,
      onProgress: (done, total, what) => progressLine(`bench [${done}/${total} done] ${what}`),
    });
  }
  if (!progress) return runBench(options);
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'bench [{bar}] {value}/{total} | {what}',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  try {
    return await runBench({
      ...options,
      onProgress: (done, total, what) => {
        if (!started) bar.start(total, done, { what });
        started = true;
        bar.update(done, { what });
      },
    });
  } finally {
    if (started) bar.stop();
  }
}

function isFileError(error: unknown): error is NodeJS.ErrnoException {
  return (
    error instanceof Error &&
    typeof (error as NodeJS.ErrnoException).code === 'string' &&
    'syscall' in error
  );
}
