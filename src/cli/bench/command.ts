/**
 * `multistore bench [--quick] [--json FILE] [--tier T] [--shape S] [--workloads W1,W3] [--quiet]`.
 *
 * Runs the workloads W1-W7, W9 and W10 on both data shapes against the peers
 * (harness.ts), prints one table per tier, the targets and the bytes per
 * stored version (report.ts), then W8, the time to open a file
 * (open-time.ts: when the SQLite tier is measured and no `--workloads` were
 * chosen), and, with `--json`, writes every figure to a file. Progress goes
 * to stderr (progress.ts): a bar on a terminal, one line per child
 * otherwise (W8's builds and opens counted with the rest), nothing with
 * `--quiet`. The tables come once every child has run; when W8 fails, the
 * W1-W7 tables are printed before the error.
 *
 * Peers that are not installed (the `bench` of an installed package has
 * only its own dependencies) are reported as missing; the rest runs.
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
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { BenchError } from './errors.js';
import type { BenchReport } from './figures.js';
import { type BenchOptions, type ProgressEvent, runBench } from './harness.js';
import { formatOpenTime, type OpenTimeReport, openTimeChildren, runOpenTime } from './open-time.js';
import {
  DEFAULT_SEED,
  FULL,
  OTHER_PEER_ROUNDS,
  parseWorkloads,
  QUICK,
  SHAPES,
  type ShapeId,
  TIERS,
  type TierId,
  WORKLOADS,
  type WorkloadId,
} from './plan.js';
import { type ProgressMode, progressReporter } from './progress.js';
import { formatReport } from './report.js';

/** Options of `bench` as commander parses them. */
export interface BenchCommandOptions {
  readonly quick?: boolean;
  readonly json?: string;
  readonly tier: TierId | 'all';
  readonly shape?: ShapeId | 'all';
  readonly workloads?: readonly WorkloadId[];
  readonly ops?: number;
  readonly rounds?: number;
  readonly otherRounds?: number;
  readonly seed?: number;
  readonly quiet?: boolean;
  /** Keys per W5 scan; not on the command line (the unit test shrinks it). */
  readonly scanKeys?: number;
}

/** Where `bench` writes: one call per line. */
export interface BenchOutput {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Both stdout and stderr are terminals: show a progress bar instead of lines. */
  readonly terminal: boolean;
}

const consoleOutput: BenchOutput = Object.freeze({
  out: (line: string) => console.log(line),
  err: (line: string) => console.error(line),
  terminal: process.stdout.isTTY === true && process.stderr.isTTY === true,
});

