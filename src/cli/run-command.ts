/**
 * `multistore run [--tier memory|sqlite|all] PATH...`: the conformance runner.
 *
 * A thin shell over `script/run.ts`: it parses options, streams each failing
 * file's report as it finishes, and ends with the per-tier summary lines and
 * the combined `N passed, N failed, N excluded` line. Scripts follow the
 * goldenscript format, with `!command` for a command that must fail
 * (`script/runner.ts`); scripts listed in the exclusion file are reported with
 * their reason on every run (`script/exclusions.ts`). Exit status:
 *
 * | status | when |
 * |---|---|
 * | 0 | every file passed (or failed as its exclusion expects) on every selected tier |
 * | 1 | at least one file failed, or an exclusion names no script |
 * | 2 | a path does not exist or holds no script, or `--tier sqlite\|all` without the SQLite driver (nothing was run) |
 *
 * Without `--tier`, the scripts run on every tier that can open here: on a
 * memory-only install (better-sqlite3, an optional dependency, left out) that
 * is the memory tier, after one line saying why not SQLite. Asking for the
 * SQLite tier there is refused in one line rather than failing every script.
 *
 * @module
 */

import { type Command, Option } from 'commander';
import { formatFailure, formatSummary } from '../script/report.js';
import { type RunOptions, runScripts } from '../script/run.js';
import { TIER_KINDS, type TierKind } from '../script/runner.js';
import { sqliteDriverProblem } from '../tier/sqlite/load.js';

/** Exit status of `run` when a path is unusable. */
export const EXIT_USAGE = 2;
/** Exit status of `run` when a script failed. */
export const EXIT_FAILED = 1;

/** Options of `run` as commander parses them. */
export interface RunCommandOptions {
  readonly tier?: TierKind | 'all';
  readonly sqliteFile?: boolean;
  readonly verbose?: boolean;
}

/** Where `run` writes: one call per line. */
export interface Output {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const consoleOutput: Output = Object.freeze({
  out: (line: string) => console.log(line),
  err: (line: string) => console.error(line),
});

/** Register the `run` command on `program`. */
export function addRunCommand(program: Command, output: Output = consoleOutput): void {
  program
    .command('run')
    .description(
      'run goldenscript conformance scripts (runner chosen by folder: store, tier, stats, txn; ' +
        "'!command' must fail and prints 'Error: CODE: message')",
    )
    .argument('<paths...>', 'script files or folders (searched recursively)')
    .addOption(
      new Option(
        '--tier <tier>',
        'tier(s) to run every script on (default: all, or memory when the SQLite driver is not installed)',
      ).choices(['memory', 'sqlite', 'all']),
    )
    .option('--sqlite-file', 'put SQLite tiers in a temporary file instead of :memory:')
    .option('-v, --verbose', 'also list the files that pass')
    .action(async (paths: string[], options: RunCommandOptions) => {
      process.exitCode = await runCommand(paths, options, output);
    });
}

/**
 * Run the scripts under `paths`, print the report, and return the exit status.
 * `sqliteProblem` tells why the SQLite tier cannot open here, if it cannot.
 */
export async function runCommand(
  paths: readonly string[],
  options: RunCommandOptions,
  output: Output,
  sqliteProblem: () => string | undefined = sqliteDriverProblem,
): Promise<number> {
  const tiers = selectTiers(options.tier, sqliteProblem, output);
  if (tiers === undefined) return EXIT_USAGE;
  const runOptions: RunOptions = {
    paths,
    tiers,
    sqliteFile: options.sqliteFile ?? false,
    onResult: (result) => {
      if (result.passed && options.verbose) output.out(`PASS [${result.tierKind}] ${result.file}`);
      for (const line of formatFailure(result)) output.out(line);
    },
  };
  const report = await runScripts(runOptions);
  for (const problem of report.problems) output.err(`multistore run: ${problem}`);
  if (report.problems.length > 0) return EXIT_USAGE;
  for (const error of report.exclusionErrors) output.out(`error: ${error}`);
  for (const line of formatSummary(report.results, tiers)) output.out(line);
  return report.ok ? 0 : EXIT_FAILED;
}

/** The tiers to run on (see the module), or `undefined` when the asked ones cannot open. */
function selectTiers(
  asked: TierKind | 'all' | undefined,
  sqliteProblem: () => string | undefined,
  output: Output,
): readonly TierKind[] | undefined {
  const wanted = asked === 'all' || asked === undefined ? TIER_KINDS : [asked];
  const problem = wanted.includes('sqlite') ? sqliteProblem() : undefined;
  if (problem === undefined) return wanted;
  if (asked !== undefined) {
    output.err(`multistore run: ${problem}`);
    return undefined;
  }
  output.err(`multistore run: the sqlite tier is not run: ${problem}`);
  return wanted.filter((tier) => tier !== 'sqlite');
}
