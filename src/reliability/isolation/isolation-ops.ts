/**
 * The operations of the randomized isolation test, and their generator.
 *
 * A run is an array of operations over a few keys (two of them in a
 * single-version retention table) and four transaction slots:
 *
 * ```
 *   begin     slot, read-only?, isolation, asOf (latest, older, future), maxAgeMs?
 *   read      slot, get or contains of a key
 *   scan      slot, a range or prefix, either direction
 *   write     slot, set / remove / unset / drop of a key
 *   rmw       slot, read one key then write another     (the shape of write skew)
 *   cross     slots 0 and 1 (or 2 and 3): each reads the key the other writes
 *             (a write skew in the making, under one isolation level), then
 *             maybe both commit, in order
 *   move      slot, asOf(version, { exclusive? })
 *   commit    slot, automatic or at an explicit version
 *   rollback  slot
 *   plain     a commit outside any transaction: automatic, explicit above or below the latest;
 *             its writes may include range drops (one of RANGES), which only commits take
 *   peek      a read or range outside any transaction, at a random version
 *   flush     await store.flush()
 *   settle    commit every open transaction (slot order), flush, then read every
 *             key at each of the last few versions: an idle moment, when the
 *             drops held back by snapshots are applied and history is checked
 *   clock     advance the mock clock (maxAgeMs expiry)
 *   reopen    close and reopen the store (SQLite file setups)
 * ```
 *
 * An operation on an empty slot first begins a read-write transaction there
 * (slots 0 and 1 snapshot, 2 and 3 serializable; 1 and 3 with a maxAgeMs), so that most operations
 * act. Versions are relative (`back`, `ahead`) so that every generated run is
 * meaningful whatever happened before; the harness resolves them.
 *
 * @module
 */

import fc from 'fast-check';
import type { Key, ModelRange } from './isolation-model.js';

/** The keys of the test; `s:` keys live in a keep-1 retention table. */
export const KEYS: readonly Key[] = ['a', 'b', 'ba', 'bb', 's:a', 's:b'];
/** The retention table of `s:` keys. */
export const RETENTION_PREFIX = 's:';
/** Ranges the test reads. */
export const RANGES: readonly ModelRange[] = [
  {},
  { prefix: 'b' },
  { prefix: RETENTION_PREFIX },
  { start: 'a', end: 'bb' },
  { start: 'b', end: 's:a', endInclusive: true },
];
/** Transaction slots. */
export const SLOTS = 4;

/** A write inside a transaction or a plain commit. */
export type WriteOp =
  | { readonly type: 'set'; readonly key: Key }
  | { readonly type: 'remove'; readonly key: Key }
  | { readonly type: 'unset'; readonly key: Key }
  | {
      readonly type: 'drop';
      readonly key: Key;
      readonly upToAhead?: number;
      readonly keepLastVersions?: number;
    };

/** A range drop (plain commits only: `tx.drop` takes a key) over `RANGES[range]`. */
export interface RangeDropOp {
  readonly type: 'drop-range';
  readonly range: number;
  readonly upToAhead?: number;
  readonly keepLastVersions?: number;
}

/** A write of a plain commit: a write of a key, or a range drop. */
export type PlainWriteOp = WriteOp | RangeDropOp;

/** One step of a run. */
export type Op =
  | {
      readonly op: 'begin';
      readonly slot: number;
      readonly readOnly: boolean;
      readonly serializable: boolean;
      readonly asOf: 'latest' | { readonly back: number } | { readonly ahead: number };
      readonly maxAgeMs: number | undefined;
    }
  | { readonly op: 'read'; readonly slot: number; readonly key: Key; readonly contains: boolean }
  | {
      readonly op: 'scan';
      readonly slot: number;
      readonly range: number;
      readonly reverse: boolean;
    }
  | { readonly op: 'write'; readonly slot: number; readonly write: WriteOp }
  | { readonly op: 'rmw'; readonly slot: number; readonly read: Key; readonly write: Key }
  | {
      readonly op: 'cross';
      readonly slots: readonly [number, number];
      readonly keys: readonly [Key, Key];
      readonly commit: boolean;
    }
  | {
      readonly op: 'move';
      readonly slot: number;
      readonly back: number;
      readonly exclusive: boolean;
    }
  | { readonly op: 'commit'; readonly slot: number; readonly explicitAhead: number | undefined }
  | { readonly op: 'rollback'; readonly slot: number }
  | {
      readonly op: 'plain';
      readonly writes: readonly PlainWriteOp[];
      readonly at: 'auto' | { readonly ahead: number } | { readonly back: number };
    }
  | {
      readonly op: 'peek';
      readonly key: Key;
      readonly range: number | undefined;
      readonly back: number;
    }
  | { readonly op: 'flush' }
  | { readonly op: 'settle' }
  | { readonly op: 'clock'; readonly ms: number }
  | { readonly op: 'reopen' };

