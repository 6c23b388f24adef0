/**
 * `multistore demo [--db FILE | --memory] [--commits N] [--seconds S]`.
 *
 * Runs the demo app of `workload.ts` on the embedded default, a SQLite file
 * (`./multistore-demo.db` unless `--db` says otherwise; `--memory` for the
 * memory tier), shows a progress bar on stderr, and prints the report on
 * stdout. The run stops after N commits or S seconds, whichever comes first
 * (by default the 15 s budget comes first: see {@link DEFAULT_COMMITS}), or at Ctrl-C, which
 * still flushes, reports and closes the file. Running it again on the same
 * file continues from the stored state.
 *
 * | status | when |
 * |---|---|
 * | 0 | the demo ran (also when stopped by Ctrl-C) |
 * | 1 | a bad argument (commander's one-line error) |
 * | 2 | the store failed, e.g. the file is unwritable (one line, from main.ts) |
 *
 * @module
 */

import { type Command, InvalidArgumentError, Option } from 'commander';
import { createProgress } from './progress.js';
import { formatDemoReport } from './report.js';
import { type DemoProgress, openDemoStore, runDemo } from './run.js';
import { WORKERS } from './workers.js';
import { ACTIVE_PER_COMMIT, DROP_EVERY, HISTORY_WINDOW, USER_COUNT } from './workload.js';

/** The file the demo uses when neither `--db` nor `--memory` is given. */
export const DEFAULT_DEMO_DB = './multistore-demo.db';
/**
 * Default commit cap. On a 2-core machine neither tier reaches it in
 * {@link DEFAULT_SECONDS} (two workers committing transactions: SQLite file ~350 commits/s, memory ~850), so by
 * default the time budget ends the run: ~15 s on any machine, whatever the tier.
 */
export const DEFAULT_COMMITS = 50_000;
/** Default time budget in seconds. */
export const DEFAULT_SECONDS = 15;

/** Options of `demo` as commander parses them. */
export interface DemoCommandOptions {
  readonly db?: string;
  readonly memory?: boolean;
  readonly commits: number;
  readonly seconds: number;
}

/** Where `demo` writes. */
export interface DemoOutput {
  readonly out: (line: string) => void;
  readonly progress: () => DemoProgress;
}

const consoleOutput: DemoOutput = Object.freeze({
  out: (line: string) => console.log(line),
  progress: () => createProgress(process.stderr),
});

/** Register the `demo` command on `program`. */
export function addDemoCommand(program: Command, output: DemoOutput = consoleOutput): void {
  program
    .command('demo')
    .description(
      'run a realistic workload (concurrent transactions over profiles, an event history with a ' +
        'drop window, sessions keeping one version) and print what the store did, conflicts ' +
        'retried included; a second run on the same file continues',
    )
    .addOption(
      new Option('--db <file>', `SQLite file to use (default ${DEFAULT_DEMO_DB})`).conflicts(
        'memory',
      ),
    )
    .option('--memory', 'use the memory tier (nothing is kept after the run)')
    .addOption(
      new Option('--commits <n>', 'stop after N commits (or --seconds, whichever first)')
        .argParser(positiveInteger)
        .default(DEFAULT_COMMITS),
    )
    .addOption(
      new Option('--seconds <s>', 'stop after S seconds (or --commits, whichever first)')
        .argParser(positiveSeconds)
        .default(DEFAULT_SECONDS),
    )
    .action(async (options: DemoCommandOptions) => {
      await demoCommand(options, output);
    });
}

/** Run the demo as `options` say, printing to `output`. Store errors propagate. */
export async function demoCommand(options: DemoCommandOptions, output: DemoOutput): Promise<void> {
  const path = options.memory ? undefined : (options.db ?? DEFAULT_DEMO_DB);
  const store = openDemoStore(path);
  const where = path === undefined ? 'memory tier' : `SQLite file ${path}`;
  const start = store.latestVersion;
  output.out(
    `multistore demo on the ${where}: ` +
      (start > 0 ? `continuing from version ${start}` : 'new store, starting at version 1'),
  );
  output.out(
    `workload: ${WORKERS} app workers committing transactions concurrently, ` +
      `${USER_COUNT.toLocaleString('en-US')} users, ~${ACTIVE_PER_COMMIT} active per commit, ` +
      `history window ${HISTORY_WINDOW.toLocaleString('en-US')} versions (drops every ${DROP_EVERY} commits); ` +
      `stops after ${options.commits.toLocaleString('en-US')} commits or ${options.seconds} s`,
  );
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.once('SIGINT', onSigint);
  try {
    const result = await runDemo(
      store,
      { path, commits: options.commits, seconds: options.seconds, signal: interrupt.signal },
      output.progress(),
    );
    if (result.interrupted) output.out('interrupted: stopped early, everything committed is kept');
    output.out('');
    for (const line of formatDemoReport(result)) output.out(line);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

function positiveInteger(text: string): number {
  const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError('expected a positive integer.');
  }
  return value;
}

function positiveSeconds(text: string): number {
  const value = /^[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError('expected a positive number of seconds.');
  }
  return value;
}
