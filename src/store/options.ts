/**
 * Options of `MultiStore.open`, validated once and frozen.
 *
 * `open` accepts a loose, user-friendly shape (strings or bytes for prefixes,
 * optional everything) and turns it into a {@link StoreConfig}: every field
 * present, every value checked, the object frozen, so the rest of the store
 * never re-validates or wonders about defaults.
 *
 * ```
 *   { path: 'app.db', tables: [{ name: 'sessions', prefix: 'session:',
 *                                retention: { keepLastVersions: 1 } }] }
 *        │ resolveOptions
 *        ▼
 *   { tier: 'sqlite', path: 'app.db', tables: [multi(""), sessions("session:")],
 *     dropWorker: { batchSize: 100, flushIntervalMs: 50, mailboxCapacity: 256 }, ... }
 * ```
 *
 * @module
 */

import { describe, equalBytes, printableBytes, toOwnedBytes } from '../common/bytes.js';
import { InvalidInputError, StoreError } from '../common/errors.js';
import { guardedLogger, type Logger, silentLogger } from '../common/logger.js';
import { isPlainObject, objectExpected, rejectUnknownProperties } from '../common/properties.js';
import type { ActorMode } from '../runtime/actor.js';
import { type Clock, systemClock } from '../runtime/clock.js';
import { DEFAULT_TABLE } from '../tier/tier.js';
import { checkTableName } from '../tier/validate.js';
import {
  KEY_ENCODINGS,
  type KeyEncoding,
  VALUE_ENCODINGS,
  type ValueEncoding,
} from './encodings.js';

/** A table declared at open: keys starting with `prefix` live in it. */
export interface TableDeclaration {
  readonly name: string;
  readonly prefix: string | Uint8Array;
  readonly retention?: RetentionPolicy;
}

/** How many versions a table keeps per key. */
export interface RetentionPolicy {
  /** Keep the N newest versions of each key (1 = single-version semantics). */
  readonly keepLastVersions: number;
}

/** Tuning of the drop worker. */
export interface DropWorkerOptions {
  /** Flush when this many requests are pending (default 100). */
  readonly batchSize?: number;
  /** Flush a partial batch this long after its first request arrived (default 50 ms). */
  readonly flushIntervalMs?: number;
  /**
   * Most messages the worker's mailbox holds (default 256); the queue stands
   * for at most `mailboxCapacity x batchSize` requests before backpressure.
   */
  readonly mailboxCapacity?: number;
}

/** Settings of the SQLite tier. */
export interface SqliteOptions {
  /**
   * `normal` (the default): a commit survives a killed process, and a power
   * loss may take the last commits; `full`: a commit also survives a power
   * loss, at the price of an fsync per commit (README, "Durability").
   */
  readonly synchronous?: 'normal' | 'full';
  /**
   * `normal` (the default): read-only stores, in this process or others,
   * open the file beside the writer; `exclusive`: the writer holds the file
   * alone for as long as it is open, refusing read-only opens (`STORE_LOCKED`),
   * and its reads are cheaper (no shared-memory WAL index to go through;
   * README, "Exclusive locking"). For a writer with a `path` only.
   */
  readonly locking?: 'normal' | 'exclusive';
}

/** What `MultiStore.open` accepts. */
export interface MultiStoreOptions {
  /** SQLite file; without `path` and `tier` the store lives in memory. */
  readonly path?: string;
  /** `memory` or `sqlite` (`sqlite` without a path: in-memory SQLite). */
  readonly tier?: 'memory' | 'sqlite';
  /**
   * Open the file read-only, beside its writer (in this process or another):
   * reads see what is committed, writes throw `READ_ONLY`. Needs `path`.
   */
  readonly readOnly?: boolean;
  /** Settings of the SQLite tier. */
  readonly sqlite?: SqliteOptions;
  /** Tables routed by key prefix; keys matching none go to `multi`. */
  readonly tables?: readonly TableDeclaration[];
  /** Time source for the drop worker (default: the system clock). */
  readonly clock?: Clock;
  /** `event-loop` (default) or `inline` (no background work). */
  readonly actorMode?: ActorMode;
  readonly dropWorker?: DropWorkerOptions;
  /** Where warnings and errors go (default: nowhere); what it throws is ignored. */
  readonly logger?: Logger;
  /** How keys are given and returned (default `binary`); kept in the store: reopen with the same. */
  readonly keyEncoding?: KeyEncoding;
  /** How values are given and returned (default `binary`); kept in the store: reopen with the same. */
  readonly valueEncoding?: ValueEncoding;
}