/** Register the `bench` command on `program`. */
export function addBenchCommand(program: Command, output: BenchOutput = consoleOutput): void {
  program
    .command('bench')
    .description(
      'measure multistore against sorted-btree, better-sqlite3, lmdb, LevelDB and Hyperbee (workloads W1-W7, W9, W10; shallow and deep histories)',
    )
    .option(
      '--quick',
      `small run: N = ${QUICK.n.toLocaleString('en-US')}, ${QUICK.rounds} rounds (default N = ${FULL.n.toLocaleString('en-US')}, ${FULL.rounds} rounds)`,
    )
    .option('--json <file>', 'also write every figure (all rounds, medians, ratios) to FILE')
    .addOption(
      new Option('--tier <tier>', 'tier(s) to measure').choices([...TIERS, 'all']).default('all'),
    )
    .addOption(
      new Option('--shape <shape>', 'data shape(s): 20 or 100 versions per key')
        .choices([...SHAPES, 'all'])
        .default('all'),
    )
    .addOption(
      new Option(
        '--workloads <list>',
        `workloads to run, e.g. W1,W3 (default: ${WORKLOADS.join(',')})`,
      ).argParser(workloadList),
    )
    .addOption(new Option('--ops <n>', 'operations per workload (N)').argParser(positiveInteger))
    .addOption(
      new Option(
        '--rounds <n>',
        'rounds of multistore and its main peer (median reported)',
      ).argParser(positiveInteger),
    )
    .addOption(
      new Option(
        '--other-rounds <n>',
        `rounds of the other peers (default ${OTHER_PEER_ROUNDS})`,
      ).argParser(positiveInteger),
    )
    .option('--quiet', 'no progress on stderr')
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

function workloadList(text: string): WorkloadId[] {
  const workloads = parseWorkloads(text);
  if (workloads === undefined) {
    throw new InvalidArgumentError(
      `expected workloads among ${WORKLOADS.join(', ')}, comma-separated.`,
    );
  }
  return workloads;
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
  const mode: ProgressMode = options.quiet === true ? 'quiet' : output.terminal ? 'bar' : 'lines';
  const progress = progressReporter(mode, output.err);
  const w8Rounds = openTimeRounds(options);
  // W8's children come after the harness's, in the same count: the last
  // event the harness told says where the run stands when W8 starts.
  let last: ProgressEvent = { kind: 'done', done: 0, total: 0, what: '' };
  const onProgress = (event: ProgressEvent): void => {
    last = event;
    progress.onProgress?.(event);
  };
  let report: BenchReport | undefined;
  let printed = false;
  try {
    const { n } = benchOptions(options);
    const laterChildren = w8Rounds === undefined ? 0 : openTimeChildren(n, w8Rounds);
    report = await runBench({ ...benchOptions(options), laterChildren, onProgress });
    const openTime =
      w8Rounds === undefined ? undefined : await openTimeOf(n, w8Rounds, last, onProgress);
    progress.stop();
    printReport(report, openTime, output);
    printed = true;
    if (jsonFile !== undefined) {
      await writeFile(jsonFile, `${JSON.stringify({ ...report, openTime }, null, 2)}\n`);
      output.out(`figures written to ${jsonFile}`);
    }
    return 0;
  } catch (error) {
    progress.stop();
    if (!(error instanceof BenchError) && !isFileError(error)) throw error;
    // W8 failed: what W1-W7 measured is still shown.
    if (report !== undefined && !printed) printReport(report, undefined, output);
    output.err(`multistore bench: ${error.message}`);
    return 1;
  }
}

/** W8's rounds: when the SQLite tier is measured and the workloads were not chosen. */
function openTimeRounds(options: BenchCommandOptions): number | undefined {
  const { rounds, tiers } = benchOptions(options);
  if (!tiers.includes('sqlite') || options.workloads !== undefined) return undefined;
  return rounds * 2 + 1;
}

/** W8, its children numbered on from `from`, the harness's last event. */
async function openTimeOf(
  n: number,
  rounds: number,
  from: ProgressEvent,
  onProgress: (event: ProgressEvent) => void,
): Promise<OpenTimeReport> {
  let done = from.done;
  return await runOpenTime({
    n,
    rounds,
    root: tmpdir(),
    onProgress: (step) => {
      if (step.kind === 'done') done++;
      onProgress({ ...step, done, total: from.total });
    },
  });
}

function printReport(
  report: BenchReport,
  openTime: OpenTimeReport | undefined,
  output: BenchOutput,
): void {
  for (const line of formatReport(report)) output.out(line);
  if (openTime !== undefined) for (const line of formatOpenTime(openTime)) output.out(line);
}

function benchOptions(options: BenchCommandOptions): BenchOptions {
  const preset = options.quick === true ? QUICK : FULL;
  const shape = options.shape ?? 'all';
  return {
    n: options.ops ?? preset.n,
    rounds: options.rounds ?? preset.rounds,
    otherRounds: options.otherRounds ?? OTHER_PEER_ROUNDS,
    tiers: options.tier === 'all' ? TIERS : [options.tier],
    shapes: shape === 'all' ? SHAPES : [shape],
    workloads: options.workloads ?? WORKLOADS,
    seed: options.seed ?? DEFAULT_SEED,
    ...(options.scanKeys !== undefined && { scanKeys: options.scanKeys }),
  };
}

function isFileError(error: unknown): error is NodeJS.ErrnoException {
  return (
    error instanceof Error &&
    typeof (error as NodeJS.ErrnoException).code === 'string' &&
    'syscall' in error
  );
}

export type { BenchReport };
