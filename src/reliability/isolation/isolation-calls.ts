/**
 * The isolation test's side of the store's API: model writes and ranges
 * turned into store calls, and store answers turned into the plain strings
 * the model speaks (`v:<value>`, `absent`, `present`, and an outcome name per
 * expected error: `conflict`, `violation`, `too-old`, `too-old-tx`).
 *
 * @module
 */

import { isStoreError } from '../../common/errors.js';
import type { Delta } from '../../store/deltas.js';
import type { MultiStore } from '../../store/multistore.js';
import type { RangeSpec } from '../../store/range.js';
import {
  inModelRange,
  type Key,
  type ModelRange,
  type ModelRangeDrop,
  type ModelWrite,
} from './isolation-model.js';
import { KEYS } from './isolation-ops.js';

/** A transaction of the store under test. */
export type Transaction = ReturnType<MultiStore['begin']>;

const encoder = new TextEncoder();
/** Decodes the store's bytes back to model keys and values. */
export const decoder = new TextDecoder();
/** A model key (or value) as bytes. */
export const bytes = (key: Key) => encoder.encode(key);

/** Plain commits: one delta per key for writes (the last), drops after. */
export function lastPerKey(writes: readonly ModelWrite[]): ModelWrite[] {
  const last = new Map<Key, ModelWrite>();
  const drops: ModelWrite[] = [];
  for (const w of writes) {
    if (w.type === 'drop') drops.push(w);
    else last.set(w.key, w);
  }
  return [...[...last.values()].sort((x, y) => (x.key < y.key ? -1 : 1)), ...drops];
}

/** Make a model write in a transaction. */
export function applyToTx(tx: Transaction, w: ModelWrite): void {
  if (w.type === 'set') tx.set(bytes(w.key), bytes(w.value));
  else if (w.type === 'unset') tx.unset(bytes(w.key), bytes(w.value));
  else if (w.type === 'remove') tx.remove(bytes(w.key));
  else tx.drop(bytes(w.key), dropOptionsOf(w));
}

function dropOptionsOf(w: { upToVersion?: number; keepLastVersions?: number }) {
  return {
    ...(w.upToVersion === undefined ? {} : { upToVersion: w.upToVersion }),
    ...(w.keepLastVersions === undefined ? {} : { keepLastVersions: w.keepLastVersions }),
  };
}

/** A model write as a delta of a plain commit. */
export function toDelta(w: ModelWrite): Delta {
  switch (w.type) {
    case 'set':
    case 'unset':
      return { type: w.type, key: bytes(w.key), value: bytes(w.value) };
    case 'remove':
      return { type: 'remove', key: bytes(w.key) };
    case 'drop':
      return {
        type: 'drop',
        key: bytes(w.key),
        ...(w.upToVersion === undefined ? {} : { upToVersion: w.upToVersion }),
        ...(w.keepLastVersions === undefined ? {} : { keepLastVersions: w.keepLastVersions }),
      };
  }
}

/** A model range drop as a delta of a plain commit (every key: the empty prefix). */
export function toRangeDropDelta(r: ModelRangeDrop): Delta {
  const spec = specOf(r.range);
  const named = 'prefix' in spec || 'start' in spec || 'end' in spec;
  return {
    type: 'drop',
    ...(named ? spec : { prefix: bytes('') }),
    ...(r.upToVersion === undefined ? {} : { upToVersion: r.upToVersion }),
    ...(r.keepLastVersions === undefined ? {} : { keepLastVersions: r.keepLastVersions }),
  } as Delta;
}

/** A model range as the store's range spec. */
export function specOf(range: ModelRange): RangeSpec {
  if (range.prefix !== undefined) return { prefix: bytes(range.prefix) };
  return {
    ...(range.start === undefined ? {} : { start: bytes(range.start) }),
    ...(range.end === undefined
      ? {}
      : { end: bytes(range.end), endInclusive: range.endInclusive ?? false }),
  };
}

/** The test's keys inside `range`, in the order a range reads them. */
export function keysIn(range: ModelRange, reverse: boolean): Key[] {
  const keys = KEYS.filter((k) => inModelRange(k, range)).sort();
  return reverse ? keys.reverse() : keys;
}

/** The outcome of a call as text: its result, or the name of the expected error it threw. */
export function attempt(fn: () => string): string {
  try {
    return fn();
  } catch (error) {
    return outcomeOf(error);
  }
}

const OUTCOMES: Readonly<Record<string, string>> = {
  TRANSACTION_CONFLICT: 'conflict',
  SNAPSHOT_VIOLATION: 'violation',
  VERSION_TOO_OLD: 'too-old',
  TRANSACTION_TOO_OLD: 'too-old-tx',
};

function outcomeOf(error: unknown): string {
  if (isStoreError(error) && Object.hasOwn(OUTCOMES, error.code))
    return OUTCOMES[error.code] as string;
  throw error;
}

/** The entries a range listed, decoded, or the error it failed with. */
export function attemptList(fn: () => { key: Uint8Array; value: Uint8Array }[]): {
  entries: { key: Key; value: string }[];
  error: unknown;
} {
  try {
    const entries = fn().map((e) => ({
      key: decoder.decode(e.key),
      value: decoder.decode(e.value),
    }));
    return { entries, error: undefined };
  } catch (error) {
    return { entries: [], error };
  }
}

/** An `assert.throws` matcher for a store error code. */
export function code(expected: string): (error: unknown) => boolean {
  return (error) => isStoreError(error) && error.code === expected;
}

/** Prefix an error's message with where it happened. */
export function annotate(error: unknown, where: string): unknown {
  if (error instanceof Error) error.message = `${where}\n${error.message}`;
  return error;
}