/** A validated table. */
export interface TableConfig {
  readonly name: string;
  readonly prefix: Uint8Array;
  /** Versions kept per key, or `undefined` to keep every version. */
  readonly keepLastVersions: number | undefined;
}

/** Validated drop-worker settings. */
export interface DropWorkerConfig {
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly mailboxCapacity: number;
}

/** Validated, frozen options. */
export interface StoreConfig {
  readonly tier: 'memory' | 'sqlite';
  readonly path: string | undefined;
  readonly readOnly: boolean;
  readonly synchronous: 'normal' | 'full';
  readonly locking: 'normal' | 'exclusive';
  /** Every table, `multi` first. */
  readonly tables: readonly TableConfig[];
  /** True when the options declared tables (else the ones stored in the file apply). */
  readonly tablesDeclared: boolean;
  readonly clock: Clock;
  readonly actorMode: ActorMode;
  readonly dropWorker: DropWorkerConfig;
  readonly logger: Logger;
  readonly keyEncoding: KeyEncoding;
  readonly valueEncoding: ValueEncoding;
}

/** Drop-worker defaults (README, "The drop worker"). */
export const DROP_WORKER_DEFAULTS: DropWorkerConfig = Object.freeze({
  batchSize: 100,
  flushIntervalMs: 50,
  mailboxCapacity: 256,
});

const TOP_OPTIONS = [
  'path',
  'tier',
  'readOnly',
  'sqlite',
  'tables',
  'clock',
  'actorMode',
  'dropWorker',
  'logger',
  'keyEncoding',
  'valueEncoding',
];
const TABLE_OPTIONS = ['name', 'prefix', 'retention'];

function fail(message: string): never {
  throw new InvalidInputError('INVALID_OPTIONS', message);
}

/** Reject properties a caller may have misspelt: a typo must not pass silently. */
function rejectUnknown(given: object, known: readonly string[], where: string): void {
  rejectUnknownProperties(given, known, where, 'INVALID_OPTIONS');
}

/** Run a check from a lower layer, reporting its failure as INVALID_OPTIONS. */
function asOption<T>(check: () => T, where: string): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof StoreError) fail(`${where}: ${error.message}`);
    throw error;
  }
}

/** Validate `options` and return the frozen configuration. */
export function resolveOptions(options: MultiStoreOptions | undefined): StoreConfig {
  if (options === undefined) options = {};
  if (!isPlainObject(options)) fail(objectExpected(`options`, options));
  rejectUnknown(options, TOP_OPTIONS, 'options');
  const path = resolvePath(options.path);
  const tier = resolveTier(options.tier, path);
  const readOnly = resolveReadOnly(options.readOnly, path);
  return Object.freeze({
    tier,
    path,
    readOnly,
    ...resolveSqlite(options.sqlite, tier, readOnly),
    tables: Object.freeze(resolveTables(options.tables)),
    tablesDeclared: options.tables !== undefined,
    clock: resolveClock(options.clock),
    actorMode: resolveMode(options.actorMode),
    dropWorker: resolveDropWorker(options.dropWorker),
    logger: resolveLogger(options.logger),
    keyEncoding: oneOf(options.keyEncoding, KEY_ENCODINGS, 'keyEncoding'),
    valueEncoding: oneOf(options.valueEncoding, VALUE_ENCODINGS, 'valueEncoding'),
  });
}

