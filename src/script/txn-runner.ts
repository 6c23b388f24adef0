/**
 * The transaction runner: scripts of named, interleaved transactions.
 *
 * Selected by a folder named `txn` (our scripts) or `txn-conformance`
 * (ReifyDB's transaction suite, which must pass unmodified). A line prefixed
 * `NAME:` runs in the transaction of that name (`txn-commands.ts`); lines
 * without a prefix act on the store itself:
 *
 * ```
 *   import K=V...                  one automatic commit (K= removes K)
 *   advance_replica version=V      store.commit([], V): V is committed, with no data
 *   commit_at V K=V...             store.commit(deltas, V): an explicit-version commit
 *   get K... [version=V]           store.get, one line per key
 *   contains K... [version=V]      store.contains
 *   scan / prefix P / range R [version=V] [reverse=B]    store.range
 *   versions K                     every stored version of K, newest first
 *   drop K [up_to_version=T] [keep_last_versions=N]      one automatic commit of a drop
 *   flush                          await store.flush(): every drop not held back by a snapshot
 *   snapshots                      watermark, open snapshots, parked drop requests
 *   advance_clock MS               move the store's (mock) clock: maxAgeMs expiry
 *   table NAME prefix=P [keep_last_versions=N]   declare a table; only before anything else
 * ```
 *
 * How the store is set up, so that ReifyDB's version numbering holds (its
 * suite asks the runner to say so): the store is opened over the fresh tier
 * of the run, with a {@link MockClock} (time moves only by `advance_clock`)
 * and the tables the script declared, then `store.commit([], 1)` commits
 * version 1 with no data, so a new store reads at version 1 and the first
 * write takes version 2, as in ReifyDB. Empty and read-only commits take no
 * version (the store's rule, not the runner's).
 *
 * Isolation: `begin` without `isolation=` is `serializable` under a
 * `txn-conformance` folder (ReifyDB tracks reads, its scripts expect write
 * skew refused) and `snapshot` elsewhere.
 *
 * Errors of a `!command`: a `TRANSACTION_CONFLICT` prints ReifyDB's
 * diagnostic for its code TXN_001, as the suite expects; any other error
 * prints `Error: CODE: message` as in every runner. Either way each line gets
 * the command's `NAME: ` prefix. At the end of the script every open
 * transaction is rolled back and the store closed.
 *
 * @module
 */

import { isStoreError, type StoreError } from '../common/errors.js';
import { MockClock } from '../runtime/clock.js';
import type { Delta } from '../store/deltas.js';
import { MultiStore } from '../store/multistore.js';
import type { TableDeclaration } from '../store/options.js';
import type { RangeSpec } from '../store/range.js';
import { type CommandArgs, type CommandTable, readArgs } from './args.js';
import { selectingFolderOf } from './discover.js';
import { formatBytes, formatEntry } from './format.js';
import type { Command } from './parser.js';
import { formatExpectedError, type RunnerContext, type ScriptRunner } from './runner.js';
import { ScriptError } from './script-error.js';
import { collect, type ScriptStore } from './script-store.js';
import { rangeSpec } from './store-session.js';
import {
  type Isolation,
  prefixLines,
  TRANSACTION_LANGUAGE,
  TransactionNames,
} from './txn-commands.js';

const READ = ['version', 'reverse'] as const;

/** The commands without a `NAME:` prefix. */
export const TXN_STORE_LANGUAGE: CommandTable = Object.freeze({
  import: { pairs: true },
  advance_replica: { named: ['version'] },
  commit_at: { positional: ['VERSION'], pairs: true },
  get: { positional: ['KEY...'], named: ['version'] },
  contains: { positional: ['KEY...'], named: ['version'] },
  scan: { named: READ },
  prefix: { positional: ['PREFIX'], named: READ },
  range: { positional: ['RANGE'], named: READ },
  versions: { positional: ['KEY'] },
  drop: { positional: ['KEY'], named: ['up_to_version', 'keep_last_versions'] },
  flush: {},
  snapshots: {},
  advance_clock: { positional: ['MS'] },
  table: { positional: ['NAME'], named: ['prefix', 'keep_last_versions'] },
});

