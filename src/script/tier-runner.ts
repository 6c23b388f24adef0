/**
 * The tier runner: drives one tier directly, no store above it.
 *
 * It plays the part of a very small store so that the `reference/tier`
 * scripts can talk in keys rather than versions:
 *
 * ```
 *   set a=1      -> tier.set(1, {multi: [a="1"]})        prints ok
 *   delete a     -> tier.set(2, {multi: [a=tombstone]})  prints ok
 *   get a        -> tier.get(multi, a, 2)                prints "a" => None
 *   drop a       -> tier.drop({multi: [a@1, a@2]})       prints ok (every stored version)
 * ```
 *
 * Every write takes the next version of the runner's own counter (the first
 * write is version 1); every read is at the latest version written. Counting
 * commands walk the whole table in pages of `pageSize` keys through the
 * cursor, the way a caller that cannot hold the table in memory would, so
 * they exercise the tiers' paging. `table=T` picks a table for one command,
 * `use_table T` changes the default (`multi`). Tables are created on first
 * use, so reading a table nobody wrote is an empty read, not an error.
 *
 * @module
 */

import { equalBytes } from '../common/bytes.js';
import { TierIoError } from '../common/errors.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { pages } from '../tier/paging.js';
import { DEFAULT_TABLE, type RangeCursor, type TierEntry, UNBOUNDED } from '../tier/tier.js';
import { type CommandArgs, type CommandTable, type KeyRange, readArgs } from './args.js';
import { formatEntry } from './format.js';
import type { Command } from './parser.js';
import type { RunnerContext, ScriptRunner } from './runner.js';

/** Options of the tier runner. */
export interface TierRunnerOptions {
  /** Keys per range page for `range`, `scan` and the counts (default 100). */
  readonly pageSize?: number;
}

/** The default number of keys per range page. */
export const DEFAULT_PAGE_SIZE = 100;

const TABLE = ['table'] as const;

/** The commands of the tier runner and their arguments. */
export const TIER_COMMANDS: CommandTable = Object.freeze({
  set: { pair: true, named: TABLE },
  delete: { positional: ['KEY'], named: TABLE },
  drop: { positional: ['KEY'], named: TABLE },
  get: { positional: ['KEY'], named: TABLE },
  contains: { positional: ['KEY'], named: TABLE },
  range: { positional: ['RANGE'], named: TABLE },
  scan: { named: TABLE },
  count_entries: { named: TABLE },
  count_tombstones: { named: TABLE },
  storage_size: { named: TABLE },
  clear_table: { named: TABLE },
  use_table: { positional: ['TABLE'] },
});

const WHOLE_TABLE: KeyRange = Object.freeze({ start: UNBOUNDED, end: UNBOUNDED });

/** Create a tier runner on a fresh tier from `context.openTier()`. */
export function createTierRunner(
  context: RunnerContext,
  options: TierRunnerOptions = {},
): ScriptRunner {
  return new TierRunner(context.file, context.openTier(), options.pageSize ?? DEFAULT_PAGE_SIZE);
}

type Handler = (args: CommandArgs, table: string) => string[];

class TierRunner implements ScriptRunner {
  readonly #file: string;
  readonly #tier: AbstractTier;
  readonly #pageSize: number;
  readonly #handlers: Readonly<Record<string, Handler>>;
  readonly #ensured = new Set<string>();
  #defaultTable = DEFAULT_TABLE;
  #version = 0;

  constructor(file: string, tier: AbstractTier, pageSize: number) {
    this.#file = file;
    this.#tier = tier;
    this.#pageSize = pageSize;
    this.#handlers = {
      set: (args, table) => this.#write(table, args.pair().key, args.pair().value),
      delete: (args, table) => this.#write(table, args.bytes(0), undefined),
      drop: (args, table) => this.#drop(table, args.bytes(0)),
      get: (args, table) => [formatEntry(args.bytes(0), this.#latest(table, args.bytes(0)))],
      contains: (args, table) => [String(this.#latest(table, args.bytes(0)) !== undefined)],
      range: (args, table) => this.#entries(table, args.range(0)).map(formatTierEntry),
      scan: (_args, table) => this.#entries(table, WHOLE_TABLE).map(formatTierEntry),
      count_entries: (_args, table) => [`entries: ${this.#count(table, isValue)}`],
      count_tombstones: (_args, table) => [`tombstones: ${this.#count(table, isTombstone)}`],
      storage_size: (_args, table) => [`size: ${this.#count(table, () => true)}`],
      clear_table: (_args, table) => this.#clear(table),
      use_table: (args) => this.#useTable(args.text(0)),
    };
  }

  execute(command: Command): string[] {
    const args = readArgs(this.#file, command, TIER_COMMANDS);
    const handler = this.#handlers[command.name] as Handler;
    const table = args.named('table') ?? this.#defaultTable;
    this.#ensureTable(table);
    return handler(args, table);
  }

  close(): void {
    this.#tier.close();
  }

  #ensureTable(table: string): void {
    if (this.#ensured.has(table)) return;
    this.#tier.ensureTable(table);
    this.#ensured.add(table);
  }

  #write(table: string, key: Uint8Array, value: Uint8Array | undefined): string[] {
    this.#tier.set(this.#version + 1, new Map([[table, [{ key, value }]]]));
    this.#version++;
    return ['ok'];
  }

  #drop(table: string, key: Uint8Array): string[] {
    const versions = this.#tier.getVersionSizes(table, key);
    if (versions.length > 0) {
      const drops = versions.map(({ version }) => ({ key, version }));
      this.#tier.drop(new Map([[table, drops]]));
    }
    return ['ok'];
  }

  /** The latest value of `key`, `undefined` when absent or a tombstone. */
  #latest(table: string, key: Uint8Array): Uint8Array | undefined {
    return this.#tier.get(table, key, this.#version)?.value;
  }

  /** Every key's latest entry in `range`, tombstones included. */
  #entries(table: string, range: KeyRange): TierEntry[] {
    return [...this.#walk(table, range)];
  }

  /** The number of keys whose latest entry satisfies `test`, counted page by page. */
  #count(table: string, test: (entry: TierEntry) => boolean): number {
    let count = 0;
    for (const entry of this.#walk(table, WHOLE_TABLE)) if (test(entry)) count++;
    return count;
  }

  /** Read `range` page by page through the cursor, as a caller that cannot hold the table would. */
  *#walk(table: string, range: KeyRange): Generator<TierEntry> {
    const { start, end } = range;
    const request = { start, end, version: this.#version, limit: this.#pageSize };
    let previous: RangeCursor | undefined;
    for (const page of pages(this.#tier, table, request)) {
      yield* page.entries;
      if (page.cursor !== undefined && previous !== undefined) checkProgress(previous, page.cursor);
      previous = page.cursor;
    }
  }

  #clear(table: string): string[] {
    this.#tier.clearTable(table);
    return ['ok'];
  }

  /** A name the tier refuses leaves the default table as it was. */
  #useTable(table: string): string[] {
    this.#ensureTable(table);
    this.#defaultTable = table;
    return ['ok'];
  }
}

function isValue(entry: TierEntry): boolean {
  return entry.value !== undefined;
}

function isTombstone(entry: TierEntry): boolean {
  return entry.value === undefined;
}

function formatTierEntry(entry: TierEntry): string {
  return formatEntry(entry.key, entry.value);
}

/** A cursor that does not move would loop forever: report the tier bug instead. */
function checkProgress(previous: RangeCursor, next: RangeCursor): void {
  if (equalBytes(previous.lastKey, next.lastKey)) {
    throw new TierIoError('range cursor did not advance past the previous page', undefined);
  }
}
