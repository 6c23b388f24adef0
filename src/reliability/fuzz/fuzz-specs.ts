/**
 * Arbitraries of the API fuzz test: options, table declarations and calls of
 * every public method of MultiStore, valid input mixed with wrong input.
 *
 * Everything generated is plain, printable data (see hostile-values.ts); the
 * harness materializes it at call time. Each argument is valid most of the
 * time and wrong some of the time, so a case holds both commits that land and
 * commits that must be rejected whole:
 *
 * ```
 *   case = { options attempt (often wrong), store tables (maybe wrong), calls[] }
 *   call = commit | get | contains | versions | range | flush | stats | dropWorkerStats
 * ```
 *
 * Keys and prefixes come from small pools that overlap on purpose, so keys
 * route to declared tables, prefixes nest ("a", "ab", "abc": longest match
 * wins) and the same key shows up as a string and as bytes.
 *
 * @module
 */

import fc from 'fast-check';
import { junkSpec, type ValueSpec } from './hostile-values.js';
import { OPEN_BUGS } from './known-bugs.js';

const utf8 = (text: string): number[] => [...new TextEncoder().encode(text)];

/** Keys the fuzz writes and reads (as strings; each also appears as bytes). */
export const KEY_TEXTS = [
  '',
  'a',
  'ab',
  'abc',
  'abd',
  'b',
  's:',
  's:1',
  's:2',
  's:hot:1',
  'q"x',
  'é',
  'é1',
  '\u{1F600}k',
  '\uD800',
] as const;

/** Keys only bytes can spell. */
export const KEY_BYTES: readonly (readonly number[])[] = [
  [0],
  [0xff],
  [0xff, 0xff],
  [0xff, 0x00],
  [0x61, 0x00],
  [0xc3],
];

/** Prefixes tables may declare: nested, overlapping, non-UTF-8. */
const PREFIX_TEXTS = ['a', 'ab', 'abc', 's:', 's:hot:', 'é', '\u{1F600}'] as const;
const PREFIX_BYTES: readonly (readonly number[])[] = [[0xff], [0xff, 0xff], [0], [0x61]];

/** Table names a store must accept (hostile to SQL, to objects used as maps, to encodings). */
export const GOOD_TABLE_NAMES = [
  'single',
  'recent',
  'plain',
  "it's",
  'a"b',
  'x"; DROP TABLE t_6d756c7469; --',
  "Robert'); DROP TABLE meta;--",
  'ünïcødé',
  '表',
  '🙂',
  'A',
  'a',
  ' ',
  ...(OPEN_BUGS.protoTableName ? [] : ['__proto__']),
  'constructor',
  'toString',
  'hasOwnProperty',
  'meta',
  'sqlite_master',
  't_6d756c7469',
  'x'.repeat(256),
] as const;

/** Table names a store may reject (empty, reserved, too long, NUL, lone surrogate). */
export const BAD_TABLE_NAMES = [
  '',
  'multi',
  'x'.repeat(257),
  // Names only the tier rejects (see OPEN_BUGS.tierRejectedTableName).
  ...(OPEN_BUGS.tierRejectedTableName ? [] : ['\0', 'a\0b', '\uD800', '🙂'.repeat(100)]),
] as const;

function often<T>(valid: fc.Arbitrary<T>, wrong: fc.Arbitrary<T>, validWeight = 9) {
  return fc.oneof({ weight: validWeight, arbitrary: valid }, { weight: 1, arbitrary: wrong });
}

const bytesAs = fc.constantFrom('u8' as const, 'buffer' as const, 'view' as const);

/** A valid key: from the pools, as a string or as bytes, or short random bytes. */
export const validKey: fc.Arbitrary<ValueSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KEY_TEXTS).map((str) => ({ str })) },
  {
    weight: 2,
    arbitrary: fc.record({
      bytes: fc.constantFrom(...KEY_TEXTS.map(utf8), ...KEY_BYTES),
      as: bytesAs,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      bytes: fc.array(fc.constantFrom(0, 0x61, 0x62, 0x73, 0x3a, 0xff), { maxLength: 3 }),
      as: bytesAs,
    }),
  },
);

/** A key, wrong one time in ten. */
export const anyKey = often(validKey, junkSpec);

