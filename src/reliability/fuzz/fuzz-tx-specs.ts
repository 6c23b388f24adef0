/**
 * Arbitraries of the API fuzz for transactions: `begin`, `transaction`, the
 * methods of a transaction, and clock advances, valid input mixed with wrong
 * input like the rest of the fuzz (fuzz-specs.ts).
 *
 * ```
 *   begin(slot, options)         a transaction in slot 0 or 1 (the one there is rolled back first)
 *   tx(slot, op, ...)            get contains range set unset remove drop asOf commit rollback
 *                                (on an empty slot, a transaction begins there first:
 *                                slot 0 with snapshot isolation, slot 1 serializable)
 *   transaction(fn, options)     fn: writes one key, or junk
 *   advance(ms)                  the MockClock moves (expiring maxAgeMs), when the case has one
 *   race(slot)                   a plain commit writes a key the slot's transaction wrote,
 *                                then the transaction commits (a conflict)
 *   scenario(calls)              a sequence that erases a key's history and reads it there,
 *                                or one that lets a transaction pass its maxAgeMs
 * ```
 *
 * Read-write transactions begin at the latest version or above it: one begun
 * as of the past is checked against stored history, where a drop committed
 * before it began conflicts only when it changed what it can read (see the
 * README), a rule the fuzz does not model; read-only ones may begin anywhere.
 *
 * @module
 */

import fc from 'fast-check';
import {
  anyKey,
  anyVersion,
  type CallSpec,
  type CountSpec,
  type DeltaSpec,
  often,
  type RangeSpecSpec,
  rangeSpec,
  type VersionSpec,
  validKey,
  validValue,
} from './fuzz-specs.js';
import { junkSpec, type ValueSpec } from './hostile-values.js';

/** Options of `begin` (or of `transaction`, with `retries`). */
export type BeginSpec =
  | undefined
  | { readonly value: ValueSpec }
  | {
      readonly readOnly?: ValueSpec;
      readonly asOf?: VersionSpec;
      readonly isolation?: ValueSpec;
      readonly maxAgeMs?: ValueSpec;
      readonly retries?: ValueSpec;
      /** Add a misspelt property (`isolaton`): must be refused. */
      readonly misspelt?: boolean;
    };

const isolation = often<ValueSpec>(
  fc.constantFrom('snapshot', 'serializable', 'serializable').map((str) => ({ str })),
  fc.oneof(
    fc.constantFrom('Serializable', 'strict', '').map((str) => ({ str })),
    junkSpec,
  ),
  6,
);
const maxAgeMs = often<ValueSpec>(
  fc.constantFrom(5, 20, 1e9).map((num) => ({ num })),
  fc.oneof(
    fc.constantFrom(0, -5, Number.NaN, Number.POSITIVE_INFINITY).map((num) => ({ num })),
    junkSpec,
  ),
  4,
);
/** A version at or above the latest (read-write transactions), or wrong. */
const forwardVersion = often<VersionSpec>(
  fc.constantFrom(0, 0, 1, 3).map((rel) => ({ rel })),
  fc.oneof(
    junkSpec.map((value) => ({ value })),
    fc.constant({ value: { num: -1 } }),
  ),
  6,
);
const readOnlyTrue: fc.Arbitrary<ValueSpec> = fc.constant({ bool: true });
const notReadOnly = often<ValueSpec | undefined>(
  fc.constantFrom(undefined, { bool: false }),
  junkSpec.filter((spec) => !('junk' in spec && spec.junk === 'true')),
  8,
);
const retries = often<ValueSpec>(
  fc.constantFrom(0, 1, 3).map((num) => ({ num })),
  fc.oneof(fc.constant({ num: -1 }), fc.constant({ num: 1.5 }), junkSpec),
  5,
);

function beginRecord(withRetries: boolean): fc.Arbitrary<BeginSpec> {
  const common = {
    isolation,
    maxAgeMs,
    ...(withRetries ? { retries } : {}),
    misspelt: often(fc.constant(false), fc.constant(true), 15),
  };
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record(
        { readOnly: notReadOnly, asOf: forwardVersion, ...common },
        { requiredKeys: [] },
      ) as fc.Arbitrary<BeginSpec>,
    },
    {
      weight: 2,
      arbitrary: fc.record(
        { readOnly: readOnlyTrue, asOf: anyVersion, ...common },
        { requiredKeys: ['readOnly'] },
      ) as fc.Arbitrary<BeginSpec>,
    },
  );
}

