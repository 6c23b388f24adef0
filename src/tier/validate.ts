/**
 * Input checks of the tier contract.
 *
 * `AbstractTier`'s public methods run these before they call a backend, so a
 * call with one bad argument changes nothing (a `set` whose fifth write has
 * a string key writes none of the first four), and every backend, built in
 * or not, rejects exactly the same input with exactly the same codes:
 *
 * ```
 *   what                          code               rule
 *   table name                    INVALID_ARGUMENT   1..256 UTF-8 bytes, no NUL,
 *                                                    no lone surrogate
 *   key, bound key, cursor key    INVALID_KEY        a readable Uint8Array (Buffer is one)
 *   value                         INVALID_VALUE      a readable Uint8Array, or undefined
 *   version                       INVALID_VERSION    non-negative safe integer
 *   page limit                    INVALID_ARGUMENT   positive safe integer
 *   page request, change request, INVALID_ARGUMENT   the documented shape (no
 *   bound, cursor, writes, drops,                    unknown request property;
 *   settings, state change,                          a change request's from <= to)
 *   figures, log record, backup path
 *   horizon                       INVALID_ARGUMENT   versions, erasedFrom < readableFrom
 * ```
 *
 * Table names are restricted so that every tier can store them faithfully:
 * a NUL or a lone surrogate does not survive the UTF-8 round trip through
 * SQLite, and a bounded length keeps generated SQL identifiers bounded.
 *
 * "Readable" is `isReadableBytes` (common/bytes.ts), the check the store uses
 * too: not a Proxy, not a view of a detached buffer or out of the bounds of a
 * shrunk resizable buffer.
 *
 * Checks are cheap (`instanceof`, `typeof`) because they run on every read;
 * a table name, checked character by character, is remembered once valid
 * (a store uses a handful of names), so reads of a known table pay a set
 * lookup.
 *
 * @module
 */

import { describe, isReadableBytes } from '../common/bytes.js';
import { InvalidInputError } from '../common/errors.js';
import { checkVersion } from '../common/version.js';
import type {
  Bound,
  ChangeCursor,
  ChangeQuery,
  LogRecord,
  PageQuery,
  RangeCursor,
  StateChange,
  TableFigures,
  TierDrops,
  TierErasedTops,
  TierHorizons,
  TierPrefixDrops,
  TierPrefixErasure,
  TierRetention,
  TierWrites,
} from './tier.js';
import { FIGURE_FIELDS, UNBOUNDED } from './tier.js';

/** The longest table name a tier accepts, in UTF-8 bytes. */
export const MAX_TABLE_NAME_BYTES = 256;

/** Matches a lone (unpaired) UTF-16 surrogate; pairs are not matched under the `u` flag. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Valid names seen so far; forgotten wholesale past this many (a bound, not a cache policy). */
const KNOWN_NAMES_LIMIT = 1024;
const knownNames = new Set<string>();

/** Return `table` if it is a valid table name, else throw `INVALID_ARGUMENT`. */
export function checkTableName(table: unknown): string {
  if (typeof table === 'string' && knownNames.has(table)) return table;
  if (typeof table !== 'string') {
    throw invalidArgument(`table name must be a string, got ${describe(table)}`);
  }
  if (table.length === 0) throw invalidArgument('table name must not be empty');
  if (utf8Length(table) > MAX_TABLE_NAME_BYTES) {
    throw invalidArgument(`table name must be at most ${MAX_TABLE_NAME_BYTES} UTF-8 bytes`);
  }
  if (table.includes('\0')) throw invalidArgument('table name must not contain NUL');
  if (LONE_SURROGATE.test(table)) {
    throw invalidArgument('table name must be well-formed Unicode (no lone surrogate)');
  }
  if (knownNames.size >= KNOWN_NAMES_LIMIT) knownNames.clear();
  knownNames.add(table);
  return table;
}

/** UTF-8 length of a string without lone surrogates (a pair is 4 bytes, counted 2 + 2). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    bytes += unit < 0x80 ? 1 : unit < 0x800 || (unit >= 0xd800 && unit < 0xe000) ? 2 : 3;
  }
  return bytes;
}

/** Return `key` if it is bytes, else throw `INVALID_KEY`. */
export function checkKey(key: unknown, what = 'key'): Uint8Array {
  if (isReadableBytes(key)) return key;
  throw new InvalidInputError('INVALID_KEY', `${what} must be a Uint8Array, got ${describe(key)}`);
}

