/**
 * Deltas, and turning a commit's deltas into a plan.
 *
 * A commit is a list of deltas applied atomically at one version. Before
 * anything is written the whole list is validated and normalised into a
 * {@link CommitPlan}, so that one bad delta rejects the commit and writes
 * nothing:
 *
 * ```
 *   [set a=1, drop b, set a=2, remove c]
 *        │ planCommit (validate, copy bytes, route)
 *        ▼
 *   writes: a=1, a=2, c=tombstone (multi)        drops: b (multi)
 *        │ tier.set: the last write of a key wins
 * ```
 *
 * `set` stores a value; `unset` and `remove` both store a tombstone (`unset`
 * carries the old value for callers that track deleted bytes; the store
 * reads them from the tier itself); `drop` asks the drop worker to erase
 * stored versions and writes nothing. A drop delta with a property no delta
 * has is refused: its constraints are optional, so a misspelt one
 * (`keepLastVersion`) would otherwise erase the key's whole history.
 *
 * A drop names one key, or a range of keys (`prefix`, or `start`/`end` as
 * `range()` takes them): a range drop is the per-key drop of every key with
 * stored history in the range, applied a page of keys at a time by the drop
 * worker (range-drops.ts). It names at least one of `key`, `prefix`, `start`
 * and `end`, so that a drop whose key is missing (`key: undefined`) is an
 * error, never a drop of every key (`prefix: ''` names every key).
 *
 * @module
 */

import { type BytesLike, describe } from '../common/bytes.js';
import { InvalidInputError } from '../common/errors.js';
import { rejectUnknownProperties } from '../common/properties.js';
import { checkCount, checkVersion } from '../common/version.js';
import { BINARY_CODECS, type Codecs } from './encodings.js';
import type { TableConfig } from './options.js';
import { type ResolvedRange, resolveRange } from './range.js';
import type { TableRouter } from './routing.js';

/** Store a value. */
export interface SetDelta<K = BytesLike, V = BytesLike> {
  readonly type: 'set';
  readonly key: K;
  readonly value: V;
}

/** Delete the key, carrying the value it had. */
export interface UnsetDelta<K = BytesLike, V = BytesLike> {
  readonly type: 'unset';
  readonly key: K;
  readonly value: V;
}

/** Delete the key without its old value. */
export interface RemoveDelta<K = BytesLike> {
  readonly type: 'remove';
  readonly key: K;
}

/** Ask the drop worker to erase stored versions of the key (README, "Semantics": Drops). */
export interface DropDelta<K = BytesLike> {
  readonly type: 'drop';
  readonly key: K;
  /** Erase only versions strictly below this one. */
  readonly upToVersion?: number;
  /** Keep this many newest versions. */
  readonly keepLastVersions?: number;
}

/**
 * Ask the drop worker to erase stored versions of every key of a range or
 * prefix, exactly as a {@link DropDelta} of each would (README, "Semantics":
 * Range drops). Keys deleted (a tombstone as newest version) are included.
 */
export type RangeDropDelta<K = BytesLike> = {
  readonly type: 'drop';
  readonly key?: never;
  /** Erase only versions strictly below this one. */
  readonly upToVersion?: number;
  /** Keep this many newest versions of each key. */
  readonly keepLastVersions?: number;
} & (
  | {
      /** Every key whose stored bytes start with the bytes of this one. */
      readonly prefix: K;
      readonly start?: never;
      readonly end?: never;
      readonly endInclusive?: never;
    }
  | {
      readonly prefix?: never;
      /** First key (included); unbounded when absent. */
      readonly start?: K;
      /** Last key (excluded unless `endInclusive`); unbounded when absent. */
      readonly end?: K;
      readonly endInclusive?: boolean;
    }
);

/**
 * One change of a commit. `K` and `V` are what the store's encodings take
 * (bytes or strings by default; see encodings.ts).
 */
export type Delta<K = BytesLike, V = BytesLike> =
  | SetDelta<K, V>
  | UnsetDelta<K, V>
  | RemoveDelta<K>
  | DropDelta<K>
  | RangeDropDelta<K>;

/** A validated write: a value, or a tombstone when `value` is undefined. */
export interface PlannedWrite {
  readonly table: TableConfig;
  readonly key: Uint8Array;
  readonly value: Uint8Array | undefined;
}

/** A validated drop delta. */
export interface PlannedDrop {
  readonly table: TableConfig;
  readonly key: Uint8Array;
  readonly upToVersion: number | undefined;
  readonly keepLastVersions: number | undefined;
}

/** A validated range drop: tier bounds (the tables it meets are found when it is applied). */
export interface PlannedRangeDrop {
  readonly range: ResolvedRange;
  readonly upToVersion: number | undefined;
  readonly keepLastVersions: number | undefined;
}

/** A commit, validated and normalised. */
export interface CommitPlan {
  /** The writes in commit order; the tier keeps the last write of a key. */
  readonly writes: readonly PlannedWrite[];
  readonly drops: readonly PlannedDrop[];
  /** Range drops, in commit order (after the per-key drops of the same commit). */
  readonly rangeDrops: readonly PlannedRangeDrop[];
}

function invalid(index: number, message: string): never {
  throw new InvalidInputError('INVALID_DELTA', `deltas[${index}]: ${message}`);
}

