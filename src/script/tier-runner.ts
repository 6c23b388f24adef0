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
 * The runner speaks to a {@link RunnerTier}: an `AbstractTier` (memory,
 * SQLite) through {@link runnerTierOf}, or the PostgreSQL tables of a store
 * schema (asynchronous; the context's `postgres` target opens one).
 *
 * @module
 */

import { equalBytes } from '../common/bytes.js';
import { TierIoError } from '../common/errors.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { pages } from '../tier/paging.js';
import {
  type Bound,
  DEFAULT_TABLE,
  type RangeCursor,
  type TierEntry,
  UNBOUNDED,
} from '../tier/tier.js';
import { type CommandArgs, type CommandTable, type KeyRange, readArgs } from './args.js';
import { formatEntry } from './format.js';
import type { Command } from './parser.js';
import type { RunnerContext, ScriptRunner } from './runner.js';
import { type Awaitable, collect, type Entries } from './script-store.js';

/** Options of the tier runner. */
export interface TierRunnerOptions {
  /** Keys per page when walking a table (default {@link DEFAULT_PAGE_SIZE}). */
  readonly pageSize?: number;
}

/** Keys per page of the counting and listing commands. */
export const DEFAULT_PAGE_SIZE = 100;

const TABLE = ['table'] as const;

/** The tier runner's commands and their arguments. */
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

/** What the tier runner does to a tier: each may answer now or later. */
export interface RunnerTier {
  ensureTable(table: string): Awaitable<void>;
  /** Write one key (a tombstone when `value` is undefined) at `version`. */
  write(
    version: number,
    table: string,
    key: Uint8Array,
    value: Uint8Array | undefined,
  ): Awaitable<void>;
  /** Erase every stored version of `key`. */
  dropAll(table: string, key: Uint8Array): Awaitable<void>;
  /** The value of the newest entry at or below `version` (undefined: none or a tombstone). */
  latest(table: string, key: Uint8Array, version: number): Awaitable<Uint8Array | undefined>;
  /** One entry per key of `[start, end)` at `version` (tombstones too), paged by `pageSize`. */
  entries(
    table: string,
    start: Bound,
    end: Bound,
    version: number,
    pageSize: number,
  ): Entries<TierEntry>;
  clear(table: string): Awaitable<void>;
  close(): Awaitable<void>;
}

/** A tier runner for one script: on `context.postgres` when given, else on `context.openTier()`. */
export function createTierRunner(
  context: RunnerContext,
  options: TierRunnerOptions = {},
): ScriptRunner {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const postgres = context.postgres;
  const tier =
    postgres === undefined ? runnerTierOf(context.openTier()) : () => postgres.openTier();
  return new TierRunner(context.file, tier, pageSize);
}

/** An `AbstractTier` as a {@link RunnerTier}: sync calls, pages walked through the cursor. */
export function runnerTierOf(tier: AbstractTier): RunnerTier {
  return {
    ensureTable: (table) => tier.ensureTable(table),
    write: (version, table, key, value) => tier.set(version, new Map([[table, [{ key, value }]]])),
    dropAll: (table, key) => {
      const versions = tier.getVersionSizes(table, key);
      if (versions.length === 0) return;
      tier.drop(new Map([[table, versions.map(({ version }) => ({ key, version }))]]));
    },
    latest: (table, key, version) => tier.get(table, key, version)?.value,
    entries: (table, start, end, version, pageSize) =>
      walk(tier, table, { start, end, version, limit: pageSize }),
    clear: (table) => tier.clearTable(table),
    close: () => tier.close(),
  };
}

function* walk(
  tier: AbstractTier,
  table: string,
  request: { start: Bound; end: Bound; version: number; limit: number },
): Generator<TierEntry, void, undefined> {
  let previous: RangeCursor | undefined;
  for (const page of pages(tier, table, request)) {
    yield* page.entries;
    if (page.cursor !== undefined && previous !== undefined) checkProgress(previous, page.cursor);
    previous = page.cursor;
  }
}

type Handler = (args: CommandArgs, table: string) => Awaitable<string[]>;

class TierRunner implements ScriptRunner {
  readonly #file: string;
  #tier: RunnerTier | (() => Promise<RunnerTier>);
  readonly #pageSize: number;
  readonly #handlers: Readonly<Record<string, Handler>>;
  readonly #ensured = new Set<string>();
  #defaultTable = DEFAULT_TABLE;
  #version = 0;

  constructor(file: string, tier: RunnerTier | (() => Promise<RunnerTier>), pageSize: number) {
    this.#file = file;
    this.#tier = tier;
    this.#pageSize = pageSize;
    this.#handlers = {
      set: (args, table) => this.#write(table, args.pair().key, args.pair().value),
      delete: (args, table) => this.#write(table, args.bytes(0), undefined),
      drop: async (args, table) => {
        await this.#opened.dropAll(table, args.bytes(0));
        return ['ok'];
      },
      get: async (args, table) => [
        formatEntry(args.bytes(0), await this.#latest(table, args.bytes(0))),
      ],
      contains: async (args, table) => [
        String((await this.#latest(table, args.bytes(0))) !== undefined),
      ],
      range: async (args, table) =>
        (await this.#entries(table, args.range(0))).map(formatTierEntry),
      scan: async (_args, table) => (await this.#entries(table, WHOLE_TABLE)).map(formatTierEntry),
      count_entries: async (_args, table) => [`entries: ${await this.#count(table, isValue)}`],
      count_tombstones: async (_args, table) => [
        `tombstones: ${await this.#count(table, isTombstone)}`,
      ],
      storage_size: async (_args, table) => [`size: ${await this.#count(table, () => true)}`],
      clear_table: async (_args, table) => {
        await this.#opened.clear(table);
        return ['ok'];
      },
      use_table: (args) => this.#useTable(args.text(0)),
    };
  }

  async execute(command: Command): Promise<string[]> {
    const args = readArgs(this.#file, command, TIER_COMMANDS);
    const handler = this.#handlers[command.name] as Handler;
    const table = args.named('table') ?? this.#defaultTable;
    if (typeof this.#tier === 'function') this.#tier = await this.#tier();
    await this.#ensureTable(table);
    return handler(args, table);
  }

  async close(): Promise<void> {
    if (typeof this.#tier !== 'function') await this.#tier.close();
  }

  get #opened(): RunnerTier {
    return this.#tier as RunnerTier;
  }

  async #ensureTable(table: string): Promise<void> {
    if (this.#ensured.has(table)) return;
    await this.#opened.ensureTable(table);
    this.#ensured.add(table);
  }

  async #write(table: string, key: Uint8Array, value: Uint8Array | undefined): Promise<string[]> {
    await this.#opened.write(this.#version + 1, table, key, value);
    this.#version++;
    return ['ok'];
  }

  #latest(table: string, key: Uint8Array): Awaitable<Uint8Array | undefined> {
    return this.#opened.latest(table, key, this.#version);
  }

  #entries(table: string, range: KeyRange): Promise<TierEntry[]> {
    const { start, end } = range;
    return collect(this.#opened.entries(table, start, end, this.#version, this.#pageSize));
  }

  /** The number of keys whose latest entry satisfies `test`, read page by page. */
  async #count(table: string, test: (entry: TierEntry) => boolean): Promise<number> {
    let count = 0;
    for (const entry of await this.#entries(table, WHOLE_TABLE)) if (test(entry)) count++;
    return count;
  }

  /** A name the tier refuses leaves the default table as it was. */
  async #useTable(table: string): Promise<string[]> {
    await this.#ensureTable(table);
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
