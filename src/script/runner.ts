/**
 * The runner contract and the engine that checks a script's blocks.
 *
 * A {@link ScriptRunner} knows one family of commands (tier, store, stats). It
 * is created fresh for every script file and tier, executes one command at a
 * time and returns the lines it printed; the engine owns everything else:
 *
 * ```
 *   for each block:
 *     output = runner.execute(cmd1) ++ runner.execute(cmd2) ++ ...
 *     output = output is empty ? ["ok"] : output
 *     output == block.expected ?  pass  :  failure {line, expected, actual}
 *   runner.close()
 * ```
 *
 * A command that throws when it should not (a `StoreError`, a `ScriptError`
 * for a bad argument, anything) ends its block: the lines printed so far plus
 * `error: <message>` become the actual output, and the block fails even if
 * that text happened to match. The engine then goes on with the next block, so one run reports every
 * broken block of a file. Runners may be asynchronous (the store runner awaits
 * the drop worker); the engine awaits every call in order.
 *
 * ## Expected failures: `!command`
 *
 * A command written with a `!` in front of its name must fail, and its error
 * is its output (the convention of the transaction scripts), so a script can
 * pin error behaviour as it pins results:
 *
 * ```
 *   set a=1
 *   !get a version=-1
 *   get a
 *   ---
 *   Error: INVALID_VERSION: version must be a non-negative safe integer, got the number -1
 *   "a" => "1"
 * ```
 *
 * The error line is `Error: CODE: message` ({@link formatExpectedError}): the
 * `StoreError` code, then its message (a `ScriptError` without its
 * `file:line:` prefix, which would tie the output to where the file lives).
 * The block goes on after it. A `!` command that succeeds, or that throws
 * anything but a `StoreError` (a `TypeError` is a bug, never an expected
 * outcome), ends the block as a failure, as an unexpected error does. A
 * command without `!` that fails still fails its block.
 *
 * @module
 */

import { isStoreError, type StoreError } from '../common/errors.js';
import type { Clock } from '../runtime/clock.js';
import type { TableDeclaration } from '../store/options.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import type { Block, Command, Script } from './parser.js';
import { ScriptError } from './script-error.js';
import type { ScriptStore } from './script-store.js';
import type { RunnerTier } from './tier-runner.js';

/** The embedded storage tiers (`memory`, `sqlite`). */
export { TIER_KINDS, type TierKind } from '../tier/factory.js';

/** The tiers a script can run on, in the order `--tier all` runs them. */
export const SCRIPT_TIER_KINDS = Object.freeze(['memory', 'sqlite', 'postgres'] as const);

/** A tier a script can run on: an embedded one or `postgres` (the asynchronous store). */
export type ScriptTierKind = (typeof SCRIPT_TIER_KINDS)[number];

/** Where the runners of a `postgres` run get their storage (a fresh schema per script). */
export interface PostgresTarget {
  /** Connect a store to the script's schema. */
  connect(options: {
    readonly clock?: Clock;
    readonly tables?: readonly TableDeclaration[];
  }): Promise<ScriptStore>;
  /** The script's schema as a tier for the tier runner. */
  openTier(): Promise<RunnerTier>;
}

/** What a runner is created with. */
export interface RunnerContext {
  /** The script file (as shown in messages); pass it to `ScriptError`s and `readArgs`. */
  readonly file: string;
  /** Which tier this run targets. */
  readonly tierKind: ScriptTierKind;
  /** With `tierKind` `postgres`: where the store or tier comes from (`openTier` then throws). */
  readonly postgres?: PostgresTarget;
  /**
   * Open a fresh, empty tier of `tierKind` for this script (in-memory SQLite by
   * default). The runner owns it and must close it in `close()`; the engine
   * removes any temporary file afterwards.
   */
  openTier(): AbstractTier;
}

/** Executes the commands of one script file on one tier. */
export interface ScriptRunner {
  /** Run one command and return the lines it prints (none for a silent command). */
  execute(command: Command): readonly string[] | Promise<readonly string[]>;
  /**
   * The last block has run: throw (a `ScriptError` with its line) if the
   * script ended in a state it may not end in, such as an open `batch`. The
   * file then fails. Optional; called before `close`.
   */
  finish?(): void | Promise<void>;
  /**
   * The output of a `!command` that failed as expected (default:
   * {@link formatExpectedError}); the transaction runner prefixes it with the
   * command's `NAME: ` and prints conflicts as its scripts expect. Optional.
   */
  formatError?(error: StoreError, command: Command): readonly string[];
  /** Release everything; called once after the last block, even when blocks failed. */
  close(): void | Promise<void>;
}

/** Creates a runner for one script file and tier. May throw to refuse (the file then fails). */
export type RunnerFactory = (context: RunnerContext) => ScriptRunner | Promise<ScriptRunner>;

/** What a block printed when it did not match. */
export interface BlockFailure {
  /** 1-based line of the block's first command. */
  readonly line: number;
  /** The block's command lines as written. */
  readonly commands: readonly string[];
  readonly expected: readonly string[];
  readonly actual: readonly string[];
  /** The message of the error that ended the block, if one did. */
  readonly error: string | undefined;
}

/** The output that stands for "the block printed nothing". */
export const EMPTY_OUTPUT = 'ok';

/** Run every block of `script` on `runner` (which the caller closes); returns the failures. */
export async function runBlocks(script: Script, runner: ScriptRunner): Promise<BlockFailure[]> {
  const failures: BlockFailure[] = [];
  for (const block of script.blocks) {
    const failure = await runBlock(block, runner);
    if (failure !== undefined) failures.push(failure);
  }
  return failures;
}

async function runBlock(block: Block, runner: ScriptRunner): Promise<BlockFailure | undefined> {
  const actual: string[] = [];
  let error: string | undefined;
  for (const command of block.commands) {
    const outcome = await attempt(runner, command);
    if (outcome.ok && !command.expectFailure) {
      actual.push(...outcome.lines);
      continue;
    }
    if (!outcome.ok && command.expectFailure && isStoreError(outcome.error)) {
      const format = runner.formatError?.bind(runner) ?? formatExpectedError;
      actual.push(...format(outcome.error, command));
      continue;
    }
    if (outcome.ok) {
      actual.push(...outcome.lines);
      error = `expected '${command.text}' to fail, but it succeeded`;
    } else {
      error = messageOf(outcome.error);
    }
    actual.push(...`error: ${error}`.split('\n'));
    break;
  }
  if (actual.length === 0) actual.push(EMPTY_OUTPUT);
  if (error === undefined && sameLines(actual, block.expected)) return undefined;
  const commands = block.commands.map((command) => command.text);
  return { line: block.line, commands, expected: block.expected, actual, error };
}

type Outcome =
  | { readonly ok: true; readonly lines: readonly string[] }
  | { readonly ok: false; readonly error: unknown };

async function attempt(runner: ScriptRunner, command: Command): Promise<Outcome> {
  try {
    return { ok: true, lines: await runner.execute(command) };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * The output of a `!command` that failed as expected: `Error: CODE: message`
 * (one line per line of the message; a `ScriptError` without its `file:line:`).
 */
export function formatExpectedError(error: StoreError): string[] {
  let message = error.message;
  if (error instanceof ScriptError) {
    const location = `${error.file}:${error.line}: `;
    if (message.startsWith(location)) message = message.slice(location.length);
  }
  return `Error: ${error.code}: ${message}`.split('\n');
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}

/** The message of anything thrown, for reports. */
export function messageOf(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown);
}