/** An encoding option: one of `allowed`, `binary` when absent. */
function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (value === undefined) return 'binary' as T;
  if (allowed.includes(value as T)) return value as T;
  const names = allowed.map((name) => `'${name}'`).join(', ');
  return fail(`${what} must be one of ${names}, got ${describe(value)}`);
}

function resolvePath(path: unknown): string | undefined {
  if (path === undefined) return undefined;
  if (typeof path !== 'string' || path.length === 0)
    fail(`path must be a non-empty string, got ${describe(path)}`);
  if (path.includes('\0')) fail('path must not contain a NUL character');
  return path;
}

function resolveTier(tier: unknown, path: string | undefined): 'memory' | 'sqlite' {
  if (tier === undefined) return path === undefined ? 'memory' : 'sqlite';
  if (tier !== 'memory' && tier !== 'sqlite')
    fail(`tier must be 'memory' or 'sqlite', got ${describe(tier)}`);
  if (tier === 'memory' && path !== undefined) fail("a path needs the 'sqlite' tier");
  return tier;
}

function resolveReadOnly(readOnly: unknown, path: string | undefined): boolean {
  if (readOnly === undefined || readOnly === false) return false;
  if (readOnly !== true) fail(`readOnly must be a boolean, got ${describe(readOnly)}`);
  if (path === undefined) fail('readOnly needs the path of a SQLite file');
  return true;
}

/** The SQLite settings: `synchronous`, then `locking` (`exclusive` for a writer only). */
function resolveSqlite(
  sqlite: unknown,
  tier: 'memory' | 'sqlite',
  readOnly: boolean,
): Pick<StoreConfig, 'synchronous' | 'locking'> {
  const defaults = { synchronous: 'normal', locking: 'normal' } as const;
  if (sqlite === undefined) return defaults;
  if (!isPlainObject(sqlite)) fail(objectExpected(`sqlite`, sqlite));
  rejectUnknown(sqlite, ['synchronous', 'locking'], 'sqlite');
  if (tier !== 'sqlite') fail("sqlite options need the 'sqlite' tier");
  const { synchronous = defaults.synchronous, locking = defaults.locking } = sqlite as Record<
    string,
    unknown
  >;
  if (synchronous !== 'normal' && synchronous !== 'full')
    fail(`sqlite.synchronous must be 'normal' or 'full', got ${describe(synchronous)}`);
  if (locking !== 'normal' && locking !== 'exclusive')
    fail(`sqlite.locking must be 'normal' or 'exclusive', got ${describe(locking)}`);
  if (locking === 'exclusive' && readOnly)
    fail(
      "sqlite.locking 'exclusive' is for a writer: a read-only store reads beside its writer, which must use 'normal'",
    );
  return { synchronous, locking };
}

function resolveMode(mode: unknown): ActorMode {
  if (mode === undefined) return 'event-loop';
  if (mode !== 'event-loop' && mode !== 'inline')
    fail(`actorMode must be 'event-loop' or 'inline', got ${describe(mode)}`);
  return mode;
}

/** A clock must have every method of the Clock contract; `wakeAt`, if present, is one too. */
function resolveClock(clock: unknown): Clock {
  if (clock === undefined) return systemClock;
  const candidate = clock as Partial<Record<keyof Clock, unknown>> | null;
  const required = ['nowNanos', 'nowMillis', 'instant'] as const;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    required.some((method) => typeof candidate[method] !== 'function') ||
    (candidate.wakeAt !== undefined && typeof candidate.wakeAt !== 'function')
  ) {
    fail('clock must implement Clock (nowNanos, nowMillis and instant; wakeAt if any)');
  }
  return clock as Clock;
}

function resolveLogger(logger: unknown): Logger {
  if (logger === undefined) return silentLogger;
  const candidate = logger as Partial<Logger> | null;
  const methods = ['debug', 'info', 'warn', 'error'] as const;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    methods.some((m) => typeof candidate[m] !== 'function')
  ) {
    fail('logger must have debug, info, warn and error methods');
  }
  return guardedLogger(logger as Logger);
}

