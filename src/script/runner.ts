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
 * A command that throws (a `StoreError`, a `ScriptError` for a bad argument,
 * anything) ends its block: the lines printed so far plus `error: <message>`
 * become the actual output, and the block fails even if that text happened to
 * match. The engine then goes on with the next block, so one run reports every
 * broken block of a file. Runners may be asynchronous (the store runner awaits
 * the drop worker); the engine awaits every call in order.
 *
 * @module
 */

import type { AbstractTier } from '../tier/abstract-tier.js';
import type { TierKind } from '../tier/factory.js';
import type { Block, Command, Script } from './parser.js';

/** The storage tiers a script can run on (`memory`, `sqlite`), in the order `--tier all` runs them. */
export { TIER_KINDS, type TierKind } from '../tier/factory.js';

/** What a runner is created with. */
export interface RunnerContext {
  /** The script file (as shown in messages); pass it to `ScriptError`s and `readArgs`. */
  readonly file: string;
  /** Which tier this run targets. */
  readonly tierKind: TierKind;
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
    try {
      actual.push(...(await runner.execute(command)));
    } catch (thrown) {
      error = messageOf(thrown);
      actual.push(...`error: ${error}`.split('\n'));
      break;
    }
  }
  if (actual.length === 0) actual.push(EMPTY_OUTPUT);
  if (error === undefined && sameLines(actual, block.expected)) return undefined;
  const commands = block.commands.map((command) => command.text);
  return { line: block.line, commands, expected: block.expected, actual, error };
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}

/** The message of anything thrown, for reports. */
export function messageOf(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown);
}