/** Return `value` if it is bytes or `undefined` (a tombstone), else throw `INVALID_VALUE`. */
export function checkValue(value: unknown): Uint8Array | undefined {
  if (value === undefined || isReadableBytes(value)) return value;
  throw new InvalidInputError(
    'INVALID_VALUE',
    `value must be a Uint8Array or undefined (tombstone), got ${describe(value)}`,
  );
}

/** Return `limit` if it is a positive safe integer, else throw `INVALID_ARGUMENT`. */
export function checkLimit(limit: unknown): number {
  if (typeof limit === 'number' && Number.isSafeInteger(limit) && limit > 0) return limit;
  throw invalidArgument(`page limit must be a positive safe integer, got ${describe(limit)}`);
}

/** Return `bound` if it is a well-formed {@link Bound}, else throw. */
export function checkBound(bound: unknown, what: 'start' | 'end'): Bound {
  if (!isObject(bound))
    throw invalidArgument(`${what} bound must be a Bound, got ${describe(bound)}`);
  const kind = bound.kind;
  if (kind === 'unbounded') return bound as Bound;
  if (kind === 'included' || kind === 'excluded') {
    checkKey(bound.key, `${what} bound key`);
    return bound as Bound;
  }
  throw invalidArgument(`${what} bound kind must be unbounded, included or excluded`);
}

/** Return `cursor` if it is `undefined` or a well-formed {@link RangeCursor}, else throw. */
export function checkCursor(cursor: unknown): RangeCursor | undefined {
  if (cursor === undefined) return undefined;
  if (!isObject(cursor)) {
    throw invalidArgument(`cursor must be a RangeCursor or undefined, got ${describe(cursor)}`);
  }
  checkKey(cursor.lastKey, 'cursor lastKey');
  return cursor as unknown as RangeCursor;
}

const PAGE_REQUEST_KEYS: ReadonlySet<string> = new Set([
  'start',
  'end',
  'version',
  'limit',
  'cursor',
  'reverse',
]);

/** Check a page request and fill in its defaults (the table name is checked apart). */
export function checkPage(request: unknown): PageQuery {
  if (!isObject(request)) {
    throw invalidArgument(`a page request must be an object, got ${describe(request)}`);
  }
  for (const name in request) {
    if (!PAGE_REQUEST_KEYS.has(name))
      throw invalidArgument(`unknown page request property ${name}`);
  }
  const { start, end, reverse } = request;
  if (reverse !== undefined && typeof reverse !== 'boolean') {
    throw invalidArgument(`reverse must be a boolean, got ${describe(reverse)}`);
  }
  return {
    start: start === undefined ? UNBOUNDED : checkBound(start, 'start'),
    end: end === undefined ? UNBOUNDED : checkBound(end, 'end'),
    version: checkVersion(request.version),
    limit: checkLimit(request.limit),
    cursor: checkCursor(request.cursor),
    reverse: reverse === true,
  };
}

const CHANGE_REQUEST_KEYS: ReadonlySet<string> = new Set([
  'start',
  'end',
  'from',
  'to',
  'limit',
  'cursor',
]);

/** Check a change request and fill in its defaults (the table name is checked apart). */
export function checkChangePage(request: unknown): ChangeQuery {
  if (!isObject(request)) {
    throw invalidArgument(`a change request must be an object, got ${describe(request)}`);
  }
  for (const name in request) {
    if (!CHANGE_REQUEST_KEYS.has(name))
      throw invalidArgument(`unknown change request property ${name}`);
  }
  const from = request.from === undefined ? -1 : checkVersion(request.from, 'from');
  const to = checkVersion(request.to, 'to');
  if (from > to) throw invalidArgument(`from (${from}) must not be above to (${to})`);
  const { start, end } = request;
  return {
    start: start === undefined ? UNBOUNDED : checkBound(start, 'start'),
    end: end === undefined ? UNBOUNDED : checkBound(end, 'end'),
    from,
    to,
    limit: checkLimit(request.limit),
    cursor: checkChangeCursor(request.cursor),
  };
}

/** Return `cursor` if it is `undefined` or a well-formed {@link ChangeCursor}, else throw. */
function checkChangeCursor(cursor: unknown): ChangeCursor | undefined {
  if (cursor === undefined) return undefined;
  if (!isObject(cursor)) {
    throw invalidArgument(`cursor must be a ChangeCursor or undefined, got ${describe(cursor)}`);
  }
  checkVersion(cursor.lastVersion, 'cursor lastVersion');
  checkKey(cursor.lastKey, 'cursor lastKey');
  return cursor as unknown as ChangeCursor;
}