function resolveDropWorker(options: unknown): DropWorkerConfig {
  if (options === undefined) return DROP_WORKER_DEFAULTS;
  if (!isPlainObject(options)) fail(objectExpected(`dropWorker`, options));
  const given = options as Record<string, unknown>;
  rejectUnknown(given, ['batchSize', 'flushIntervalMs', 'mailboxCapacity'], 'dropWorker');
  return Object.freeze({
    batchSize: positiveInteger(
      given.batchSize,
      'dropWorker.batchSize',
      DROP_WORKER_DEFAULTS.batchSize,
    ),
    flushIntervalMs: nonNegative(
      given.flushIntervalMs,
      'dropWorker.flushIntervalMs',
      DROP_WORKER_DEFAULTS.flushIntervalMs,
    ),
    mailboxCapacity: positiveInteger(
      given.mailboxCapacity,
      'dropWorker.mailboxCapacity',
      DROP_WORKER_DEFAULTS.mailboxCapacity,
    ),
  });
}

function positiveInteger(value: unknown, what: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  return fail(`${what} must be a positive integer, got ${describe(value)}`);
}

function nonNegative(value: unknown, what: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  return fail(`${what} must be a non-negative number of milliseconds, got ${describe(value)}`);
}

/** Validate table declarations; the result starts with `multi`. */
export function resolveTables(tables: unknown): TableConfig[] {
  const resolved: TableConfig[] = [
    Object.freeze({ name: DEFAULT_TABLE, prefix: new Uint8Array(0), keepLastVersions: undefined }),
  ];
  if (tables === undefined) return resolved;
  if (!Array.isArray(tables)) fail(`tables must be an array, got ${describe(tables)}`);
  for (const [index, declaration] of tables.entries()) {
    const table = resolveTable(declaration, index);
    for (const other of resolved) {
      if (other.name === table.name) fail(`tables[${index}]: ${sameName(table.name)}`);
      if (other !== resolved[0] && equalBytes(other.prefix, table.prefix)) {
        fail(
          `tables[${index}]: tables '${other.name}' and '${table.name}' declare the same prefix ${printableBytes(table.prefix)}`,
        );
      }
    }
    resolved.push(table);
  }
  return resolved;
}

function sameName(name: string): string {
  return name === DEFAULT_TABLE
    ? `the table name '${name}' is reserved: that table holds the keys under no declared prefix`
    : `the table name '${name}' is declared twice`;
}

function resolveTable(declaration: unknown, index: number): TableConfig {
  if (!isPlainObject(declaration)) fail(objectExpected(`tables[${index}]`, declaration));
  rejectUnknown(declaration, TABLE_OPTIONS, `tables[${index}]`);
  const { name, prefix, retention } = declaration as Record<string, unknown>;
  const [tableName, bytes] = asOption(
    () => [checkTableName(name), toOwnedBytes(prefix, 'prefix')] as const,
    `tables[${index}]`,
  );
  if (bytes.length === 0)
    fail(
      `tables[${index}].prefix must not be empty (keys without a declared prefix go to '${DEFAULT_TABLE}')`,
    );
  return Object.freeze({
    name: tableName,
    prefix: bytes,
    keepLastVersions: resolveRetention(retention, index),
  });
}

function resolveRetention(retention: unknown, index: number): number | undefined {
  if (retention === undefined) return undefined;
  if (!isPlainObject(retention)) fail(objectExpected(`tables[${index}].retention`, retention));
  rejectUnknown(retention, ['keepLastVersions'], `tables[${index}].retention`);
  const { keepLastVersions } = retention as Record<string, unknown>;
  if (
    typeof keepLastVersions !== 'number' ||
    !Number.isSafeInteger(keepLastVersions) ||
    keepLastVersions < 1
  ) {
    fail(
      `tables[${index}].retention.keepLastVersions must be a positive integer, got ${describe(keepLastVersions)}`,
    );
  }
  return keepLastVersions;
}
