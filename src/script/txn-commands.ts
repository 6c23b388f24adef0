/**
 * Named transactions: the `NAME: command` language of the transaction scripts.
 *
 * A line prefixed with a name runs in the transaction of that name; the
 * transaction runner, the store runner and the shell all speak it through
 * this one class, so they cannot drift apart:
 *
 * ```
 *   t1: begin [readonly] [version=V] [isolation=I] [max_age_ms=M]
 *                                      -> store.begin({ readOnly, asOf: V, isolation, maxAgeMs })
 *   r1: begin_replica version=V        -> store.begin(); its commit_replica commits at V
 *   t1: get K...  /  t1: contains K... -> tx.get(k) / tx.contains(k), one line per key
 *   t1: set K=V...  unset K=V...  remove K...
 *   t1: drop K [up_to_version=T] [keep_last_versions=N]
 *   t1: scan / prefix P / range R [reverse=B]   -> tx.range(...)
 *   t1: version                        -> tx.version
 *   t1: set_as_of_inclusive V          -> tx.asOf(V)
 *   t1: set_as_of_exclusive V          -> tx.asOf(V, { exclusive: true })
 *   t1: commit / commit_replica / rollback
 * ```
 *
 * Every output line is prefixed `NAME: ` (without trailing whitespace, so an
 * empty line prints `NAME:`). Everything goes through the store's public API:
 * there are no hooks for scripts.
 *
 * Names follow one lifecycle: `begin` opens a name (refused while it is open),
 * `commit`, `commit_replica` and `rollback` end it (a failed commit too: the
 * store rolls the transaction back), and any other command on a name that is
 * not open is a `SCRIPT_ERROR`. {@link TransactionNames.rollbackAll} ends
 * whatever a script left open.
 *
 * @module
 */

import type { RangeSpec } from '../store/range.js';
import { type CommandArgs, type CommandTable, readArgs } from './args.js';
import { formatBytes, formatEntry } from './format.js';
import type { Command } from './parser.js';
import { ScriptError } from './script-error.js';
import {
  type Awaitable,
  collect,
  type ScriptStore,
  type ScriptTransaction,
} from './script-store.js';
import { rangeSpec } from './store-session.js';

/** A transaction, as `store.begin()` returns it. */
export type Transaction = ScriptTransaction;
/** What `store.begin()` accepts. */
export type BeginOptions = NonNullable<Parameters<ScriptStore['begin']>[0]>;
/** A transaction's isolation level. */
export type Isolation = NonNullable<BeginOptions['isolation']>;

const ISOLATIONS: readonly Isolation[] = ['snapshot', 'serializable'];
const TX = { prefixed: true } as const;
const READ = { ...TX, named: ['reverse'] } as const;

/** Every command of the `NAME:` language, with its arguments. */
export const TRANSACTION_LANGUAGE: CommandTable = Object.freeze({
  begin: { ...TX, flags: ['readonly'], named: ['version', 'isolation', 'max_age_ms'] },
  begin_replica: { ...TX, named: ['version', 'isolation'] },
  commit: TX,
  commit_replica: TX,
  rollback: TX,
  get: { ...TX, positional: ['KEY...'] },
  contains: { ...TX, positional: ['KEY...'] },
  set: { ...TX, pairs: true },
  unset: { ...TX, pairs: true },
  remove: { ...TX, positional: ['KEY...'] },
  drop: { ...TX, positional: ['KEY'], named: ['up_to_version', 'keep_last_versions'] },
  scan: READ,
  prefix: { ...READ, positional: ['PREFIX'] },
  range: { ...READ, positional: ['RANGE'] },
  version: TX,
  set_as_of_inclusive: { ...TX, positional: ['VERSION'] },
  set_as_of_exclusive: { ...TX, positional: ['VERSION'] },
});

interface Named {
  readonly tx: Transaction;
  /** The version `commit_replica` commits at, for a `begin_replica` transaction. */
  readonly replicaVersion: number | undefined;
}

type Handler = (name: string, args: CommandArgs) => Awaitable<readonly string[]>;

/** The open transactions of a script or shell, by name. */
export class TransactionNames {
  readonly #store: ScriptStore;
  readonly #file: string;
  readonly #isolation: Isolation;
  readonly #open = new Map<string, Named>();
  readonly #handlers: Readonly<Record<string, Handler>>;
  #line = 0;

  /**
   * @param isolation what `begin` uses without `isolation=` (scripts of
   *   ReifyDB's suite run serializable, ours snapshot unless they say otherwise)
   */
  constructor(store: ScriptStore, file: string, isolation: Isolation) {
    this.#store = store;
    this.#file = file;
    this.#isolation = isolation;
    this.#handlers = this.#makeHandlers();
  }