/** Check the argument of `set`: a Map of table name to an array of writes. */
export function checkWrites(writes: unknown): TierWrites {
  const map = checkTableMap(writes, 'writes');
  for (const [table, list] of map) {
    checkTableName(table);
    for (const write of checkList(list, `writes of table ${table}`)) {
      if (!isObject(write))
        throw invalidArgument(`a write must be an object, got ${describe(write)}`);
      checkKey(write.key);
      checkValue(write.value);
    }
  }
  return map as TierWrites;
}

/** Check the argument of `drop`: a Map of table name to an array of `(key, version)` pairs. */
export function checkDrops(drops: unknown): TierDrops {
  const map = checkTableMap(drops, 'drops');
  for (const [table, list] of map) {
    checkTableName(table);
    for (const drop of checkList(list, `drops of table ${table}`)) {
      if (!isObject(drop)) throw invalidArgument(`a drop must be an object, got ${describe(drop)}`);
      checkKey(drop.key);
      checkVersion(drop.version, 'drop version');
    }
  }
  return map as TierDrops;
}

/**
 * Check the prefixes of `drop` (optional): a `keys` Map of table name to
 * an array of `{ key, below }` (a version), and an `erased` function.
 */
export function checkPrefixes<E extends TierPrefixErasure>(
  prefixes: TierPrefixDrops<E> | undefined,
): TierPrefixDrops<E> | undefined {
  if (prefixes === undefined) return undefined;
  if (!isObject(prefixes))
    throw invalidArgument(`prefixes must be an object, got ${describe(prefixes)}`);
  const map = checkTableMap(prefixes.keys, 'prefixes keys');
  for (const [table, list] of map) {
    checkTableName(table);
    for (const erasure of checkList(list, `prefixes of table ${table}`)) {
      if (!isObject(erasure))
        throw invalidArgument(`a prefix erasure must be { key, below }, got ${describe(erasure)}`);
      checkKey(erasure.key);
      checkVersion(erasure.below, 'prefix bound');
    }
  }
  if (typeof prefixes.erased !== 'function')
    throw invalidArgument(`prefixes erased must be a function, got ${describe(prefixes.erased)}`);
  return prefixes;
}

/**
 * Check the horizons of `drop` (optional): a Map of table name to an array
 * of `{ key, horizon: { erasedFrom, readableFrom } }`, versions with
 * `erasedFrom < readableFrom`.
 */
export function checkHorizons(horizons: unknown): TierHorizons | undefined {
  if (horizons === undefined) return undefined;
  const map = checkTableMap(horizons, 'horizons');
  for (const [table, list] of map) {
    checkTableName(table);
    for (const entry of checkList(list, `horizons of table ${table}`)) {
      if (!isObject(entry) || !isObject(entry.horizon)) {
        throw invalidArgument(`a horizon entry must be { key, horizon }, got ${describe(entry)}`);
      }
      checkKey(entry.key);
      const erasedFrom = checkVersion(entry.horizon.erasedFrom, 'horizon erasedFrom');
      const readableFrom = checkVersion(entry.horizon.readableFrom, 'horizon readableFrom');
      if (erasedFrom >= readableFrom) {
        throw invalidArgument(
          `a horizon must have erasedFrom < readableFrom, got [${erasedFrom}, ${readableFrom})`,
        );
      }
    }
  }
  return map as TierHorizons;
}

/** Check `drop`'s erased tops: a Map of table name to version. */
export function checkErasedTops(tops: unknown): TierErasedTops | undefined {
  if (tops === undefined) return undefined;
  if (!(tops instanceof Map)) {
    throw invalidArgument(
      `erased tops must be a Map of table name to version, got ${describe(tops)}`,
    );
  }
  for (const [table, version] of tops) {
    checkTableName(table);
    checkVersion(version, 'erased top');
  }
  return tops as TierErasedTops;
}

function checkTableMap(value: unknown, what: string): Map<unknown, unknown> {
  if (value instanceof Map) return value;
  throw invalidArgument(`${what} must be a Map of table name to array, got ${describe(value)}`);
}

