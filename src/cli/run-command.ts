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
 * | 2 | a path does not exist or holds no script, or a tier asked for cannot run here (nothing was run) |
 *
 * Without `--tier`, the scripts run on every tier that can run here, after
 * one line for each one left out saying why: memory always, SQLite unless
 * its driver (better-sqlite3, an optional dependency) is not installed,
 * PostgreSQL when a server can be started (`initdb` found) or
 * `MULTISTORE_PG_URL` names one. Under `CI=true` a missing PostgreSQL is
 * refused instead (CI must not pass by skipping a tier). A tier asked for by
 * name, `all` included (all three), is refused in one line when it cannot run,
 * rather than failing every script.
 *
 * @module
 */

import { type Command, Option } from 'commander';
import { PostgresScripts } from '../script/postgres-scripts.js';
import { formatFailure, formatSummary } from '../script/report.js';
import { type RunOptions, runScripts } from '../script/run.js';
import { SCRIPT_TIER_KINDS, type ScriptTierKind } from '../script/runner.js';
import { sqliteDriverProblem } from '../tier/sqlite/load.js';

/** Exit status of `run` when a path is unusable. */
export const EXIT_USAGE = 2;
/** Exit status of `run` when a script failed. */
export const EXIT_FAILED = 1;

/** Options of `run` as commander parses them. */
export interface RunCommandOptions {
  readonly tier?: ScriptTierKind | 'all';
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
        'tier(s) to run every script on (default: every tier that can run here; all: memory, sqlite and postgres)',
      ).choices(['memory', 'sqlite', 'postgres', 'all']),
    )
    .option('--sqlite-file', 'put SQLite tiers in a temporary file instead of :memory:')
    .option('-v, --verbose', 'also list the files that pass')
    .action(async (paths: string[], options: RunCommandOptions) => {
      process.exitCode = await runCommand(paths, options, output);
    });
}

/** Why a tier cannot run here (`undefined`: it can); tests pass their own. */
export interface TierProblems {
  readonly sqlite: () => string | undefined;
  readonly postgres: () => Promise<string | undefined>;
}

const DEFAULT_PROBLEMS: TierProblems = Object.freeze({
  sqlite: sqliteDriverProblem,
  postgres: postgresProblem,
});

/**
 * Run the scripts under `paths`, print the report, and return the exit status.
 * `problems` tells why a tier cannot run here, if it cannot.
 */
export async function runCommand(
  paths: readonly string[],
  options: RunCommandOptions,
  output: Output,
  problems: TierProblems = DEFAULT_PROBLEMS,
): Promise<number> {
  const tiers = await selectTiers(options.tier, problems, output);
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

/**
 * The tiers to run on (see the module), or `undefined` when the asked ones
 * cannot run (the reason printed).
 */
async function selectTiers(
  asked: ScriptTierKind | 'all' | undefined,
  problems: TierProblems,
  output: Output,
): Promise<readonly ScriptTierKind[] | undefined> {
  const wanted = asked === 'all' || asked === undefined ? SCRIPT_TIER_KINDS : [asked];
  const selected: ScriptTierKind[] = [];
  for (const tier of wanted) {
    const problem = await problemOf(tier, problems);
    if (problem === undefined) selected.push(tier);
    else if (asked !== undefined || (tier === 'postgres' && process.env.CI === 'true')) {
      output.err(`multistore run: ${problem}`);
      return undefined;
    } else output.err(`multistore run: the ${tier} tier is not run: ${problem}`);
  }
  return selected;
}

function problemOf(tier: ScriptTierKind, problems: TierProblems): Promise<string | undefined> {
  if (tier === 'sqlite') return Promise.resolve(problems.sqlite());
  if (tier === 'postgres') return problems.postgres();
  return Promise.resolve(undefined);
}

/** Why the PostgreSQL tier cannot run here, if it cannot. */
async function postgresProblem(): Promise<string | undefined> {
  if (await PostgresScripts.available()) return undefined;
  return 'PostgreSQL is not installed (no initdb found) and MULTISTORE_PG_URL is not set';
}
