/**
 * The store and stats runners of the conformance README.
 *
 * Both drive a {@link MultiStore} opened over the fresh tier the engine hands
 * them, through a {@link StoreSession}; they differ only in the commands they
 * accept and in what `remove` means:
 *
 * ```
 *   store runner   the whole store language (STORE_LANGUAGE), the same table the shell
 *                  uses: set unset remove drop batch/commit get contains scan range prefix
 *                  count_versions versions flush stats stats_current stats_historical
 *                  stats_totals; remove = a Remove delta
 *   stats runner   set get contains scan drop remove stats stats_current stats_historical
 *                  stats_totals (no other command, as the conformance README says)
 *                  remove = an Unset carrying the value visible just before (so its bytes are known)
 * ```
 *
 * So a shell session can be pasted into a store script, and a store script
 * piped into the shell: one language, one command table, one output.
 *
 * Every `drop` (and every `commit` of a batch) awaits the store's flush, so
 * the script sees the drop worker's result without ever sleeping.
 *
 * Both also run named transactions (`t1: begin`, `t1: set a=1`, `t1: commit`;
 * the language of `txn-commands.ts`, snapshot isolation by default): their
 * commits take the next version and raise `current`. A transaction still
 * open when the script ends is rolled back. The error of a `NAME: !command`
 * prints with the `NAME: ` prefix.
 *
 * @module
 */

import type { StoreError } from '../common/errors.js';
import { MultiStore } from '../store/multistore.js';
import type { Command } from './parser.js';
import {
  formatExpectedError,
  type PostgresTarget,
  type RunnerContext,
  type ScriptRunner,
} from './runner.js';
import type { ScriptStore } from './script-store.js';
import { commandsOf, type RemoveMode, STORE_LANGUAGE, StoreSession } from './store-session.js';
import { prefixLines, TransactionNames } from './txn-commands.js';

const STATS_COMMANDS = commandsOf(
  'set',
  'get',
  'contains',
  'scan',
  'drop',
  'remove',
  'stats',
  'stats_current',
  'stats_historical',
  'stats_totals',
);

class StoreRunner implements ScriptRunner {
  readonly #context: RunnerContext;
  readonly #commands: typeof STORE_LANGUAGE;
  readonly #removeMode: RemoveMode;
  #opened: { store: ScriptStore; session: StoreSession; names: TransactionNames } | undefined;

  constructor(context: RunnerContext, commands: typeof STORE_LANGUAGE, removeMode: RemoveMode) {
    this.#context = context;
    this.#commands = commands;
    this.#removeMode = removeMode;
    // The embedded store opens now (a tier that fails to open fails the file at once).
    if (context.postgres === undefined) this.#use(MultiStore.fromTier(context.openTier()));
  }

  async execute(command: Command): Promise<readonly string[]> {
    const opened = this.#opened ?? this.#use(await this.#connect());
    if (command.prefix !== undefined) return opened.names.execute(command);
    return opened.session.execute(command);
  }

  formatError(error: StoreError, command: Command): readonly string[] {
    const lines = formatExpectedError(error);
    return command.prefix === undefined ? lines : prefixLines(command.prefix, lines);
  }

  finish(): void {
    this.#opened?.names.rollbackAll();
    this.#opened?.session.finish();
  }

  async close(): Promise<void> {
    this.#opened?.names.rollbackAll();
    await this.#opened?.store.close();
  }

  #connect(): Promise<ScriptStore> {
    return (this.#context.postgres as PostgresTarget).connect({});
  }

  #use(store: ScriptStore) {
    const { file } = this.#context;
    this.#opened = {
      store,
      session: new StoreSession(store, file, this.#commands, this.#removeMode),
      names: new TransactionNames(store, file, 'snapshot'),
    };
    return this.#opened;
  }
}

/** The store runner: the store layer, commits at versions, reads at versions. */
export function createStoreRunner(context: RunnerContext): ScriptRunner {
  return new StoreRunner(context, STORE_LANGUAGE, 'remove');
}

/** The stats runner: the store layer plus the statistics its events feed. */
export function createStatsRunner(context: RunnerContext): ScriptRunner {
  return new StoreRunner(context, STATS_COMMANDS, 'unset-visible');
}