/** The folder whose scripts run serializable by default (ReifyDB's suite). */
export const SERIALIZABLE_FOLDER = 'txn-conformance';

/** The first line of ReifyDB's diagnostic for a conflict, and the rest. */
const CONFLICT_DIAGNOSTIC: readonly string[] = Object.freeze([
  'Error TXN_001',
  '  Transaction conflict detected - another transaction modified the same data',
  '',
  'HELP',
  '  Retry the transaction',
  '',
]);

type Handler = (args: CommandArgs) => readonly string[] | Promise<readonly string[]>;

/** The store of a script, opened at its first command that needs it. */
interface Opened {
  readonly store: ScriptStore;
  readonly names: TransactionNames;
}

class TxnRunner implements ScriptRunner {
  readonly #context: RunnerContext;
  readonly #isolation: Isolation;
  readonly #clock = new MockClock();
  readonly #tables: TableDeclaration[] = [];
  readonly #handlers: Readonly<Record<string, Handler>>;
  #opened: Opened | undefined;
  #line = 0;

  constructor(context: RunnerContext) {
    this.#context = context;
    const folder = selectingFolderOf(context.file)?.folder ?? '';
    this.#isolation = folder.endsWith(SERIALIZABLE_FOLDER) ? 'serializable' : 'snapshot';
    this.#handlers = this.#makeHandlers();
  }

