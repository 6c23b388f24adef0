/**
 * Arbitraries of the API fuzz test for `MultiStore.open`: table declarations
 * (overlapping prefixes, which are allowed, and empty ones, which are not;
 * duplicate names; names hostile to SQL, to objects used as maps and to
 * encodings), drop-worker settings (tiny, absurd, wrong) and whole option
 * objects wrong in any part.
 *
 * @module
 */

import fc from 'fast-check';
import { bytesAs, often, utf8 } from './fuzz-specs.js';
import { junkSpec, type ValueSpec } from './hostile-values.js';

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
  '__proto__',
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
  // Names the tier's rules reject (NUL, a lone surrogate, over 256 UTF-8 bytes).
  '\0',
  'a\0b',
  '\uD800',
  '🙂'.repeat(100),
] as const;

/** One table declaration, as data. */
export type TableSpec =
  | {
      readonly name: ValueSpec;
      readonly prefix: ValueSpec;
      readonly retention:
        | { readonly keep: ValueSpec; readonly misspelt?: boolean }
        | { readonly value: ValueSpec }
        | undefined;
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
    // A misspelt property beside a good one: must be refused, not ignored.
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 3 }).map((num) => ({ keep: { num }, misspelt: true })),
  },
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

/** SQLite settings: right, wrong, misspelt (`unknown`), or not an object. */
export type SqliteSpec =
  | undefined
  | { readonly value: ValueSpec }
  | { readonly synchronous?: ValueSpec; readonly unknown?: boolean };

const sqlite: fc.Arbitrary<SqliteSpec> = fc.oneof(
  { weight: 1, arbitrary: junkSpec.map((value) => ({ value })) },
  {
    weight: 4,
    arbitrary: fc.record(
      {
        synchronous: often(
          fc.constantFrom('normal', 'full').map((str) => ({ str })),
          fc.oneof(
            fc.constantFrom('FULL', 'off', '').map((str) => ({ str })),
            junkSpec,
          ),
          3,
        ),
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
  /**
   * `false`, or a value that is not a boolean. (A read-only open of a file is
   * checked at the end of a file case, beside its writer: fuzz-harness.ts.)
   */
  readonly readOnly: ValueSpec | undefined;
  readonly sqlite: SqliteSpec;
  readonly actorMode: ValueSpec | undefined;
  /** `partial`: an object with some Clock methods but not `nowMillis` (must be refused). */
  readonly clock: 'mock' | 'partial' | ValueSpec | undefined;
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
    readOnly: maybe(fc.oneof(fc.constant({ bool: false }), junkSpec), 4),
    sqlite: maybe(sqlite, 4),
    clock: maybe(fc.oneof(fc.constantFrom('mock' as const, 'partial' as const), junkSpec)),
    logger: maybe(fc.oneof(fc.constant('memory' as const), junkSpec)),
    tables,
    dropWorker: maybe(dropWorker, 1),
    unknown: fc.boolean(),
  });
}