const key = fc.constantFrom(...KEYS);
/** Read-modify-writes mostly cross two keys: the shape of write skew and lost updates. */
const skewKey = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('a', 'b') },
  { weight: 1, arbitrary: key },
);
/** Most reads and writes go to a few hot keys (one in the retention table), so histories grow. */
const hot = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('a', 'b', 's:a') },
  { weight: 1, arbitrary: key },
);
const slot = fc.nat(SLOTS - 1);

const writeOp: fc.Arbitrary<WriteOp> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ type: fc.constant('set' as const), key: hot }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('remove' as const), key: hot }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('unset' as const), key: hot }) },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        type: fc.constant('drop' as const),
        key: hot,
        upToAhead: fc.integer({ min: -3, max: 1 }),
        keepLastVersions: fc.nat(2),
      },
      { requiredKeys: ['type', 'key'] },
    ),
  },
);

const plainWriteOp: fc.Arbitrary<PlainWriteOp> = fc.oneof(
  { weight: 10, arbitrary: writeOp },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        type: fc.constant('drop-range' as const),
        range: fc.nat(RANGES.length - 1),
        upToAhead: fc.integer({ min: -3, max: 1 }),
        keepLastVersions: fc.nat(2),
      },
      { requiredKeys: ['type', 'range'] },
    ),
  },
);

const begin = fc.record({
  op: fc.constant('begin' as const),
  slot,
  readOnly: fc.nat(3).map((n) => n === 0),
  serializable: fc.boolean(),
  asOf: fc.oneof(
    { weight: 6, arbitrary: fc.constant('latest' as const) },
    { weight: 3, arbitrary: fc.record({ back: fc.integer({ min: 1, max: 4 }) }) },
    { weight: 1, arbitrary: fc.record({ ahead: fc.integer({ min: 1, max: 3 }) }) },
  ),
  maxAgeMs: fc.option(fc.integer({ min: 2, max: 20 }), { nil: undefined, freq: 2 }),
});

/** The generator of one operation (weights chosen so that conflicts, skew, parking and refusals all happen). */
export const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: begin },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('read' as const),
      slot,
      key: hot,
      contains: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('scan' as const),
      slot,
      range: fc.nat(RANGES.length - 1),
      reverse: fc.boolean(),
    }),
  },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('write' as const), slot, write: writeOp }) },
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('rmw' as const), slot, read: skewKey, write: skewKey }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('cross' as const),
      slots: fc.constantFrom<[number, number]>([0, 1], [1, 0], [2, 3], [3, 2]),
      keys: fc.uniqueArray(skewKey, { minLength: 2, maxLength: 2 }) as fc.Arbitrary<[Key, Key]>,
      commit: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('move' as const),
      slot,
      back: fc.integer({ min: -2, max: 4 }),
      exclusive: fc.boolean(),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant('commit' as const),
      slot,
      explicitAhead: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined, freq: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('rollback' as const), slot }) },
  {
    weight: 7,
    arbitrary: fc.record({
      op: fc.constant('plain' as const),
      writes: fc.array(plainWriteOp, { minLength: 0, maxLength: 3 }),
      at: fc.oneof(
        { weight: 6, arbitrary: fc.constant('auto' as const) },
        { weight: 1, arbitrary: fc.record({ ahead: fc.integer({ min: 1, max: 3 }) }) },
        { weight: 2, arbitrary: fc.record({ back: fc.integer({ min: 0, max: 5 }) }) },
      ),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('peek' as const),
      key,
      range: fc.option(fc.nat(RANGES.length - 1), { nil: undefined }),
      back: fc.integer({ min: -1, max: 5 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('flush' as const) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('settle' as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('clock' as const),
      ms: fc.integer({ min: 1, max: 30 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reopen' as const) }) },
);

/** A run: a few dozen operations. */
export function runOf(maxLength: number): fc.Arbitrary<Op[]> {
  return fc.array(op, { minLength: 10, maxLength, size: 'max' });
}
