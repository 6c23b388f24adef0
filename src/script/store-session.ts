/**
 * A store driven by the store command language of the conformance README.
 *
 * The store and stats runners, and the interactive shell, all speak the same
 * language to a {@link MultiStore}; this session is that language, once:
 *
 * ```
 *   set a=1 version=3     -> commit [set a=1] at 3            (current = 3)
 *   set b=2               -> commit [set b=2] at current+1    (current = 4)
 *   drop a keep_last_versions=1
 *                         -> commit [drop a ...] at 5, then await the drop worker
 *   drop_prefix user: keep_last_versions=1
 *                         -> commit [drop prefix "user:" ...], then await the drop worker
 *   drop_range a..=c      -> commit [drop start "a" end "c" endInclusive], then await it
 *   batch version=9 / set a=x / drop a / commit
 *                         -> ONE commit of both deltas at 9, then await the drop worker
 *   get a version=3       -> "a" => "1"
 *   stats_current         -> await every drop, then the figures summed over tables
 *   changes from=2 prefix=a  -> the change feed: "a"@3 => "x", "ab"@4 => None, ...
 *   diff 2 4              -> "a" => "1" -> "2", "b" => None -> "3", ... (None: absent)
 * ```
 *
 * `current` is the highest commit version used so far (it starts at the
 * store's latest version, and follows commits made by transactions); reads
 * without `version=` read at it. Each runner
 * (or the shell) picks which commands it accepts through a command table, so
 * a script can only use the commands its runner documents.
 *
 * @module
 */

import { isVersion } from '../common/version.js';
import type { StorageFigures } from '../stats/figures.js';
import type { Delta } from '../store/deltas.js';
import type { RangeSpec } from '../store/range.js';
import type { Bound } from '../tier/tier.js';
import {
  type ArgSpec,
  type CommandArgs,
  type CommandTable,
  type KeyRange,
  readArgs,
} from './args.js';
import { formatBytes, formatEntry } from './format.js';
import type { Command } from './parser.js';
import { ScriptError } from './script-error.js';
import { collect, type ScriptStore } from './script-store.js';

const VERSION = ['version'] as const;
const READ = ['version', 'reverse'] as const;
const BATCHABLE = ['set', 'unset', 'remove', 'drop', 'drop_range', 'drop_prefix', 'commit'];
const DROP_NAMED = ['up_to_version', 'keep_last_versions', 'version'] as const;

/** Every command of the store language, with its arguments. */
export const STORE_LANGUAGE: CommandTable = Object.freeze({
  set: { pair: true, named: VERSION },
  unset: { pair: true, named: VERSION },
  remove: { positional: ['KEY'], named: VERSION },
  drop: { positional: ['KEY'], named: DROP_NAMED },
  drop_range: { positional: ['RANGE'], named: DROP_NAMED },
  drop_prefix: { positional: ['PREFIX'], named: DROP_NAMED },
  batch: { named: VERSION },
  commit: {},
  get: { positional: ['KEY'], named: VERSION },
  contains: { positional: ['KEY'], named: VERSION },
  scan: { named: READ },
  range: { positional: ['RANGE'], named: READ },
  prefix: { positional: ['PREFIX'], named: READ },
  count_versions: { positional: ['KEY'] },
  versions: { positional: ['KEY'] },
  changes: { named: ['from', 'to', 'prefix'] },
  diff: { positional: ['V1', 'V2'], named: ['prefix'] },
  flush: {},
  stats: {},
  stats_current: {},
  stats_historical: {},
  stats_totals: {},
});

/** Pick commands of {@link STORE_LANGUAGE} for a runner. */
export function commandsOf(...names: string[]): CommandTable {
  const table: Record<string, ArgSpec> = {};
  for (const name of names) table[name] = STORE_LANGUAGE[name] as ArgSpec;
  return Object.freeze(table);
}

/** How the session turns `remove KEY` into a delta. */
export type RemoveMode =
  /** A Remove delta (store runner). */
  | 'remove'
  /** An Unset carrying the value visible just before, or Remove when none (stats runner). */
  | 'unset-visible';

type Handler = (args: CommandArgs) => readonly string[] | Promise<readonly string[]>;

/** Executes store-language commands against one store. */
export class StoreSession {
  readonly #store: ScriptStore;
  readonly #file: string;
  readonly #commands: CommandTable;
  readonly #removeMode: RemoveMode;
  readonly #handlers: Readonly<Record<string, Handler>>;
  #current: number;
  #batch: { version: number | undefined; deltas: Delta[]; line: number } | undefined;
  /** The line of the command being executed. */
  #line = 0;

  constructor(store: ScriptStore, file: string, commands: CommandTable, removeMode: RemoveMode) {
    this.#store = store;
    this.#file = file;
    this.#commands = commands;
    this.#removeMode = removeMode;
    this.#current = store.latestVersion;
    this.#handlers = this.#makeHandlers();
  }

  /** The highest commit version used so far (transactions' commits included). */
  get current(): number {
    this.#follow();
    return this.#current;
  }

