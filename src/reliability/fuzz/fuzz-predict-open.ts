/**
 * What a generated `MultiStore.open` must do, predicted from its options
 * alone (see fuzz-predict.ts for the rules of the other methods).
 *
 * Every wrong option is `INVALID_OPTIONS` (README, Errors), so the order of
 * the checks matters only for hostile values: the first fault decides
 * whether the caller's own error may come through. The order:
 *
 * ```
 *   options is a plain object ─► no unknown name ─► path ─► tier (and tier with path) ─►
 *   readOnly (a boolean; true needs a path) ─► sqlite (a plain object ─► no unknown name ─►
 *           the SQLite tier ─► synchronous 'normal' | 'full') ─►
 *   tables: for each declaration in order: a plain object ─► no unknown name ─► name ─►
 *           prefix (bytes, not empty) ─► retention ─► not a name or prefix seen before
 *   ─► clock ─► actorMode ─► dropWorker (a plain object ─► no unknown name ─► batchSize ─►
 *      flushIntervalMs ─► mailboxCapacity) ─► logger
 *   ─► then the file: a read-only open of a path (always a fresh one here) finds
 *      no file, TIER_IO
 * ```
 *
 * Option objects are closed: an unknown (or misspelt) property is refused,
 * in `options`, `dropWorker`, a table declaration and its `retention`. A
 * clock needs `nowNanos`, `nowMillis` and `instant`. A table name is 1 to 256
 * UTF-8 bytes of well-formed Unicode without NUL, and not `multi` (the
 * default table's).
 *
 * @module
 */

import type {
  DropWorkerSpec,
  OptionsSpec,
  SqliteSpec,
  TableSpec,
  TablesSpec,
} from './fuzz-open-specs.js';
import {
  ACCEPT,
  firstFault,
  isAbsent,
  isBytes,
  isHostile,
  type Prediction,
  reject,
} from './fuzz-predict.js';
import { materialize, type ValueSpec } from './hostile-values.js';

const TOP_NAMES = [
  'path',
  'tier',
  'readOnly',
  'sqlite',
  'tables',
  'clock',
  'actorMode',
  'dropWorker',
  'logger',
];
const DROP_WORKER_NAMES = ['batchSize', 'flushIntervalMs', 'mailboxCapacity'];
const TABLE_NAMES = ['name', 'prefix', 'retention'];
const MAX_NAME_BYTES = 256;

const invalid = (why: string, hostile = false) => reject('INVALID_OPTIONS', why, hostile);

/**
 * A junk value where an options object is wanted: absent, not an object,
 * hostile, not a plain object (an array, a Map: refused, never read as
 * empty), or a plain object whose own enumerable names must all be known (its
 * known fields are then all `undefined`: no junk object carries one).
 */
function junkOptions(spec: ValueSpec, known: readonly string[], what: string): Prediction {
  const value = materialize(spec);
  if (value === undefined) return ACCEPT;
  if (typeof value !== 'object' || value === null) return invalid(`${what} is not an object`);
  if (isHostile(spec)) return invalid(`${what} is a throwing proxy`, true);
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== null && Object.getPrototypeOf(prototype) !== null)
    return invalid(`${what} is not a plain object (an array, a Map, a Date...)`);
  const unknown = Object.keys(value).find((name) => !known.includes(name));
  if (unknown !== undefined) return invalid(`${what} has an unknown name ${unknown}`);
  for (const name of known) {
    if ((value as Record<string, unknown>)[name] !== undefined)
      throw new Error(`junk object with a ${name} field: predict it`);
  }
  return ACCEPT;
}

