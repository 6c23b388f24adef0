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
 * @module
 */

import { type BytesLike, describe } from '../common/bytes.js';
import { InvalidInputError } from '../common/errors.js';
import { rejectUnknownProperties } from '../common/properties.js';
import { checkCount, checkVersion } from '../common/version.js';
import { BINARY_CODECS, type Codecs } from './encodings.js';
import type { TableConfig } from './options.js';
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
 * One change of a commit. `K` and `V` are what the store's encodings take
 * (bytes or strings by default; see encodings.ts).
 */
export type Delta<K = BytesLike, V = BytesLike> =
  | SetDelta<K, V>
  | UnsetDelta<K, V>
  | RemoveDelta<K>
  | DropDelta<K>;

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

/** A commit, validated and normalised. */
export interface CommitPlan {
  /** The writes in commit order; the tier keeps the last write of a key. */
  readonly writes: readonly PlannedWrite[];
  readonly drops: readonly PlannedDrop[];
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
  for (let index = 0; index < deltas.length; index++) {
    const planned = planDelta(deltas[index], index, router, codecs);
    if ('upToVersion' in planned) drops.push(planned);
    else writes.push(planned);
  }
  return { writes, drops };
}

const DELTA_TYPES = ['set', 'unset', 'remove', 'drop'];

function planDelta(
  delta: unknown,
  index: number,
  router: TableRouter,
  codecs: Codecs,
): PlannedWrite | PlannedDrop {
  if (typeof delta !== 'object' || delta === null)
    invalid(index, `a delta must be an object, got ${describe(delta)}`);
  const { type, key } = delta as { type?: unknown; key?: unknown };
  if (typeof type !== 'string' || !DELTA_TYPES.includes(type)) {
    invalid(index, `the delta type must be set, unset, remove or drop, got ${describe(type)}`);
  }
  if (key === undefined) invalid(index, `the ${type} delta has no key`);
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

function planDrop(
  delta: DropDelta,
  index: number,
  router: TableRouter,
  codecs: Codecs,
): PlannedDrop {
  rejectUnknownProperties(delta, DROP_PROPERTIES, `deltas[${index}]`, 'INVALID_DELTA');
  const key = codecs.key(delta.key);
  const upToVersion =
    delta.upToVersion === undefined
      ? undefined
      : checkVersion(delta.upToVersion, 'drop upToVersion');
  const keepLastVersions =
    delta.keepLastVersions === undefined
      ? undefined
      : checkCount(delta.keepLastVersions, 'drop keepLastVersions', 'INVALID_DELTA');
  return { table: router.route(key), key, upToVersion, keepLastVersions };
}
