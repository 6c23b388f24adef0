/**
 * `multistore run [--tier memory|sqlite|postgres|all] PATH...`: the conformance runner.
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
 * | 2 | a path does not exist or holds no script (nothing was run) |
 *
 * @module
 */

import { type Command, Option } from 'commander';
import { PostgresScripts } from '../script/postgres-scripts.js';
import { formatFailure, formatSummary } from '../script/report.js';
import { type RunOptions, runScripts } from '../script/run.js';
import { type ScriptTierKind, TIER_KINDS } from '../script/runner.js';

/** Exit status of `run` when a path is unusable. */
export const EXIT_USAGE = 2;
/** Exit status of `run` when a script failed. */
export const EXIT_FAILED = 1;

/** Options of `run` as commander parses them. */
export interface RunCommandOptions {
  readonly tier: ScriptTierKind | 'all';
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
        'tier(s) to run every script on (all: memory, sqlite, and postgres when a server can be started or MULTISTORE_PG_URL is set)',
      )
        .choices(['memory', 'sqlite', 'postgres', 'all'])
        .default('all'),
    )
    .option('--sqlite-file', 'put SQLite tiers in a temporary file instead of :memory:')
    .option('-v, --verbose', 'also list the files that pass')
    .action(async (paths: string[], options: RunCommandOptions) => {
      process.exitCode = await runCommand(paths, options, output);
    });
}

/** Run the scripts under `paths`, print the report, and return the exit status. */
export async function runCommand(
  paths: readonly string[],
  options: RunCommandOptions,
  output: Output,
): Promise<number> {
  const tiers = await tiersOf(options.tier, output);
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

/**
 * The tiers of `--tier`: `all` is memory and SQLite, and PostgreSQL when a
 * server can be reached or started; in CI (`CI=true`) a missing PostgreSQL
 * is an error rather than a skipped tier.
 */
async function tiersOf(tier: ScriptTierKind | 'all', output: Output): Promise<ScriptTierKind[]> {
  if (tier !== 'all') return [tier];
  if (await PostgresScripts.available()) return [...TIER_KINDS, 'postgres'];
  if (process.env.CI === 'true') {
    throw new Error('CI=true but PostgreSQL is missing: install it or set MULTISTORE_PG_URL');
  }
  output.err('multistore run: postgres skipped (no initdb found and no MULTISTORE_PG_URL)');
  return [...TIER_KINDS];
}