/** A full `open` argument. */
export function predictOpen(spec: OptionsSpec): Prediction {
  if (spec.top !== undefined) return junkOptions(spec.top, TOP_NAMES, 'options');
  const hasPath = spec.path !== undefined && (spec.path === 'temp' || !isAbsent(spec.path));
  const sqliteTier = isAbsent(spec.tier)
    ? hasPath
    : spec.tier !== undefined && 'str' in spec.tier && spec.tier.str === 'sqlite';
  const readOnly =
    spec.readOnly !== undefined && 'junk' in spec.readOnly && spec.readOnly.junk === 'true';
  return firstFault(
    () => (spec.unknown ? invalid('an unknown option') : ACCEPT),
    () => pathCheck(spec.path),
    () => tierCheck(spec.tier, hasPath),
    () => readOnlyCheck(spec.readOnly, hasPath),
    () => sqliteCheck(spec.sqlite, sqliteTier),
    () => predictTables(spec.tables),
    () => objectCheck(spec.clock, 'mock', 'clock'),
    () => choiceCheck(spec.actorMode, ['inline', 'event-loop'], 'actorMode'),
    () => dropWorkerCheck(spec.dropWorker),
    () => objectCheck(spec.logger, 'memory', 'logger'),
    () => (readOnly ? reject('TIER_IO', 'a read-only open of a file that does not exist') : ACCEPT),
  );
}

/** `readOnly`: absent or false, or true with a path; anything else is not a boolean. */
function readOnlyCheck(spec: ValueSpec | undefined, hasPath: boolean): Prediction {
  if (isAbsent(spec) || (spec !== undefined && 'bool' in spec && !spec.bool)) return ACCEPT;
  if (spec !== undefined && 'junk' in spec && spec.junk === 'true')
    return hasPath ? ACCEPT : invalid('readOnly without a path');
  return invalid('readOnly is not a boolean', isHostile(spec));
}

/** `sqlite`: an object of known names, with the SQLite tier, and a known `synchronous`. */
function sqliteCheck(spec: SqliteSpec, sqliteTier: boolean): Prediction {
  if (spec === undefined) return ACCEPT;
  const tier = () => (sqliteTier ? ACCEPT : invalid('sqlite options without the sqlite tier'));
  if ('value' in spec) {
    if (isAbsent(spec.value)) return ACCEPT;
    return firstFault(() => junkOptions(spec.value, ['synchronous', 'locking'], 'sqlite'), tier);
  }
  const synchronous = spec.synchronous;
  return firstFault(
    () => (spec.unknown === true ? invalid('an unknown sqlite option') : ACCEPT),
    tier,
    () =>
      isAbsent(synchronous) ||
      (synchronous !== undefined &&
        'str' in synchronous &&
        ['normal', 'full'].includes(synchronous.str))
        ? ACCEPT
        : invalid('sqlite.synchronous is wrong', isHostile(synchronous)),
  );
}

function pathCheck(path: OptionsSpec['path']): Prediction {
  if (path === undefined || path === 'temp' || isAbsent(path)) return ACCEPT;
  if (!('str' in path)) return invalid('path is not a string', isHostile(path));
  if (path.str === '' || path.str.includes('\0')) return invalid('path is empty or has a NUL');
  return ACCEPT;
}

function choiceCheck(spec: ValueSpec | undefined, choices: string[], what: string): Prediction {
  if (isAbsent(spec)) return ACCEPT;
  const value = spec as ValueSpec;
  return 'str' in value && choices.includes(value.str)
    ? ACCEPT
    : invalid(`${what} is not one of ${choices.join(', ')}`, isHostile(value));
}

function tierCheck(tier: ValueSpec | undefined, hasPath: boolean): Prediction {
  return firstFault(
    () => choiceCheck(tier, ['memory', 'sqlite'], 'tier'),
    () =>
      hasPath && tier !== undefined && 'str' in tier && tier.str === 'memory'
        ? invalid('a path with the memory tier')
        : ACCEPT,
  );
}

/**
 * The clock or logger: a working one from the test (`good`), absent, a
 * broken one from the test (`partial`: a clock without `nowMillis`), or junk.
 */
function objectCheck(spec: string | ValueSpec | undefined, good: string, what: string) {
  if (spec === good) return ACCEPT;
  if (typeof spec === 'string') return invalid(`${what} is ${spec}`);
  if (isAbsent(spec)) return ACCEPT;
  return invalid(`${what} is junk`, isHostile(spec));
}

