/**
 * Arbitraries of the API fuzz test: calls of every public method of
 * MultiStore, valid input mixed with wrong input (open options and table
 * declarations are in fuzz-open-specs.ts).
 *
 * Everything generated is plain, printable data (see hostile-values.ts); the
 * harness materializes it at call time. Each argument is valid most of the
 * time and wrong some of the time, so a case holds both commits that land and
 * commits that must be rejected whole:
 *
 * ```
 *   call = commit | get | contains | versions | range | flush | stats | dropWorkerStats
 *        | begin | tx.<method> | transaction | advance     (fuzz-tx-specs.ts)
 * ```
 *
 * Keys come from a small pool that overlaps the prefixes tables declare, so
 * keys route to declared tables (nested ones too: "a", "ab", "abc", longest
 * match wins), and the same key shows up as a string and as bytes.
 *
 * @module
 */

import fc from 'fast-check';
import type { TxCallSpec } from './fuzz-tx-specs.js';
import { junkSpec, type ValueSpec } from './hostile-values.js';

/** UTF-8 bytes of a string, as a plain list. */
export const utf8 = (text: string): number[] => [...new TextEncoder().encode(text)];

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

/** `valid` most of the time, `wrong` one time in `validWeight + 1`. */
export function often<T>(valid: fc.Arbitrary<T>, wrong: fc.Arbitrary<T>, validWeight = 9) {
  return fc.oneof({ weight: validWeight, arbitrary: valid }, { weight: 1, arbitrary: wrong });
}

/** How bytes are passed: a Uint8Array, a Buffer, or a view into a larger buffer. */
export const bytesAs = fc.constantFrom('u8' as const, 'buffer' as const, 'view' as const);

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

/** A valid value. */
export const validValue: fc.Arbitrary<ValueSpec> = fc.oneof(
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

/** A read version: often in the recent past, where erased history is refused. */
const readVersion: fc.Arbitrary<VersionSpec> = fc.oneof(
  { weight: 3, arbitrary: anyVersion },
  { weight: 2, arbitrary: fc.constantFrom(-1, -2, -3, -5).map((rel) => ({ rel })) },
);

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
      /** Add a misspelt property (`keepLastVersion`): a drop must refuse it. */
      readonly misspelt: boolean;
    }
  | { readonly junk: ValueSpec };

const deltaType = often<ValueSpec>(
  fc.constantFrom('set', 'set', 'unset', 'remove', 'drop').map((str) => ({ str })),
  fc.oneof(
    fc.constantFrom('SET', 'delete', '', 'put', ' set', 'drop ').map((str) => ({ str })),
    junkSpec,
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
    misspelt: often(fc.constant(false), fc.constant(true), 10),
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
      /** Add a misspelt property (`prefx`): must be refused. */
      readonly misspelt?: boolean;
    };

const flag = often(
  fc.boolean().map((bool) => ({ bool })),
  junkSpec,
);
/** A range spec, valid or not. */
export const rangeSpec: fc.Arbitrary<RangeSpecSpec> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: junkSpec.map((value) => ({ value })) },
  {
    weight: 5,
    arbitrary: fc.record({ start: anyKey, end: anyKey, endInclusive: flag }, { requiredKeys: [] }),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      { start: anyKey, end: anyKey, prefix: anyKey, misspelt: fc.constant(true) },
      { requiredKeys: ['misspelt'] },
    ),
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
  | {
      readonly version?: VersionSpec;
      readonly reverse?: ValueSpec;
      readonly pageSize?: ValueSpec;
      /** Add a misspelt property (`revers`): must be refused. */
      readonly misspelt?: boolean;
    };

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
    arbitrary: fc.record({ version: readVersion, reverse: flag, pageSize }, { requiredKeys: [] }),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      { version: anyVersion, reverse: flag, misspelt: fc.constant(true) },
      { requiredKeys: ['misspelt'] },
    ),
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
  | { readonly m: 'stats' | 'dropWorkerStats'; readonly extra: ValueSpec | undefined }
  | TxCallSpec;

/** The calls of the store's own methods, weighted (fuzz-calls.ts adds those of transactions). */
export const storeCalls: { weight: number; arbitrary: fc.Arbitrary<CallSpec> }[] = [
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
      version: fc.option(readVersion, { nil: undefined }),
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
];