  /** Run one command; returns the lines it prints. */
  async execute(command: Command): Promise<readonly string[]> {
    this.#follow();
    const args = readArgs(this.#file, command, this.#commands);
    const handler = this.#handlers[command.name] as Handler;
    this.#checkBatchRules(command, args);
    this.#line = command.line;
    return handler(args);
  }

  /**
   * The script is over: throws a `SCRIPT_ERROR` at the line of a `batch`
   * still open (its writes were never committed, so they would be silently
   * discarded).
   */
  finish(): void {
    if (this.#batch === undefined) return;
    const { line } = this.#batch;
    this.#batch = undefined;
    throw new ScriptError(
      this.#file,
      line,
      'the script ends inside this batch: it was never committed, so its writes would be discarded',
    );
  }

  /** Commits made through the store's other doors (a transaction's) raise current too. */
  #follow(): void {
    this.#current = Math.max(this.#current, this.#store.latestVersion);
  }

  /** Inside `batch ... commit` only writes (without `version=`) and `commit` are allowed. */
  #checkBatchRules(command: Command, args: CommandArgs): void {
    if (this.#batch === undefined) {
      if (command.name === 'commit') throw this.#error(command, 'commit without batch');
      return;
    }
    if (!BATCHABLE.includes(command.name)) {
      throw this.#error(command, `${command.name} is not allowed inside batch ... commit`);
    }
    if (args.has('version')) throw this.#error(command, 'version= is not allowed inside a batch');
  }

  /** True while a `batch` waits for its `commit`. */
  get inBatch(): boolean {
    return this.#batch !== undefined;
  }

  #makeHandlers(): Record<string, Handler> {
    return {
      set: (a) => this.#write(a, { type: 'set', key: a.pair().key, value: a.pair().value }),
      unset: (a) => this.#write(a, { type: 'unset', key: a.pair().key, value: a.pair().value }),
      remove: (a) => this.#remove(a),
      drop: (a) => this.#drop(a, { key: a.bytes(0) }),
      drop_range: (a) => this.#drop(a, rangeSpec(a.range(0))),
      drop_prefix: (a) => this.#drop(a, { prefix: a.bytes(0) }),
      batch: (a) => this.#beginBatch(a),
      commit: () => this.#commitBatch(),
      get: async (a) => [
        formatEntry(a.bytes(0), (await this.#store.get(a.bytes(0), this.#readVersion(a)))?.value),
      ],
      contains: async (a) => [
        `${formatBytes(a.bytes(0))} => ${await this.#store.contains(a.bytes(0), this.#readVersion(a))}`,
      ],
      scan: (a) => this.#scan(a, {}),
      range: (a) => this.#scan(a, rangeSpec(a.range(0))),
      prefix: (a) => this.#scan(a, { prefix: a.bytes(0) }),
      count_versions: async (a) => [
        `${formatBytes(a.bytes(0))} => ${(await this.#store.versions(a.bytes(0))).length} versions`,
      ],
      versions: (a) => this.#versions(a.bytes(0)),
      changes: (a) => this.#changes(a),
      diff: (a) => this.#diff(a),
      flush: async () => {
        await this.#store.flush();
        return [];
      },
      stats: () => this.#figures(statsLines),
      stats_current: () => this.#figures(currentLines),
      stats_historical: () => this.#figures(historicalLines),
      stats_totals: () => this.#figures(totalLines),
    };
  }

  /** Commit one write now, or collect it into the open batch. */
  async #write(args: CommandArgs, delta: Delta): Promise<readonly string[]> {
    if (this.#batch !== undefined) {
      this.#batch.deltas.push(delta);
      return [];
    }
    await this.#commit([delta], args.integer('version'));
    if (delta.type === 'drop') await this.#store.flush();
    return [];
  }