/** `begin` options: absent, junk, or a record. */
export const beginOptions: fc.Arbitrary<BeginSpec> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: junkSpec.map((value) => ({ value })) },
  { weight: 8, arbitrary: beginRecord(false) },
);

/** `transaction` options: like `begin`'s, with `retries`, never a read-write `asOf` in the past. */
export const transactionOptions: fc.Arbitrary<BeginSpec> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: junkSpec.map((value) => ({ value })) },
  { weight: 6, arbitrary: beginRecord(true) },
);

/** `drop` options of a transaction. */
export type DropOptionsSpec =
  | undefined
  | { readonly value: ValueSpec }
  | {
      readonly upToVersion?: CountSpec;
      readonly keepLastVersions?: CountSpec;
      readonly misspelt?: boolean;
    };

const count: fc.Arbitrary<CountSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.nat(6).map((n) => ({ n })) },
  { weight: 1, arbitrary: junkSpec.map((value) => ({ value })) },
);
const dropOptions: fc.Arbitrary<DropOptionsSpec> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: junkSpec.map((value) => ({ value })) },
  {
    weight: 4,
    arbitrary: fc.record(
      {
        upToVersion: count,
        keepLastVersions: count,
        misspelt: often(fc.constant(false), fc.constant(true), 10),
      },
      { requiredKeys: [] },
    ),
  },
);

/** Options of a transaction's `range`: reverse and page size (a `version` must be refused). */
export type TxRangeOptionsSpec =
  | undefined
  | { readonly value: ValueSpec }
  | {
      readonly reverse?: ValueSpec;
      readonly pageSize?: ValueSpec;
      /** Add a `version` option, which a transaction's range refuses. */
      readonly version?: boolean;
    };

const flag = often<ValueSpec>(
  fc.boolean().map((bool) => ({ bool })),
  junkSpec,
);
const txRangeOptions: fc.Arbitrary<TxRangeOptionsSpec> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: junkSpec.map((value) => ({ value })) },
  {
    weight: 4,
    arbitrary: fc.record(
      {
        reverse: flag,
        pageSize: often<ValueSpec>(
          fc.integer({ min: 1, max: 3 }).map((num) => ({ num })),
          fc.oneof(fc.constant({ num: 0 }), junkSpec),
          4,
        ),
        version: often(fc.constant(false), fc.constant(true), 10),
      },
      { requiredKeys: [] },
    ),
  },
);

/** `asOf` options. */
export type AsOfOptionsSpec =
  | undefined
  | { readonly value: ValueSpec }
  | { readonly exclusive: ValueSpec };

const asOfOptions: fc.Arbitrary<AsOfOptionsSpec> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: junkSpec.map((value) => ({ value })) },
  { weight: 3, arbitrary: fc.record({ exclusive: flag }) },
);

/** Keys transactions mostly touch: few, so that they collide with each other and with commits. */
const hotKey = often<ValueSpec>(
  fc.constantFrom('a', 'ab', 's:1', 'b').map((str) => ({ str })),
  anyKey,
  3,
);
const txValue = often<ValueSpec>(validValue, junkSpec, 12);

/** One operation on the transaction in a slot. */
export type TxOpSpec =
  | { readonly op: 'get' | 'contains'; readonly key: ValueSpec }
  | { readonly op: 'remove'; readonly key: ValueSpec }
  | { readonly op: 'set' | 'unset'; readonly key: ValueSpec; readonly value: ValueSpec }
  | { readonly op: 'drop'; readonly key: ValueSpec; readonly options: DropOptionsSpec }
  | { readonly op: 'range'; readonly spec: RangeSpecSpec; readonly options: TxRangeOptionsSpec }
  | { readonly op: 'asOf'; readonly version: VersionSpec; readonly options: AsOfOptionsSpec }
  | { readonly op: 'commit'; readonly version: VersionSpec | undefined }
  | { readonly op: 'rollback' };

/** The operations, weighted toward reads and writes of the hot keys. */
export const txOp: fc.Arbitrary<TxOpSpec> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constantFrom('get' as const, 'contains' as const), key: hotKey }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constantFrom('set' as const, 'set' as const, 'unset' as const),
      key: hotKey,
      value: txValue,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), key: hotKey }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('drop' as const), key: hotKey, options: dropOptions }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('range' as const),
      spec: rangeSpec,
      options: txRangeOptions,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('asOf' as const),
      version: anyVersion,
      options: asOfOptions,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('commit' as const),
      version: often(fc.constant(undefined), anyVersion, 6),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('rollback' as const) }) },
);

