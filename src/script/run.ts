/**
 * Running script files: the engine behind `multistore run`.
 *
 * ```
 *   paths --discover--> files (+ runner kind) --for each tier, each file-->
 *     read -> parse -> runner = factory(context) -> runBlocks -> close -> FileResult
 * ```
 *
 * A file passes only when it parsed, had at least one block, had a runner,
 * every block matched, the runner accepted how the script ended (no `batch`
 * left open) and closed cleanly. Anything else is a
 * failure with a message: a malformed file (its `file:line`), a file outside
 * any runner folder, a runner that does not exist yet ("no store runner
 * yet"), a runner that failed to start or to close. Tiers run one after the
 * other (all files on memory, then all on SQLite); each file gets a fresh
 * runner and fresh storage.
 *
 * A script listed in the exclusion file (`exclusions.ts`) still runs: when it
 * fails it counts as excluded, with its reason; when it passes it fails ("remove
 * the exclusion"); an exclusion that names no script under a runner folder the
 * run reached fails the run.
 *
 * Paths that do not exist or hold no script are returned as `problems`
 * without running anything: the caller decides how to report them.
 *
 * @module
 */

import { readFile } from 'node:fs/promises';
import {
  type Discovery,
  discoverScripts,
  type ScriptFile,
  SELECTING_FOLDER_NAMES,
} from './discover.js';
import { EXCLUSIONS, type Exclusion, exclusionOf, missingExclusions } from './exclusions.js';
import { parseScript, type Script } from './parser.js';
import { PostgresScripts } from './postgres-scripts.js';
import { type RunnerLookup, runnerFor } from './registry.js';
import {
  type BlockFailure,
  messageOf,
  type RunnerFactory,
  runBlocks,
  type ScriptRunner,
  type ScriptTierKind,
} from './runner.js';
import { defaultTierOpener, type TierOpener, TierSession } from './tier-session.js';

/** The outcome of one script file on one tier. */
export interface FileResult {
  /** The file as shown to the user. */
  readonly file: string;
  readonly tierKind: ScriptTierKind;
  /** True when every block matched (never for a listed script: see `excluded`). */
  readonly passed: boolean;
  /**
   * The reason of the exclusion, when the file is listed in the exclusion file
   * and failed as expected (it then counts as excluded, not failed).
   */
  readonly excluded?: string;
  /** Why the file could not run or finish (malformed, no runner, close failed). */
  readonly errors: readonly string[];
  /** The blocks whose output did not match. */
  readonly failures: readonly BlockFailure[];
}

/** What to run and how. */
export interface RunOptions {
  /** Files or folders (searched recursively). */
  readonly paths: readonly string[];
  /** Tiers to run every file on, in order. */
  readonly tiers: readonly ScriptTierKind[];
  /** Where runners come from (default: the registry). */
  readonly runners?: RunnerLookup;
  /** How tiers are opened (default: the tier factory). */
  readonly openTier?: TierOpener;
  /** SQLite in a temporary file instead of `:memory:` (default false). */
  readonly sqliteFile?: boolean;
  /** Called after each file, for progress output. */
  readonly onResult?: (result: FileResult) => void;
  /** Scripts expected to fail (default: the project's compiled list, `exclusions.ts`). */
  readonly exclusions?: readonly Exclusion[];
}

/** The outcome of a run. */
export interface RunReport {
  /** Unusable paths; when any, nothing ran. */
  readonly problems: readonly string[];
  readonly results: readonly FileResult[];
  /** Exclusions that name no script under a runner folder the run reached. */
  readonly exclusionErrors: readonly string[];
  /**
   * True when there were no problems, at least one file ran, every file
   * passed or was excluded, and every exclusion named a script.
   */
  readonly ok: boolean;
}

/** Discover the scripts under `options.paths` and run each on every tier. */
export async function runScripts(options: RunOptions): Promise<RunReport> {
  const discovery: Discovery = await discoverScripts(options.paths);
  if (discovery.problems.length > 0) {
    return { problems: discovery.problems, results: [], exclusionErrors: [], ok: false };
  }
  const exclusions = options.exclusions ?? EXCLUSIONS;
  const exclusionErrors = missingExclusions(
    discovery.files.map((file) => file.path),
    exclusions,
  );
  const results: FileResult[] = [];
  const postgres = options.tiers.includes('postgres') ? new PostgresScripts() : undefined;
  try {
    for (const tierKind of options.tiers) {
      for (const file of discovery.files) {
        const result = await runScriptFile(file, tierKind, { ...options, postgres });
        results.push(result);
        options.onResult?.(result);
      }
    }
  } finally {
    await postgres?.close();
  }
  const ok =
    exclusionErrors.length === 0 &&
    results.length > 0 &&
    results.every((result) => result.passed || result.excluded !== undefined);
  return { problems: [], results, exclusionErrors, ok };
}