function checkList(value: unknown, what: string): readonly unknown[] {
  if (Array.isArray(value)) return value;
  throw invalidArgument(`${what} must be an array, got ${describe(value)}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function invalidArgument(message: string): InvalidInputError {
  return new InvalidInputError('INVALID_ARGUMENT', message);
}

/** Check a setting name: a non-empty string. */
export function checkSetting(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidInputError(
      'INVALID_ARGUMENT',
      `a setting name must be a non-empty string, got ${describe(name)}`,
    );
  }
  return name;
}

/** Check a setting name and the value to write: both strings (a value is required). */
export function checkSettingWrite(name: unknown, value: unknown): string {
  const checked = checkSetting(name);
  if (typeof value !== 'string') {
    throw new InvalidInputError(
      'INVALID_ARGUMENT',
      `a setting value must be a string, got ${describe(value)}`,
    );
  }
  return checked;
}

/** Check the optional observer of `set`: a function or undefined. */
export function checkObserver(observe: unknown): void {
  if (observe !== undefined && typeof observe !== 'function') {
    throw invalidArgument(`the observer of set must be a function, got ${describe(observe)}`);
  }
}

/**
 * Check the retention of `set`: a `keep` Map of table name to a positive
 * safe integer, and a `trimmed` function.
 */
export function checkRetention(retention: unknown): TierRetention | undefined {
  if (retention === undefined) return undefined;
  if (!isObject(retention))
    throw invalidArgument(`a retention must be an object, got ${describe(retention)}`);
  const { keep, trimmed } = retention;
  if (!(keep instanceof Map))
    throw invalidArgument(
      `retention keep must be a Map of table name to count, got ${describe(keep)}`,
    );
  for (const [table, count] of keep) {
    checkTableName(table);
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
      throw invalidArgument(
        `retention keep of table ${String(table)} must be a positive safe integer, got ${describe(count)}`,
      );
    }
  }
  if (typeof trimmed !== 'function')
    throw invalidArgument(`retention trimmed must be a function, got ${describe(trimmed)}`);
  return retention as unknown as TierRetention;
}

const CHANGE_KEYS: ReadonlySet<string> = new Set(['figures', 'log', 'forget', 'erasedTops']);

/**
 * Check the state change of `set` or `drop`. Its `figures` function is
 * wrapped, so that what it returns is checked when the tier calls it (inside
 * the tier's atomic step: a bad figure fails the whole step).
 */
export function checkChange(change: unknown): StateChange | undefined {
  if (change === undefined) return undefined;
  if (!isObject(change))
    throw invalidArgument(`a state change must be an object, got ${describe(change)}`);
  for (const name in change) {
    if (!CHANGE_KEYS.has(name)) throw invalidArgument(`unknown state change property ${name}`);
  }
  const { figures, log, forget, erasedTops } = change;
  if (figures !== undefined && typeof figures !== 'function')
    throw invalidArgument(`figures must be a function, got ${describe(figures)}`);
  if (log !== undefined) for (const record of checkList(log, 'log')) checkRecord(record);
  if (forget !== undefined) for (const seq of checkList(forget, 'forget')) checkSeq(seq);
  checkErasedTops(erasedTops);
  const checked = change as StateChange;
  if (figures === undefined) return checked;
  return { ...checked, figures: () => checkFigureMap((figures as () => unknown)()) };
}

/** Check figures per table: a Map of table name to {@link TableFigures} of non-negative safe integers. */
export function checkFigureMap(figures: unknown): ReadonlyMap<string, TableFigures> {
  const map = checkTableMap(figures, 'figures');
  for (const [table, value] of map) {
    checkTableName(table);
    if (!isObject(value))
      throw invalidArgument(`figures of table ${table} must be an object, got ${describe(value)}`);
    for (const field of FIGURE_FIELDS) {
      const figure = value[field];
      if (typeof figure !== 'number' || !Number.isSafeInteger(figure) || figure < 0) {
        throw invalidArgument(
          `${field} of table ${table} must be a non-negative safe integer, got ${describe(figure)}`,
        );
      }
    }
  }
  return map as ReadonlyMap<string, TableFigures>;
}

function checkRecord(record: unknown): LogRecord {
  if (!isObject(record))
    throw invalidArgument(`a log record must be an object, got ${describe(record)}`);
  checkSeq(record.seq);
  if (!isReadableBytes(record.bytes))
    throw invalidArgument(`log record bytes must be a Uint8Array, got ${describe(record.bytes)}`);
  return record as unknown as LogRecord;
}

function checkSeq(seq: unknown): number {
  if (typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0) return seq;
  throw invalidArgument(`a log seq must be a non-negative safe integer, got ${describe(seq)}`);
}

/** Check a backup target: a non-empty path without NUL. */
export function checkBackupPath(path: unknown): string {
  if (path === ':memory:') {
    // What opens a private in-memory database; as a target it would make a file of that name.
    throw invalidArgument('a backup target must be a file path, not :memory:');
  }
  if (typeof path === 'string' && path.length > 0 && !path.includes('\0')) return path;
  throw invalidArgument(`a backup target must be a non-empty path, got ${describe(path)}`);
}