  async #remove(args: CommandArgs): Promise<readonly string[]> {
    const key = args.bytes(0);
    if (this.#removeMode === 'unset-visible' && this.#batch === undefined) {
      const at = args.integer('version') ?? this.#current + 1;
      // A version the store refuses: let the commit say so, not a read below it.
      const visible = isVersion(at) && at > 0 ? await this.#store.get(key, at - 1) : undefined;
      if (visible !== undefined)
        return this.#write(args, { type: 'unset', key, value: visible.value });
    }
    return this.#write(args, { type: 'remove', key });
  }

  /** A drop of a key (`{ key }`), a range or a prefix. */
  #drop(args: CommandArgs, target: { key: Uint8Array } | RangeSpec): Promise<readonly string[]> {
    const upToVersion = args.integer('up_to_version');
    const keepLastVersions = args.integer('keep_last_versions');
    // `..` names every key: a range drop of every key is an empty prefix.
    const named = 'key' in target || Object.keys(target).length > 0;
    return this.#write(args, {
      type: 'drop',
      ...(named ? target : { prefix: new Uint8Array() }),
      ...(upToVersion === undefined ? {} : { upToVersion }),
      ...(keepLastVersions === undefined ? {} : { keepLastVersions }),
    } as Delta);
  }

  #beginBatch(args: CommandArgs): readonly string[] {
    this.#batch = { version: args.integer('version'), deltas: [], line: this.#line };
    return [];
  }

  async #commitBatch(): Promise<readonly string[]> {
    const batch = this.#batch as { version: number | undefined; deltas: Delta[] };
    this.#batch = undefined;
    await this.#commit(batch.deltas, batch.version);
    await this.#store.flush();
    return [];
  }

  async #scan(args: CommandArgs, spec: RangeSpec): Promise<readonly string[]> {
    const options = { version: this.#readVersion(args), reverse: args.boolean('reverse') ?? false };
    return (await collect(this.#store.range(spec, options))).map((entry) =>
      formatEntry(entry.key, entry.value),
    );
  }

  async #versions(key: Uint8Array): Promise<readonly string[]> {
    return (await this.#store.versions(key)).map(
      ({ version, value }) =>
        `${formatBytes(key)}@${version} => ${value === undefined ? 'None' : formatBytes(value)}`,
    );
  }

  /** Every stored write in (from, to] (by default all), one line each, in version then key order. */
  async #changes(args: CommandArgs): Promise<readonly string[]> {
    const from = args.integer('from');
    const to = args.integer('to');
    const prefix = args.namedBytes('prefix');
    const options = {
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      ...(prefix === undefined ? {} : { prefix }),
    };
    const lines: string[] = [];
    for await (const { version, writes } of this.#store.changes(options)) {
      for (const { key, value } of writes) {
        lines.push(
          `${formatBytes(key)}@${version} => ${value === undefined ? 'None' : formatBytes(value)}`,
        );
      }
    }
    return lines;
  }

  /** The keys whose value differs between V1 and V2: `KEY => BEFORE -> AFTER` (None: absent). */
  async #diff(args: CommandArgs): Promise<readonly string[]> {
    const prefix = args.namedBytes('prefix');
    const spec = prefix === undefined ? {} : { prefix };
    const show = (value: Uint8Array | undefined) =>
      value === undefined ? 'None' : formatBytes(value);
    return (await collect(this.#store.diff(args.integerAt(0), args.integerAt(1), spec))).map(
      ({ key, before, after }) => `${formatBytes(key)} => ${show(before)} -> ${show(after)}`,
    );
  }

  async #figures(print: (figures: StorageFigures) => string[]): Promise<readonly string[]> {
    await this.#store.flush();
    return print((await this.#store.stats()).total);
  }

  /** Commit at `version=N` (raising current), else at current + 1; current moves only once the commit succeeded. */
  async #commit(deltas: readonly Delta[], given: number | undefined): Promise<void> {
    const version = given ?? this.#current + 1;
    await this.#store.commit(deltas, version);
    if (version > this.#current) this.#current = version;
  }

  /**
   * A read-only store's writer (another process) may erase the version taken
   * before the read began; without `version=` it reads the latest of the
   * snapshot the read takes instead.
   */
  #readVersion(args: CommandArgs): number | undefined {
    return args.integer('version') ?? (this.#store.readOnly === true ? undefined : this.#current);
  }

  #error(command: Command, message: string): ScriptError {
    return new ScriptError(this.#file, command.line, message);
  }
}

/** The store's range spec for a script's key range. */
export function rangeSpec(range: KeyRange): RangeSpec {
  return { ...startOf(range.start), ...endOf(range.end) };
}

function startOf(bound: Bound): RangeSpec {
  // `parseRange` only produces included or unbounded starts.
  return bound.kind === 'unbounded' ? {} : { start: bound.key };
}

function endOf(bound: Bound): RangeSpec {
  if (bound.kind === 'unbounded') return {};
  return { end: bound.key, endInclusive: bound.kind === 'included' };
}

function currentLines(f: StorageFigures): string[] {
  return [
    `current_count: ${f.currentCount}`,
    `current_key_bytes: ${f.currentKeyBytes}`,
    `current_value_bytes: ${f.currentValueBytes}`,
  ];
}

function historicalLines(f: StorageFigures): string[] {
  return [
    `historical_count: ${f.historicalCount}`,
    `historical_key_bytes: ${f.historicalKeyBytes}`,
    `historical_value_bytes: ${f.historicalValueBytes}`,
  ];
}

function bytesOf(f: StorageFigures): { current: number; historical: number } {
  return {
    current: f.currentKeyBytes + f.currentValueBytes,
    historical: f.historicalKeyBytes + f.historicalValueBytes,
  };
}

function totalLines(f: StorageFigures): string[] {
  const { current, historical } = bytesOf(f);
  return [
    `total_count: ${f.currentCount + f.historicalCount}`,
    `current_bytes: ${current}`,
    `historical_bytes: ${historical}`,
    `total_bytes: ${current + historical}`,
  ];
}

function statsLines(f: StorageFigures): string[] {
  const { current, historical } = bytesOf(f);
  return [
    ...currentLines(f),
    ...historicalLines(f),
    // The reference stats format counts a change-data-capture log here; this
    // store keeps none, so these are always 0 (README, the store command language).
    'cdc_count: 0',
    'cdc_key_bytes: 0',
    'cdc_value_bytes: 0',
    `total_bytes: ${current + historical}`,
  ];
}