/** Validate every delta and build the plan; throws before anything is written. */
export function planCommit(
  deltas: unknown,
  router: TableRouter,
  codecs: Codecs = BINARY_CODECS,
): CommitPlan {
  if (!Array.isArray(deltas)) {
    throw new InvalidInputError(
      'INVALID_DELTA',
      `deltas must be an array, got ${describe(deltas)}`,
    );
  }
  const writes: PlannedWrite[] = [];
  const drops: PlannedDrop[] = [];
  const rangeDrops: PlannedRangeDrop[] = [];
  for (let index = 0; index < deltas.length; index++) {
    const planned = planDelta(deltas[index], index, router, codecs);
    if ('range' in planned) rangeDrops.push(planned);
    else if ('upToVersion' in planned) drops.push(planned);
    else writes.push(planned);
  }
  return { writes, drops, rangeDrops };
}

const DELTA_TYPES = ['set', 'unset', 'remove', 'drop'];

function planDelta(
  delta: unknown,
  index: number,
  router: TableRouter,
  codecs: Codecs,
): PlannedWrite | PlannedDrop | PlannedRangeDrop {
  if (typeof delta !== 'object' || delta === null)
    invalid(index, `a delta must be an object, got ${describe(delta)}`);
  const { type, key } = delta as { type?: unknown; key?: unknown };
  if (typeof type !== 'string' || !DELTA_TYPES.includes(type)) {
    invalid(index, `the delta type must be set, unset, remove or drop, got ${describe(type)}`);
  }
  if (type === 'drop' && key === undefined && namesRange(delta)) {
    return planRangeDrop(delta as RangeDropDelta<unknown>, index, codecs);
  }
  if (type === 'drop' && key !== undefined && namesRange(delta)) {
    invalid(index, 'a drop names a key or a range (prefix, start/end), not both');
  }
  if (key === undefined) {
    invalid(
      index,
      type === 'drop'
        ? 'the drop delta has no key, prefix, start or end (to drop over every key: prefix: "" with binary or utf8 keys, start: null with ordered keys)'
        : `the ${type} delta has no key`,
    );
  }
  switch (type) {
    case 'set':
    case 'unset':
      return planWrite(delta as SetDelta, index, router, codecs, type === 'set');
    case 'remove': {
      const bytes = codecs.key(key);
      return { table: router.route(bytes), key: bytes, value: undefined };
    }
    default: // 'drop', the only type left
      return planDrop(delta as DropDelta, index, router, codecs);
  }
}

function planWrite(
  delta: SetDelta | UnsetDelta,
  index: number,
  router: TableRouter,
  codecs: Codecs,
  keep: boolean,
): PlannedWrite {
  if (delta.value === undefined) invalid(index, `the ${delta.type} delta has no value`);
  const key = codecs.key(delta.key);
  // Values are only passed on to the tier, which copies what it keeps.
  const value = codecs.value(delta.value, false);
  return { table: router.route(key), key, value: keep ? value : undefined };
}

/**
 * A drop's constraints are optional, so a misspelt one would erase more than
 * meant: a property no delta has is refused (`value`, which writes carry, is
 * tolerated as on any delta).
 */
const DROP_PROPERTIES = ['type', 'key', 'value', 'upToVersion', 'keepLastVersions'];

/** A range drop's properties: a range as `range()` takes it (`key` only as undefined). */
const RANGE_DROP_PROPERTIES = [
  'type',
  'key',
  'value',
  'upToVersion',
  'keepLastVersions',
  'prefix',
  'start',
  'end',
  'endInclusive',
];

/** A drop names a range when it gives a prefix, a start or an end (and no key). */
function namesRange(delta: object): boolean {
  const { prefix, start, end } = delta as { prefix?: unknown; start?: unknown; end?: unknown };
  return prefix !== undefined || start !== undefined || end !== undefined;
}

function planDrop(
  delta: DropDelta,
  index: number,
  router: TableRouter,
  codecs: Codecs,
): PlannedDrop {
  rejectUnknownProperties(delta, DROP_PROPERTIES, `deltas[${index}]`, 'INVALID_DELTA');
  const key = codecs.key(delta.key);
  return { table: router.route(key), key, ...constraintsOf(delta) };
}

/** The constraints a drop delta (of a key or a range) gives. */
function constraintsOf(delta: {
  readonly upToVersion?: unknown;
  readonly keepLastVersions?: unknown;
}): Pick<PlannedDrop, 'upToVersion' | 'keepLastVersions'> {
  const upToVersion =
    delta.upToVersion === undefined
      ? undefined
      : checkVersion(delta.upToVersion, 'drop upToVersion');
  const keepLastVersions =
    delta.keepLastVersions === undefined
      ? undefined
      : checkCount(delta.keepLastVersions, 'drop keepLastVersions', 'INVALID_DELTA');
  return { upToVersion, keepLastVersions };
}

/**
 * A range drop: `prefix`, or `start`/`end`/`endInclusive`, in the key type
 * the store takes (its key encoding), as `range()` reads them.
 */
function planRangeDrop(
  delta: RangeDropDelta<unknown>,
  index: number,
  codecs: Codecs,
): PlannedRangeDrop {
  rejectUnknownProperties(delta, RANGE_DROP_PROPERTIES, `deltas[${index}]`, 'INVALID_DELTA');
  const { prefix, start, end, endInclusive } = delta as {
    prefix?: unknown;
    start?: unknown;
    end?: unknown;
    endInclusive?: unknown;
  };
  if (prefix !== undefined && (start !== undefined || end !== undefined))
    invalid(index, 'a range drop takes either prefix or start/end, not both');
  if (endInclusive !== undefined && typeof endInclusive !== 'boolean')
    invalid(index, `endInclusive must be a boolean, got ${describe(endInclusive)}`);
  if (endInclusive !== undefined && prefix !== undefined)
    invalid(index, 'endInclusive goes with end, not with prefix');
  const spec = prefix !== undefined ? { prefix } : { start, end, endInclusive };
  return { range: resolveRange(spec, codecs), ...constraintsOf(delta) };
}