/** The function `transaction` runs: one that writes a key, or junk. */
export type TxFnSpec =
  | { readonly key: ValueSpec; readonly value: ValueSpec }
  | { readonly junk: ValueSpec };

const AUTO: VersionSpec = { value: { junk: 'undefined' } };

function commitOf(...deltas: DeltaSpec[]): CallSpec {
  return { m: 'commit', deltas: { list: deltas, as: 'array' }, version: AUTO, mutate: false };
}

function deltaOf(type: string, key: ValueSpec, value?: string): DeltaSpec {
  return {
    shape: 'plain',
    type: { str: type },
    key,
    value: value === undefined ? undefined : { str: value },
    upToVersion: undefined,
    keepLastVersions: undefined,
    misspelt: false,
  };
}

/**
 * Two writes of `key`, a drop of its whole history, a flush, then reads where
 * the history was (refused unless an open snapshot kept it).
 */
function erasedHistory(key: ValueSpec): TxCallSpec {
  return {
    m: 'scenario',
    calls: [
      commitOf(deltaOf('set', key, '1')),
      commitOf(deltaOf('set', key, '2')),
      commitOf(deltaOf('drop', key)),
      { m: 'flush', wait: true },
      { m: 'get', key, version: { rel: -1 } },
      { m: 'range', spec: undefined, options: { version: { rel: -2 } } },
      { m: 'begin', slot: 0, options: { readOnly: { bool: true }, asOf: { rel: -2 } } },
      { m: 'tx', slot: 0, call: { op: 'get', key } },
    ],
  };
}

/**
 * A transaction with a maxAgeMs that the clock then passes (with a MockClock:
 * its next calls fail with TRANSACTION_TOO_OLD; with a real clock its
 * maxAgeMs is a billion milliseconds and nothing expires).
 */
function expiry(key: ValueSpec): TxCallSpec {
  return {
    m: 'scenario',
    calls: [
      { m: 'begin', slot: 1, options: { maxAgeMs: { num: 5 } } },
      { m: 'tx', slot: 1, call: { op: 'set', key, value: { str: 'x' } } },
      { m: 'advance', ms: 6 },
      { m: 'tx', slot: 1, call: { op: 'get', key } },
      { m: 'tx', slot: 1, call: { op: 'commit', version: undefined } },
    ],
  };
}

/** The calls of transactions, as the fuzz generates them. */
export type TxCallSpec =
  | { readonly m: 'begin'; readonly slot: 0 | 1; readonly options: BeginSpec }
  | { readonly m: 'tx'; readonly slot: 0 | 1; readonly call: TxOpSpec }
  | {
      readonly m: 'transaction';
      readonly fn: TxFnSpec;
      readonly options: BeginSpec;
    }
  | { readonly m: 'advance'; readonly ms: number }
  /** A concurrent writer: a plain commit of a key the slot's transaction wrote (if any). */
  | { readonly m: 'race'; readonly slot: 0 | 1 }
  /** Calls run in order (built here, from valid parts). */
  | { readonly m: 'scenario'; readonly calls: readonly CallSpec[] };

const slot = fc.constantFrom(0 as const, 1 as const);

/** Any transaction call, with its weight among all calls. */
export const txCalls: { weight: number; arbitrary: fc.Arbitrary<TxCallSpec> }[] = [
  {
    weight: 3,
    arbitrary: fc.record({ m: fc.constant('begin' as const), slot, options: beginOptions }),
  },
  { weight: 9, arbitrary: fc.record({ m: fc.constant('tx' as const), slot, call: txOp }) },
  {
    weight: 1,
    arbitrary: fc.record({
      m: fc.constant('transaction' as const),
      fn: often<TxFnSpec>(
        fc.record({ key: validKey, value: validValue }),
        // Not the junk functions: a class throws a TypeError when called.
        junkSpec
          .filter(
            (spec) => !('junk' in spec && (spec.junk === 'function' || spec.junk === 'class')),
          )
          .map((junk) => ({ junk })),
        5,
      ),
      options: transactionOptions,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ m: fc.constant('advance' as const), ms: fc.constantFrom(1, 6, 30) }),
  },
  { weight: 2, arbitrary: fc.record({ m: fc.constant('race' as const), slot }) },
  { weight: 1, arbitrary: hotKey.map(erasedHistory) },
  { weight: 1, arbitrary: hotKey.map(expiry) },
];
