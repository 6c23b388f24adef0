/**
 * What every generated call of the API fuzz must do, predicted from the
 * generated input alone (never by asking the store): be accepted, or be
 * rejected with one exact code.
 *
 * The rules are the README's (Errors, Semantics), written out again here;
 * nothing is imported from the store's validation code. When a call has
 * several faults, the first one in this order decides the code:
 *
 * ```
 *   commit(deltas, version)   version ─► deltas is a list ─► each delta in order:
 *                               shape (an object, has a key, known type, a value
 *                               for set/unset; a drop: no unknown property) ─►
 *                               key ─► value | upToVersion ─► keepLastVersions
 *   get / contains(key, v)    key ─► version          versions(key)   key
 *   range(spec, options)      spec: an object ─► no unknown property ─► endInclusive ─►
 *                               prefix alone ─► prefix | start ─► end;
 *                             then options: an object ─► no unknown property ─►
 *                               reverse ─► version ─► pageSize
 * ```
 *
 * A drop delta may carry the properties any delta has (`type`, `key`,
 * `value`, `upToVersion`, `keepLastVersions`) and no other: its constraints
 * are optional, so a misspelt one must not pass as "absent".
 *
 * A throwing Proxy (see hostile-values.ts) is a fault like any other wrong
 * value, but the store, looking at it, may run into the caller's own trap: at
 * the first fault, the caller's error passing through is accepted in place of
 * the code (`hostile`). Anywhere else it is not.
 *
 * @module
 */

import type { ErrorCode } from '../../common/errors.js';
import type {
  CountSpec,
  DeltaSpec,
  DeltasSpec,
  RangeOptionsSpec,
  RangeSpecSpec,
  VersionSpec,
} from './fuzz-specs.js';
import { materialize, type ValueSpec } from './hostile-values.js';

/** What a call must do. */
export type Prediction =
  | { readonly accept: true }
  | {
      readonly accept: false;
      readonly code: ErrorCode;
      /** The caller's own hostile error may come through instead of `code`. */
      readonly hostile: boolean;
      /** Which fault decided it, for messages. */
      readonly why: string;
    };

/** A call that must be accepted. */
export const ACCEPT: Prediction = Object.freeze({ accept: true });

/** A call that must be rejected with `code`. */
export function reject(code: ErrorCode, why: string, hostile = false): Prediction {
  return { accept: false, code, hostile, why };
}

/** The first rejection among `checks`, run in order, else acceptance. */
export function firstFault(...checks: (() => Prediction)[]): Prediction {
  for (const check of checks) {
    const prediction = check();
    if (!prediction.accept) return prediction;
  }
  return ACCEPT;
}

/** True for a spec that materializes to a throwing Proxy. */
export function isHostile(spec: ValueSpec | undefined): boolean {
  return spec !== undefined && 'junk' in spec && spec.junk === 'throwingProxy';
}

/** True for a spec that materializes to `undefined` (the same as leaving it out). */
export function isAbsent(spec: ValueSpec | undefined): boolean {
  return spec === undefined || ('junk' in spec && spec.junk === 'undefined');
}

/** Bytes as the API takes them: a string, or a Uint8Array that can be read. */
export function isBytes(spec: ValueSpec): boolean {
  return 'str' in spec || 'bytes' in spec;
}

/** A non-negative safe integer (-0 included: it is zero). */
export function isNonNegativeInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Bytes, else `code`. */
export function bytesCheck(spec: ValueSpec, code: ErrorCode, what: string): Prediction {
  return isBytes(spec) ? ACCEPT : reject(code, `${what} is not bytes`, isHostile(spec));
}

/** A version argument: `undefined` is absent (allowed where the version is optional). */
export function versionCheck(spec: VersionSpec, latest: number, what: string): Prediction {
  if ('rel' in spec)
    return isNonNegativeInteger(latest + spec.rel)
      ? ACCEPT
      : reject('INVALID_VERSION', `${what} ${latest + spec.rel}`);
  if ('abs' in spec) return ACCEPT;
  return isNonNegativeInteger(materialize(spec.value))
    ? ACCEPT
    : reject('INVALID_VERSION', `${what} is not a version`, isHostile(spec.value));
}

/** A version that may be absent. */
export function optionalVersion(spec: VersionSpec | undefined, latest: number, what: string) {
  if (spec === undefined || ('value' in spec && isAbsent(spec.value))) return ACCEPT;
  return versionCheck(spec, latest, what);
}

// ---------------------------------------------------------------- commit