  async execute(command: Command): Promise<readonly string[]> {
    this.#line = command.line;
    if (command.prefix !== undefined) return (await this.#open()).names.execute(command);
    if (!Object.hasOwn(TXN_STORE_LANGUAGE, command.name)) this.#unknown(command);
    const args = readArgs(this.#context.file, command, TXN_STORE_LANGUAGE);
    if (command.name !== 'table' && command.name !== 'advance_clock') await this.#open();
    return (this.#handlers[command.name] as Handler)(args);
  }

  formatError(error: StoreError, command: Command): readonly string[] {
    const lines = isStoreError(error, 'TRANSACTION_CONFLICT')
      ? CONFLICT_DIAGNOSTIC
      : formatExpectedError(error);
    return command.prefix === undefined ? lines : prefixLines(command.prefix, lines);
  }

  finish(): void {
    this.#opened?.names.rollbackAll();
  }

  async close(): Promise<void> {
    if (this.#opened === undefined) return;
    this.#opened.names.rollbackAll();
    await this.#opened.store.close();
  }

  #unknown(command: Command): never {
    if (Object.hasOwn(TRANSACTION_LANGUAGE, command.name)) {
      throw this.#error(`${command.name} needs a NAME: prefix (the transaction it runs in)`);
    }
    const known = Object.keys(TXN_STORE_LANGUAGE).sort().join(', ');
    throw this.#error(
      `unknown command '${command.name}' (known: ${known}; with a NAME: prefix: ${Object.keys(TRANSACTION_LANGUAGE).sort().join(', ')})`,
    );
  }

  async #open(): Promise<Opened> {
    if (this.#opened !== undefined) return this.#opened;
    const options = { clock: this.#clock, tables: this.#tables };
    const postgres = this.#context.postgres;
    const store: ScriptStore =
      postgres === undefined
        ? MultiStore.fromTier(this.#context.openTier(), options)
        : await postgres.connect(options);
    await store.commit([], 1);
    this.#opened = {
      store,
      names: new TransactionNames(store, this.#context.file, this.#isolation),
    };
    return this.#opened;
  }

  /** The store, once a command other than `table` and `advance_clock` has opened it. */
  get #store(): ScriptStore {
    return (this.#opened as Opened).store;
  }

  #makeHandlers(): Record<string, Handler> {
    return {
      import: (a) => this.#silently(() => this.#store.commit(deltasOf(a))),
      advance_replica: (a) => this.#silently(() => this.#store.commit([], this.#required(a))),
      commit_at: (a) => this.#silently(() => this.#store.commit(deltasOf(a), a.integerAt(0))),
      get: (a) =>
        this.#eachKey(a, async (k) =>
          formatEntry(k, (await this.#store.get(k, a.integer('version')))?.value),
        ),
      contains: (a) =>
        this.#eachKey(
          a,
          async (k) =>
            `${formatBytes(k)} => ${await this.#store.contains(k, a.integer('version'))}`,
        ),
      scan: (a) => this.#scan(a, {}),
      prefix: (a) => this.#scan(a, { prefix: a.bytes(0) }),
      range: (a) => this.#scan(a, rangeSpec(a.range(0))),
      versions: (a) => this.#versions(a.bytes(0)),
      drop: (a) => this.#silently(() => this.#store.commit([dropOf(a)])),
      flush: async () => {
        await this.#store.flush();
        return [];
      },
      snapshots: () => this.#snapshots(),
      advance_clock: (a) => this.#silently(() => this.#clock.advanceMillis(a.integerAt(0))),
      table: (a) => this.#declareTable(a),
    };
  }

  async #silently(run: () => unknown): Promise<readonly string[]> {
    await run();
    return [];
  }

  async #eachKey(
    args: CommandArgs,
    line: (key: Uint8Array) => Promise<string>,
  ): Promise<readonly string[]> {
    const lines: string[] = [];
    for (const key of keysOf(args)) lines.push(await line(key));
    return lines;
  }

  async #scan(args: CommandArgs, spec: RangeSpec): Promise<readonly string[]> {
    const version = args.integer('version');
    const options = {
      reverse: args.boolean('reverse') ?? false,
      ...(version === undefined ? {} : { version }),
    };
    const entries = await collect(this.#store.range(spec, options));
    return entries.map((e) => formatEntry(e.key, e.value));
  }

  async #versions(key: Uint8Array): Promise<readonly string[]> {
    return (await this.#store.versions(key)).map(({ version, value }) => {
      const shown = value === undefined ? 'None' : formatBytes(value);
      return `${formatBytes(key)}@${version} => ${shown}`;
    });
  }

  async #snapshots(): Promise<readonly string[]> {
    const { watermark, open } = (await this.#store.stats()).snapshots;
    const { parked } = await this.#store.dropWorkerStats();
    return [`watermark: ${watermark ?? 'none'}`, `open: ${open}`, `parked: ${parked}`];
  }

  #declareTable(args: CommandArgs): readonly string[] {
    if (this.#opened !== undefined) {
      throw this.#error('table declarations must come before every other command');
    }
    const prefix = args.named('prefix');
    if (prefix === undefined) throw this.#error('table: prefix=P is required');
    const keep = args.integer('keep_last_versions');
    this.#tables.push({
      name: args.text(0),
      prefix,
      ...(keep === undefined ? {} : { retention: { keepLastVersions: keep } }),
    });
    return [];
  }

  #required(args: CommandArgs): number {
    const version = args.integer('version');
    if (version === undefined) throw this.#error('version=N is required');
    return version;
  }

  #error(message: string): ScriptError {
    return new ScriptError(this.#context.file, this.#line, message);
  }
}

/** The deltas of `K=V...` arguments: a set, or a remove for an empty value (`K=`). */
function deltasOf(args: CommandArgs): Delta[] {
  return args
    .pairs()
    .map(({ key, value }) =>
      value.length === 0 ? { type: 'remove', key } : { type: 'set', key, value },
    );
}

function keysOf(args: CommandArgs): Uint8Array[] {
  return Array.from({ length: args.count }, (_, i) => args.bytes(i));
}

function dropOf(args: CommandArgs): Delta {
  const upToVersion = args.integer('up_to_version');
  const keepLastVersions = args.integer('keep_last_versions');
  return {
    type: 'drop',
    key: args.bytes(0),
    ...(upToVersion === undefined ? {} : { upToVersion }),
    ...(keepLastVersions === undefined ? {} : { keepLastVersions }),
  };
}

/** The transaction runner (see the module documentation). */
export function createTxnRunner(context: RunnerContext): ScriptRunner {
  return new TxnRunner(context);
}