  /** The names of the open transactions, in the order they began. */
  get openNames(): readonly string[] {
    return [...this.#open.keys()];
  }

  /** Run one prefixed command; returns its lines, each prefixed `NAME: `. */
  async execute(command: Command): Promise<readonly string[]> {
    const args = readArgs(this.#file, command, TRANSACTION_LANGUAGE);
    const name = command.prefix as string;
    this.#line = command.line;
    const lines = await (this.#handlers[command.name] as Handler)(name, args);
    return prefixLines(name, lines);
  }

  /** Roll back every open transaction (end of a script, close of a shell). */
  rollbackAll(): void {
    for (const { tx } of this.#open.values()) tx.rollback();
    this.#open.clear();
  }

  #makeHandlers(): Record<string, Handler> {
    return {
      begin: (name, a) => this.#begin(name, a, undefined),
      begin_replica: (name, a) => this.#begin(name, a, this.#required(a, 'version')),
      commit: (name) => this.#end(name, (n) => n.tx.commit()),
      commit_replica: (name) => {
        const version = this.#replicaVersion(this.#named(name));
        return this.#end(name, (n) => n.tx.commit(version));
      },
      rollback: (name) => this.#end(name, (n) => n.tx.rollback()),
      get: (name, a) =>
        this.#eachKey(a, async (k) => formatEntry(k, (await this.#tx(name).get(k))?.value)),
      contains: (name, a) =>
        this.#eachKey(a, async (k) => `${formatBytes(k)} => ${await this.#tx(name).contains(k)}`),
      set: (name, a) => this.#each(a.pairs(), (p) => this.#tx(name).set(p.key, p.value)),
      unset: (name, a) => this.#each(a.pairs(), (p) => this.#tx(name).unset(p.key, p.value)),
      remove: (name, a) => this.#each(this.#keys(a), (k) => this.#tx(name).remove(k)),
      drop: (name, a) => this.#drop(name, a),
      scan: (name, a) => this.#range(name, a, {}),
      prefix: (name, a) => this.#range(name, a, { prefix: a.bytes(0) }),
      range: (name, a) => this.#range(name, a, rangeSpec(a.range(0))),
      version: (name) => [String(this.#tx(name).version)],
      set_as_of_inclusive: (name, a) => this.#each([a.integerAt(0)], (v) => this.#tx(name).asOf(v)),
      set_as_of_exclusive: (name, a) =>
        this.#each([a.integerAt(0)], (v) => this.#tx(name).asOf(v, { exclusive: true })),
    };
  }

  async #begin(
    name: string,
    args: CommandArgs,
    replicaVersion: number | undefined,
  ): Promise<readonly string[]> {
    if (this.#open.has(name)) throw this.#error(`transaction ${name} is already open`);
    const tx = await this.#store.begin(this.#beginOptions(args, replicaVersion !== undefined));
    this.#open.set(name, { tx, replicaVersion });
    return [];
  }

  #beginOptions(args: CommandArgs, replica: boolean): BeginOptions {
    const asOf = replica ? undefined : args.integer('version');
    const maxAgeMs = args.integer('max_age_ms');
    return {
      isolation: this.#isolationOf(args),
      ...(args.flag('readonly') ? { readOnly: true } : {}),
      ...(asOf === undefined ? {} : { asOf }),
      ...(maxAgeMs === undefined ? {} : { maxAgeMs }),
    };
  }

  #isolationOf(args: CommandArgs): Isolation {
    const given = args.named('isolation');
    if (given === undefined) return this.#isolation;
    if (!(ISOLATIONS as readonly string[]).includes(given)) {
      throw this.#error(`isolation=${given}: expected ${ISOLATIONS.join(' or ')}`);
    }
    return given as Isolation;
  }

  /**
   * Run `end` on the named transaction; the name ends whatever happens (a
   * failed commit has rolled the transaction back; rolling back again is
   * harmless and makes sure nothing stays open).
   */
  async #end(name: string, end: (named: Named) => unknown): Promise<readonly string[]> {
    const named = this.#named(name);
    this.#open.delete(name);
    try {
      await end(named);
    } catch (error) {
      named.tx.rollback();
      throw error;
    }
    return [];
  }

  #replicaVersion(named: Named): number {
    if (named.replicaVersion === undefined) {
      throw this.#error('commit_replica ends a transaction begun with begin_replica');
    }
    return named.replicaVersion;
  }

  #drop(name: string, args: CommandArgs): readonly string[] {
    const upToVersion = args.integer('up_to_version');
    const keepLastVersions = args.integer('keep_last_versions');
    this.#tx(name).drop(args.bytes(0), {
      ...(upToVersion === undefined ? {} : { upToVersion }),
      ...(keepLastVersions === undefined ? {} : { keepLastVersions }),
    });
    return [];
  }

  async #range(name: string, args: CommandArgs, spec: RangeSpec): Promise<readonly string[]> {
    const reverse = args.boolean('reverse') ?? false;
    const entries = await collect(this.#tx(name).range(spec, { reverse }));
    return entries.map((e) => formatEntry(e.key, e.value));
  }

  /** One line per key, read one after the other. */
  async #eachKey(
    args: CommandArgs,
    line: (key: Uint8Array) => Promise<string>,
  ): Promise<readonly string[]> {
    const lines: string[] = [];
    for (const key of this.#keys(args)) lines.push(await line(key));
    return lines;
  }

  #keys(args: CommandArgs): Uint8Array[] {
    return Array.from({ length: args.count }, (_, i) => args.bytes(i));
  }

  #each<T>(items: readonly T[], run: (item: T) => void): readonly string[] {
    for (const item of items) run(item);
    return [];
  }

  #tx(name: string): Transaction {
    return this.#named(name).tx;
  }

  #named(name: string): Named {
    const named = this.#open.get(name);
    if (named === undefined) throw this.#error(`no open transaction ${name} (begin it first)`);
    return named;
  }

  #required(args: CommandArgs, argument: string): number {
    const value = args.integer(argument);
    if (value === undefined) throw this.#error(`${argument}=N is required`);
    return value;
  }

  #error(message: string): ScriptError {
    return new ScriptError(this.#file, this.#line, message);
  }
}

/** `NAME: line` for each line, without trailing whitespace (an empty line prints `NAME:`). */
export function prefixLines(name: string, lines: readonly string[]): string[] {
  return lines.map((line) => `${name}: ${line}`.trimEnd());
}