/** `commit(deltas, version)`, with `latest` the store's latest version before it. */
export function predictCommit(deltas: DeltasSpec, version: VersionSpec, latest: number) {
  return firstFault(
    // Without a version the store picks the next one.
    () => optionalVersion(version, latest, 'commit version'),
    () => deltasCheck(deltas),
  );
}

function deltasCheck(spec: DeltasSpec): Prediction {
  if ('value' in spec) {
    const value = materialize(spec.value);
    if (!Array.isArray(value))
      return reject('INVALID_DELTA', 'deltas is not a list', isHostile(spec.value));
    // A list from the junk pool: [] is a commit of nothing, anything else holds non-deltas.
    return value.length === 0 ? ACCEPT : reject('INVALID_DELTA', 'deltas holds a non-object');
  }
  if (spec.as === 'holey') return reject('INVALID_DELTA', 'deltas[0] is a hole');
  return firstFault(...spec.list.map((delta, index) => () => deltaCheck(delta, index)));
}

const DELTA_TYPES = ['set', 'unset', 'remove', 'drop'];

function deltaCheck(delta: DeltaSpec, index: number): Prediction {
  const at = `deltas[${index}]`;
  // No junk value is an object with a key: a junk delta is malformed.
  if ('junk' in delta) return reject('INVALID_DELTA', `${at} is junk`, isHostile(delta.junk));
  const type = 'str' in delta.type ? delta.type.str : undefined;
  if (isAbsent(delta.key))
    return reject('INVALID_DELTA', `${at} has no key`, isHostile(delta.type));
  if (type === undefined || !DELTA_TYPES.includes(type))
    return reject('INVALID_DELTA', `${at} has an unknown type`, isHostile(delta.type));
  const key = delta.key as ValueSpec;
  if ((type === 'set' || type === 'unset') && isAbsent(delta.value))
    return reject('INVALID_DELTA', `${at} (${type}) has no value`);
  if (type === 'drop' && delta.misspelt)
    return reject('INVALID_DELTA', `${at} (drop) has a misspelt property`);
  return firstFault(
    () => bytesCheck(key, 'INVALID_KEY', `${at}.key`),
    () =>
      type === 'set' || type === 'unset'
        ? bytesCheck(delta.value as ValueSpec, 'INVALID_VALUE', `${at}.value`)
        : ACCEPT,
    () => (type === 'drop' ? dropBoundsCheck(delta, at) : ACCEPT),
  );
}

function dropBoundsCheck(delta: Extract<DeltaSpec, { shape: string }>, at: string): Prediction {
  return firstFault(
    () => countCheck(delta.upToVersion, 'INVALID_VERSION', `${at}.upToVersion`),
    () => countCheck(delta.keepLastVersions, 'INVALID_DELTA', `${at}.keepLastVersions`),
  );
}

/** `upToVersion` and `keepLastVersions` are both non-negative integers when present. */
export function countCheck(spec: CountSpec, code: ErrorCode, what: string): Prediction {
  if (spec === undefined || 'n' in spec || isAbsent(spec.value)) return ACCEPT;
  return isNonNegativeInteger(materialize(spec.value))
    ? ACCEPT
    : reject(code, `${what} is not a non-negative integer`, isHostile(spec.value));
}

// ---------------------------------------------------------------- reads

/** `get(key, version)` and `contains(key, version)`. */
export function predictGet(key: ValueSpec, version: VersionSpec | undefined, latest: number) {
  return firstFault(
    () => bytesCheck(key, 'INVALID_KEY', 'key'),
    () => optionalVersion(version, latest, 'read version'),
  );
}

/** `versions(key)`. */
export function predictVersions(key: ValueSpec): Prediction {
  return bytesCheck(key, 'INVALID_KEY', 'key');
}

/** The fields of an object argument: from a generated record, or read off a junk value. */
export type Fields = Readonly<Record<string, ValueSpec | VersionSpec | undefined>>;

/**
 * A junk value passed where an object is wanted: `undefined` (absent), a
 * non-object or an object that is not plain (an array, a Map, a Date: both
 * rejected with `code`), or a plain object whose fields are its own
 * properties.
 */