const validValue: fc.Arbitrary<ValueSpec> = fc.oneof(
  fc.constantFrom('', 'v', 'value', 'é\u{1F600}').map((str) => ({ str })),
  fc.record({ bytes: fc.array(fc.nat(255), { maxLength: 5 }), as: bytesAs }),
);

/** A version relative to the latest, or an absolute edge. */
export type VersionSpec =
  | { readonly rel: number }
  | { readonly abs: 'max' | 'zero' }
  | { readonly value: ValueSpec };

const validVersion: fc.Arbitrary<VersionSpec> = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom(-1, 0, 1, 1, 1, 2, 3).map((rel) => ({ rel })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('max' as const, 'zero' as const).map((abs) => ({ abs })),
  },
);
const wrongVersion: fc.Arbitrary<VersionSpec> = fc.oneof(
  junkSpec.map((value) => ({ value })),
  fc.constantFrom('1', '', '0x1').map((str) => ({ value: { str } })),
);

/** A version, wrong some of the time. */
export const anyVersion = often(validVersion, wrongVersion, 8);

/** A drop constraint: absent, a small count, or wrong. */
export type CountSpec = { readonly n: number } | { readonly value: ValueSpec } | undefined;

const anyCount: fc.Arbitrary<CountSpec> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: fc.nat(6).map((n) => ({ n })) },
  { weight: 1, arbitrary: junkSpec.map((value) => ({ value })) },
);

/** One delta, as data. */
export type DeltaSpec =
  | {
      readonly shape: 'plain' | 'frozen' | 'nullProto' | 'getters';
      readonly type: ValueSpec;
      readonly key: ValueSpec | undefined;
      readonly value: ValueSpec | undefined;
      readonly upToVersion: CountSpec;
      readonly keepLastVersions: CountSpec;
    }
  | { readonly junk: ValueSpec };

/** Junk a delta type may be: while its bug is open, not an object that cannot become a string. */
const junkType = OPEN_BUGS.unprintableDeltaType
  ? junkSpec.filter((spec) => !('junk' in spec && spec.junk === 'nullProtoObject'))
  : junkSpec;

const deltaType = often<ValueSpec>(
  fc.constantFrom('set', 'set', 'unset', 'remove', 'drop').map((str) => ({ str })),
  fc.oneof(
    fc.constantFrom('SET', 'delete', '', 'put', ' set', 'drop ').map((str) => ({ str })),
    junkType,
  ),
  30,
);

const delta: fc.Arbitrary<DeltaSpec> = often<DeltaSpec>(
  fc.record({
    shape: fc.constantFrom('plain', 'plain', 'plain', 'frozen', 'nullProto', 'getters'),
    type: deltaType,
    key: often(anyKey, fc.constant(undefined), 20),
    value: often(validValue, fc.oneof(junkSpec, fc.constant(undefined)), 30),
    upToVersion: anyCount,
    keepLastVersions: anyCount,
  }),
  junkSpec.map((junk) => ({ junk })),
  25,
);

/** The deltas argument of a commit: a list in some container, or not a list. */
export type DeltasSpec =
  | { readonly list: readonly DeltaSpec[]; readonly as: 'array' | 'frozen' | 'proxy' | 'holey' }
  | { readonly value: ValueSpec };

const deltas: fc.Arbitrary<DeltasSpec> = often<DeltasSpec>(
  fc.record({
    list: fc.array(delta, { maxLength: 4 }),
    as: fc.constantFrom('array', 'array', 'array', 'frozen', 'proxy', 'holey'),
  }),
  junkSpec.map((value) => ({ value })),
  15,
);

/** A range spec argument. */
export type RangeSpecSpec =
  | undefined
  | { readonly value: ValueSpec }
  | {
      readonly start?: ValueSpec;
      readonly end?: ValueSpec;
      readonly prefix?: ValueSpec;
      readonly endInclusive?: ValueSpec;
    };

