/**
 * One line of shell input in, printed lines (or an error) out.
 *
 * The shell speaks the store language of the conformance README: each line
 * is parsed by the goldenscript word lexer (`parseCommandLine`) and run by a
 * {@link StoreSession}, exactly as the store and stats runners do, so the
 * shell and the conformance scripts can never drift apart. The shell adds
 * only what a human needs around it:
 *
 * ```
 *   "" / "# note" / "// note"  -> nothing
 *   help [COMMAND]             -> help.ts
 *   quit | exit                -> { quit: true }
 *   !command                   -> { error } (expected failures are for scripts)
 *   NAME: command              -> TransactionNames.execute (the transaction NAME)
 *   a store-language command   -> StoreSession.execute
 *   anything else              -> { error: "unknown command 'x' (type help for the list)" }
 * ```
 *
 * Transactions are named, as in the transaction scripts: `t1: begin`,
 * `t1: get a`, `t1: set a=2`, `t1: commit` (or `rollback`); several can be
 * open at once, interleaved line by line, and `quit` rolls back whatever is
 * still open. A transaction's output lines start with its `NAME: `.
 *
 * Errors come back as one line of text, never as a thrown error or a stack
 * trace: script errors without the `file:line:` prefix the runners need,
 * store errors with their stable code.
 *
 * @module
 */

import { isStoreError } from '../../common/errors.js';
import { ScriptError } from '../../script/script-error.js';
import { STORE_LANGUAGE, StoreSession } from '../../script/store-session.js';
import { TransactionNames } from '../../script/txn-commands.js';
import { type Command, parseCommandLine } from '../../script/words.js';
import type { MultiStore } from '../../store/multistore.js';
import { helpLines } from './help.js';

/** What one line of input produced. */
export interface ShellReply {
  /** Lines to print on stdout. */
  readonly lines: readonly string[];
  /** One-line error message (without the `error: ` prefix), when the line failed. */
  readonly error?: string;
  /** The user asked to leave. */
  readonly quit?: boolean;
}

/** The name the shell gives its input in script errors (stripped before printing). */
const INPUT = '<shell>';
const NOTHING: ShellReply = Object.freeze({ lines: [] });

/** Runs shell lines against one store. */
export class ShellSession {
  readonly #session: StoreSession;
  readonly #names: TransactionNames;

  constructor(store: MultiStore) {
    this.#session = new StoreSession(store, INPUT, STORE_LANGUAGE, 'remove');
    this.#names = new TransactionNames(store, INPUT, 'snapshot');
  }

  /** The names of the open transactions, in the order they began. */
  get transactions(): readonly string[] {
    return this.#names.openNames;
  }

  /** Roll back every open transaction (the shell is leaving). */
  rollbackAll(): void {
    this.#names.rollbackAll();
  }

  /** The current version: reads default to it, writes commit after it. */
  get version(): number {
    return this.#session.current;
  }

  /** True while a `batch` waits for its `commit`. */
  get inBatch(): boolean {
    return this.#session.inBatch;
  }

  /** Run one line of input (`line` is its 1-based number, for messages). */
  async run(text: string, line: number): Promise<ShellReply> {
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('//')) return NOTHING;
    try {
      return await this.#dispatch(parseCommandLine(trimmed, line, INPUT));
    } catch (error) {
      return { lines: [], error: describeError(error) };
    }
  }

  async #dispatch(command: Command): Promise<ShellReply> {
    if (command.expectFailure)
      return { lines: [], error: "'!' (a command that must fail) is for scripts, not the shell" };
    if (command.prefix !== undefined) return { lines: await this.#names.execute(command) };
    switch (command.name) {
      case 'help':
        return help(command);
      case 'quit':
      case 'exit':
        if (command.args.length > 0)
          return { lines: [], error: `${command.name} takes no arguments` };
        return { lines: [], quit: true };
      default:
        if (!Object.hasOwn(STORE_LANGUAGE, command.name)) {
          return { lines: [], error: `unknown command '${command.name}' (type help for the list)` };
        }
        return { lines: await this.#session.execute(command) };
    }
  }
}

function help(command: Command): ShellReply {
  const [topic, extra] = command.args;
  if (extra !== undefined || (topic !== undefined && topic.key !== undefined)) {
    return { lines: [], error: 'usage: help [COMMAND]' };
  }
  const lines = helpLines(topic?.value.text);
  if (lines === undefined) {
    return { lines: [], error: `no command '${topic?.value.text}' (type help for the list)` };
  }
  return { lines };
}

/** One line for any error: script errors without their `file:line:` prefix, store errors with their code. */
export function describeError(error: unknown): string {
  if (error instanceof ScriptError) {
    const prefix = `${error.file}:${error.line}: `;
    return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  }
  if (isStoreError(error)) return `${error.message} (${error.code})`;
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}