export function junkObject(
  spec: ValueSpec,
  names: readonly string[],
  code: ErrorCode,
  what: string,
): { fault?: Prediction; fields?: Fields } {
  const value = materialize(spec);
  if (value === undefined) return { fields: {} as Fields };
  if (typeof value !== 'object' || value === null)
    return { fault: reject(code, `${what} is not an object`) };
  if (isHostile(spec)) return { fault: reject(code, `${what} is a throwing proxy`, true) };
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== null && Object.getPrototypeOf(prototype) !== null)
    return { fault: reject(code, `${what} is not a plain object (an array, a Map, a Date...)`) };
  const unknown = Object.keys(value).find((name) => !names.includes(name));
  if (unknown !== undefined) return { fault: reject(code, `${what} has a property ${unknown}`) };
  return { fields: junkFields(value as Record<string, unknown>, names) };
}

/**
 * The fields `names` of a junk object, as specs. The junk pool's objects
 * carry none of the API's option names except inherited methods (an array's
 * or a typed array's `reverse`); anything else fails here, so that a new
 * junk value cannot slip past the prediction.
 */
export function junkFields(value: Record<string, unknown>, names: readonly string[]): Fields {
  const fields: Record<string, ValueSpec> = {};
  for (const name of names) {
    const field = value[name];
    if (field === undefined) continue;
    if (typeof field !== 'function')
      throw new Error(`junk object with a ${name} field: predict it`);
    fields[name] = { junk: 'function' };
  }
  return fields;
}

const OPTION_NAMES = ['version', 'reverse', 'pageSize'];
const SPEC_NAMES = ['start', 'end', 'prefix', 'endInclusive'];

/** `range(spec, options)`. */
export function predictRange(
  spec: RangeSpecSpec,
  options: RangeOptionsSpec,
  latest: number,
): Prediction {
  const range = objectArgument(spec, SPEC_NAMES, 'range');
  const opts = objectArgument(options, OPTION_NAMES, 'range options');
  const o = opts.fields ?? {};
  return firstFault(
    () => range.fault ?? ACCEPT,
    () => rangeSpecCheck(range.fields ?? {}),
    () => opts.fault ?? ACCEPT,
    () => booleanCheck(o.reverse as ValueSpec | undefined, 'reverse'),
    () => optionalVersion(o.version as VersionSpec | undefined, latest, 'range version'),
    () => pageSizeCheck(o.pageSize as ValueSpec | undefined),
  );
}

/** A range spec or range options: absent, junk, or a generated record (perhaps misspelt). */
export function objectArgument(
  spec: RangeSpecSpec | RangeOptionsSpec | { readonly value: ValueSpec } | object | undefined,
  names: readonly string[],
  what: string,
  code: ErrorCode = 'INVALID_ARGUMENT',
): { fault?: Prediction; fields?: Fields } {
  if (spec === undefined) return { fields: {} };
  if ('value' in spec && !('rel' in spec))
    return junkObject((spec as { value: ValueSpec }).value, names, code, what);
  if ((spec as { misspelt?: boolean }).misspelt === true)
    return { fault: reject(code, `${what} has a misspelt property`) };
  return { fields: spec as Fields };
}

/** A boolean (or absent), else `code`. */
export function booleanCheck(
  spec: ValueSpec | undefined,
  what: string,
  code: ErrorCode = 'INVALID_ARGUMENT',
): Prediction {
  // The junk pool holds `true` too.
  if (spec === undefined || typeof materialize(spec) === 'boolean' || isAbsent(spec)) return ACCEPT;
  return reject(code, `${what} is not a boolean`, isHostile(spec));
}

/** The fields of a range spec. */
export function rangeSpecCheck(fields: Fields): Prediction {
  const [start, end, prefix] = [fields.start, fields.end, fields.prefix] as (
    | ValueSpec
    | undefined
  )[];
  return firstFault(
    () => booleanCheck(fields.endInclusive as ValueSpec | undefined, 'endInclusive'),
    () => {
      if (isAbsent(prefix)) return ACCEPT;
      if (!isAbsent(start) || !isAbsent(end))
        return reject('INVALID_ARGUMENT', 'prefix with start or end');
      return bytesCheck(prefix as ValueSpec, 'INVALID_KEY', 'prefix');
    },
    () => (isAbsent(start) ? ACCEPT : bytesCheck(start as ValueSpec, 'INVALID_KEY', 'start')),
    () => (isAbsent(end) ? ACCEPT : bytesCheck(end as ValueSpec, 'INVALID_KEY', 'end')),
  );
}

/** A page size (or absent). */
export function pageSizeCheck(spec: ValueSpec | undefined): Prediction {
  if (isAbsent(spec)) return ACCEPT;
  const value = materialize(spec as ValueSpec);
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0
    ? ACCEPT
    : reject('INVALID_ARGUMENT', 'pageSize is not a positive integer', isHostile(spec));
}