const flag = often(
  fc.boolean().map((bool) => ({ bool })),
  junkSpec,
);
const rangeSpec: fc.Arbitrary<RangeSpecSpec> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: junkSpec.map((value) => ({ value })) },
  {
    weight: 5,
    arbitrary: fc.record({ start: anyKey, end: anyKey, endInclusive: flag }, { requiredKeys: [] }),
  },
  { weight: 2, arbitrary: fc.record({ prefix: anyKey }) },
  {
    weight: 1,
    arbitrary: fc.record(
      { start: anyKey, end: anyKey, prefix: anyKey, endInclusive: flag },
      { requiredKeys: [] },
    ),
  },
);

/** Range options: version, reverse, page size (absurd ones included). */
export type RangeOptionsSpec =
  | undefined
  | { readonly value: ValueSpec }
  | { readonly version?: VersionSpec; readonly reverse?: ValueSpec; readonly pageSize?: ValueSpec };

const pageSize: fc.Arbitrary<ValueSpec> = often(
  fc.oneof(
    fc.integer({ min: 1, max: 4 }).map((num) => ({ num })),
    fc.constantFrom(1e9, 2 ** 31, Number.MAX_SAFE_INTEGER).map((num) => ({ num })),
  ),
  fc.oneof(
    junkSpec,
    fc.constantFrom(0, -1, 1.5, 2 ** 53).map((num) => ({ num })),
  ),
  3,
);
const rangeOptions: fc.Arbitrary<RangeOptionsSpec> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: junkSpec.map((value) => ({ value })) },
  {
    weight: 6,
    arbitrary: fc.record({ version: anyVersion, reverse: flag, pageSize }, { requiredKeys: [] }),
  },
);

/** One call of a public method. */
export type CallSpec =
  | {
      readonly m: 'commit';
      readonly deltas: DeltasSpec;
      readonly version: VersionSpec;
      readonly mutate: boolean;
    }
  | {
      readonly m: 'get' | 'contains';
      readonly key: ValueSpec;
      readonly version: VersionSpec | undefined;
    }
  | { readonly m: 'versions'; readonly key: ValueSpec }
  | { readonly m: 'range'; readonly spec: RangeSpecSpec; readonly options: RangeOptionsSpec }
  | { readonly m: 'flush'; readonly wait: boolean }
  | { readonly m: 'stats' | 'dropWorkerStats'; readonly extra: ValueSpec | undefined };

/** Any call. */
export const call: fc.Arbitrary<CallSpec> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      m: fc.constant('commit' as const),
      deltas,
      version: anyVersion,
      mutate: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      m: fc.constantFrom('get' as const, 'contains' as const),
      key: anyKey,
      version: fc.option(anyVersion, { nil: undefined }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ m: fc.constant('versions' as const), key: anyKey }) },
  {
    weight: 2,
    arbitrary: fc.record({
      m: fc.constant('range' as const),
      spec: rangeSpec,
      options: rangeOptions,
    }),
  },
  { weight: 1, arbitrary: fc.record({ m: fc.constant('flush' as const), wait: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      m: fc.constantFrom('stats' as const, 'dropWorkerStats' as const),
      extra: fc.option(junkSpec, { nil: undefined }),
    }),
  },
);

/** One table declaration, as data. */
export type TableSpec =
  | {
      readonly name: ValueSpec;
      readonly prefix: ValueSpec;
      readonly retention: { readonly keep: ValueSpec } | { readonly value: ValueSpec } | undefined;
      readonly extra: boolean;
    }
  | { readonly junk: ValueSpec };

const validPrefix: fc.Arbitrary<ValueSpec> = fc.oneof(
  fc.constantFrom(...PREFIX_TEXTS).map((str) => ({ str })),
  fc.record({ bytes: fc.constantFrom(...PREFIX_BYTES, ...PREFIX_TEXTS.map(utf8)), as: bytesAs }),
);
const wrongPrefix: fc.Arbitrary<ValueSpec> = fc.oneof(
  fc.constant({ str: '' }),
  fc.constant({ bytes: [], as: 'u8' as const }),
  junkSpec,
);

const retention = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }).map((num) => ({ keep: { num } })) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.constantFrom(0, -1, 1.5, Number.NaN, 2 ** 53).map((num) => ({ keep: { num } })),
      junkSpec.map((keep) => ({ keep })),
      junkSpec.map((value) => ({ value })),
    ),
  },
);