/** Run one script file on one tier. Never throws: every problem becomes a failure. */
export async function runScriptFile(
  file: ScriptFile,
  tierKind: ScriptTierKind,
  options: FileOptions = {},
): Promise<FileResult> {
  const errors: string[] = [];
  let failures: readonly BlockFailure[] = [];
  try {
    failures = await parseAndRun(file, tierKind, options, errors);
  } catch (error) {
    errors.push(messageOf(error));
  }
  const passed = errors.length === 0 && failures.length === 0;
  const exclusion = exclusionOf(file.path, options.exclusions ?? EXCLUSIONS);
  if (exclusion === undefined) return { file: file.path, tierKind, passed, errors, failures };
  if (!passed)
    return { file: file.path, tierKind, passed, excluded: exclusion.reason, errors, failures };
  const stale = 'listed in the exclusion file, but it passes: remove the exclusion';
  return { file: file.path, tierKind, passed: false, errors: [stale], failures };
}

/** How one file runs: the run's options, and its PostgreSQL access on the `postgres` tier. */
export type FileOptions = Omit<RunOptions, 'paths' | 'tiers'> & {
  readonly postgres?: PostgresScripts | undefined;
};

async function parseAndRun(
  file: ScriptFile,
  tierKind: ScriptTierKind,
  options: FileOptions,
  errors: string[],
): Promise<readonly BlockFailure[]> {
  const script = parseScript(await readFile(file.path, 'utf8'), file.path);
  if (script.blocks.length === 0) {
    errors.push(`${file.path}: the file holds no block`);
    return [];
  }
  const factory = findFactory(file, options.runners ?? runnerFor, errors);
  if (factory === undefined) return [];
  if (tierKind === 'postgres') return runOnPostgres(file, script, factory, options, errors);
  const opener = options.openTier ?? defaultTierOpener;
  const session = new TierSession(tierKind, { opener, sqliteFile: options.sqliteFile ?? false });
  try {
    const runner = await factory({ file: file.path, tierKind, openTier: () => session.open() });
    try {
      const failures = await runBlocks(script, runner);
      await finishRunner(runner, errors);
      return failures;
    } finally {
      await closeRunner(runner, errors);
    }
  } finally {
    errors.push(...session.dispose());
  }
}

/** One file on a fresh PostgreSQL schema, removed afterwards. */
async function runOnPostgres(
  file: ScriptFile,
  script: Script,
  factory: RunnerFactory,
  options: FileOptions,
  errors: string[],
): Promise<readonly BlockFailure[]> {
  const scripts = options.postgres ?? new PostgresScripts();
  const { target, dispose } = await scripts.target();
  try {
    const openTier = () => {
      throw new Error('the postgres tier has no embedded tier: use context.postgres');
    };
    const runner = await factory({
      file: file.path,
      tierKind: 'postgres',
      openTier,
      postgres: target,
    });
    try {
      const failures = await runBlocks(script, runner);
      await finishRunner(runner, errors);
      return failures;
    } finally {
      await closeRunner(runner, errors);
    }
  } finally {
    await dispose().catch((error: unknown) =>
      errors.push(`removing the schema failed: ${messageOf(error)}`),
    );
    if (options.postgres === undefined) await scripts.close();
  }
}

function findFactory(
  file: ScriptFile,
  runners: RunnerLookup,
  errors: string[],
): RunnerFactory | undefined {
  if (file.kind === undefined) {
    errors.push(
      `no runner: the file is not inside a folder named ${SELECTING_FOLDER_NAMES.join(', ')}`,
    );
    return undefined;
  }
  const factory = runners(file.kind);
  if (factory === undefined) errors.push(`no ${file.kind} runner yet`);
  return factory;
}

/** Let the runner object to how the script ended (an open batch): the file then fails. */
async function finishRunner(runner: ScriptRunner, errors: string[]): Promise<void> {
  try {
    await runner.finish?.();
  } catch (error) {
    errors.push(messageOf(error));
  }
}

async function closeRunner(runner: ScriptRunner, errors: string[]): Promise<void> {
  try {
    await runner.close();
  } catch (error) {
    errors.push(`closing the runner failed: ${messageOf(error)}`);
  }
}