function dropWorkerCheck(spec: DropWorkerSpec): Prediction {
  if (spec === undefined) return ACCEPT;
  if ('value' in spec) return junkOptions(spec.value, DROP_WORKER_NAMES, 'dropWorker');
  const positive = (value: unknown) =>
    typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
  const interval = (value: unknown) =>
    typeof value === 'number' && Number.isFinite(value) && value >= 0;
  const field = (part: ValueSpec | undefined, ok: (value: unknown) => boolean, name: string) =>
    isAbsent(part) || ok(materialize(part as ValueSpec))
      ? ACCEPT
      : invalid(`dropWorker.${name} is wrong`, isHostile(part));
  return firstFault(
    () => (spec.unknown === true ? invalid('an unknown dropWorker option') : ACCEPT),
    () => field(spec.batchSize, positive, 'batchSize'),
    () => field(spec.flushIntervalMs, interval, 'flushIntervalMs'),
    () => field(spec.mailboxCapacity, positive, 'mailboxCapacity'),
  );
}

/** The `tables` option (also used alone, for the fuzz's working store). */
export function predictTables(spec: TablesSpec): Prediction {
  if (spec === undefined) return ACCEPT;
  if ('value' in spec) {
    const value = materialize(spec.value);
    if (value === undefined) return ACCEPT;
    if (!Array.isArray(value)) return invalid('tables is not a list', isHostile(spec.value));
    // A list from the junk pool holds numbers, never declarations.
    return value.length === 0 ? ACCEPT : invalid('tables holds a non-object');
  }
  const names = new Set<string>(['multi']);
  const prefixes = new Set<string>();
  return firstFault(...spec.map((table, index) => () => tableCheck(table, index, names, prefixes)));
}

function tableCheck(
  table: TableSpec,
  index: number,
  names: Set<string>,
  prefixes: Set<string>,
): Prediction {
  const at = `tables[${index}]`;
  if ('junk' in table) {
    // A junk object passing the name check would still have no name.
    const shape = junkOptions(table.junk, TABLE_NAMES, at);
    return shape.accept ? invalid(`${at} has no name`) : shape;
  }
  const fault = firstFault(
    () => (table.extra ? invalid(`${at} has an unknown name`) : ACCEPT),
    () => nameCheck(table.name, at),
    () => prefixCheck(table.prefix, at),
    () => retentionCheck(table.retention, at),
  );
  if (!fault.accept) return fault;
  const name = (table.name as { str: string }).str;
  const prefix = prefixKey(table.prefix);
  if (names.has(name) || prefixes.has(prefix)) return invalid(`${at} repeats a name or prefix`);
  names.add(name);
  prefixes.add(prefix);
  return ACCEPT;
}

function nameCheck(spec: ValueSpec, at: string): Prediction {
  if (!('str' in spec)) return invalid(`${at}.name is not a string`, isHostile(spec));
  const name = spec.str;
  const wellFormed = !/\p{Surrogate}/u.test(name);
  const size = new TextEncoder().encode(name).length;
  return size >= 1 && size <= MAX_NAME_BYTES && !name.includes('\0') && wellFormed
    ? ACCEPT
    : invalid(`${at}.name breaks the name rules`);
}

function prefixCheck(spec: ValueSpec, at: string): Prediction {
  if (!isBytes(spec)) return invalid(`${at}.prefix is not bytes`, isHostile(spec));
  return prefixKey(spec) === '' ? invalid(`${at}.prefix is empty`) : ACCEPT;
}

/** The prefix's bytes as hex, to compare prefixes. */
function prefixKey(spec: ValueSpec): string {
  const bytes =
    'str' in spec ? new TextEncoder().encode(spec.str) : 'bytes' in spec ? spec.bytes : [];
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function retentionCheck(spec: Extract<TableSpec, { name: ValueSpec }>['retention'], at: string) {
  if (spec === undefined) return ACCEPT;
  if ('value' in spec) {
    const shape = junkOptions(spec.value, ['keepLastVersions'], `${at}.retention`);
    if (!shape.accept || isAbsent(spec.value)) return shape;
    return invalid(`${at}.retention has no keepLastVersions`);
  }
  if (spec.misspelt === true) return invalid(`${at}.retention has a misspelt property`);
  const keep = materialize(spec.keep);
  return typeof keep === 'number' && Number.isSafeInteger(keep) && keep >= 1
    ? ACCEPT
    : invalid(`${at}.retention.keepLastVersions is not a positive integer`, isHostile(spec.keep));
}