const table: fc.Arbitrary<TableSpec> = often<TableSpec>(
  fc.record({
    name: often(
      fc.constantFrom(...GOOD_TABLE_NAMES).map((str) => ({ str })),
      fc.oneof(
        fc.constantFrom(...BAD_TABLE_NAMES).map((str) => ({ str })),
        junkSpec,
      ),
      8,
    ),
    prefix: often(validPrefix, wrongPrefix, 12),
    retention,
    extra: fc.boolean(),
  }),
  junkSpec.map((junk) => ({ junk })),
  20,
);

/** The tables option: a list of declarations, or not a list. */
export type TablesSpec = readonly TableSpec[] | { readonly value: ValueSpec } | undefined;

/** Tables of a store: up to four declarations (often overlapping, sometimes wrong). */
export const tables: fc.Arbitrary<TablesSpec> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 8, arbitrary: fc.array(table, { maxLength: 4 }) },
  { weight: 1, arbitrary: junkSpec.map((value) => ({ value })) },
);

/** Drop-worker options: small bounds (to force backpressure), absurd ones, wrong ones. */
export type DropWorkerSpec =
  | undefined
  | { readonly value: ValueSpec }
  | {
      readonly batchSize?: ValueSpec;
      readonly flushIntervalMs?: ValueSpec;
      readonly mailboxCapacity?: ValueSpec;
      readonly unknown?: boolean;
    };

const smallPositive = often(
  fc.integer({ min: 1, max: 6 }).map((num) => ({ num })),
  fc.oneof(
    junkSpec,
    fc.constantFrom(0, -1, 1.5, 2 ** 53).map((num) => ({ num })),
  ),
  6,
);
export const dropWorker: fc.Arbitrary<DropWorkerSpec> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: junkSpec.map((value) => ({ value })) },
  {
    weight: 5,
    arbitrary: fc.record(
      {
        batchSize: smallPositive,
        flushIntervalMs: often(
          fc.constantFrom(0, 5, 50).map((num) => ({ num })),
          junkSpec,
          5,
        ),
        mailboxCapacity: smallPositive,
        unknown: fc.constant(true),
      },
      { requiredKeys: [] },
    ),
  },
);

/** A full `MultiStore.open` argument, for open attempts that may be wrong anywhere. */
export interface OptionsSpec {
  readonly top: ValueSpec | undefined;
  readonly tier: ValueSpec | undefined;
  readonly path: 'temp' | ValueSpec | undefined;
  readonly actorMode: ValueSpec | undefined;
  readonly clock: 'mock' | ValueSpec | undefined;
  readonly logger: 'memory' | ValueSpec | undefined;
  readonly tables: TablesSpec;
  readonly dropWorker: DropWorkerSpec;
  readonly unknown: boolean;
}

const maybe = <T>(arb: fc.Arbitrary<T>, weight = 2) =>
  fc.oneof({ weight, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

/**
 * Open options, each part often wrong. `disk` allows SQLite (in memory or in a
 * temporary file); without it the attempts stay off SQLite, whose opens cost
 * far more than the memory tier's.
 */
export function openOptions(disk: boolean): fc.Arbitrary<OptionsSpec> {
  const tiers = disk
    ? ['memory', 'sqlite', 'disk', 'MEMORY', '']
    : ['memory', 'disk', 'MEMORY', ''];
  const paths = disk ? [{ weight: 4, arbitrary: fc.constant('temp' as const) }] : [];
  return fc.record({
    top: maybe(junkSpec, 12),
    tier: maybe(
      fc.oneof(
        fc.constantFrom(...tiers).map((str) => ({ str })),
        junkSpec,
      ),
    ),
    path: maybe(
      fc.oneof(
        ...paths,
        fc.constantFrom('', 'a\0b').map((str) => ({ str })),
        junkSpec,
      ),
      4,
    ),
    actorMode: maybe(
      fc.oneof(
        fc.constantFrom('inline', 'event-loop', 'threads', '').map((str) => ({ str })),
        junkSpec,
      ),
    ),
    clock: maybe(fc.oneof(fc.constant('mock' as const), junkSpec)),
    logger: maybe(fc.oneof(fc.constant('memory' as const), junkSpec)),
    tables,
    dropWorker: maybe(dropWorker, 1),
    unknown: fc.boolean(),
  });
}
