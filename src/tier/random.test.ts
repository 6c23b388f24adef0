/**
 * Randomized equivalence: the memory tier, the SQLite tier and a brute-force
 * model must answer every random operation sequence identically.
 *
 * Keys come mostly from a short list of awkward keys (the empty key,
 * prefixes of each other, 0x00, 0x7f, 0x80, 0xff) so that sequences hit the
 * same keys, prefixes and versions again and again; versions are small so that out-of-order writes,
 * replacements and drops of existing pairs are frequent. Range reads use
 * random bounds, directions, versions and page sizes 1..4, and follow the
 * cursor to the end, comparing every page; so do change pages (the memory
 * tier answers them from its version log, which erasures update lazily). fast-check prints the seed and
 * the shrunk sequence of a failure.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BruteForceTier } from '../test-support/tier-model.js';
import { allPages, show } from '../tier-test/helpers.js';
import type { AbstractTier } from './abstract-tier.js';
import { MemoryTier } from './memory/memory-tier.js';
import { SqliteTier } from './sqlite/sqlite-tier.js';
import type { Bound, ChangeCursor, TierWrite, VersionEntry } from './tier.js';

const TABLES = ['multi', 'source:1', 'x"y'] as const;

const table = fc.constantFrom(...TABLES);
/** Awkward keys: empty, prefixes of each other, 0x00 / 0x7f / 0x80 / 0xff. */
const KEYS = [
  [],
  [0],
  [0, 0],
  [1],
  [0x61],
  [0x61, 0],
  [0x61, 0x62],
  [0x7f],
  [0x80],
  [0xff],
  [0xff, 0xff],
];
const key = fc
  .oneof(
    { arbitrary: fc.constantFrom(...KEYS), weight: 9 },
    { arbitrary: fc.array(fc.constantFrom(0x00, 0x61, 0x80, 0xff), { maxLength: 3 }), weight: 1 },
  )
  .map((values) => new Uint8Array(values));
const value = fc.option(fc.uint8Array({ maxLength: 3 }), { nil: undefined });
const version = fc.integer({ min: 0, max: 24 });
const bound: fc.Arbitrary<Bound> = fc.oneof(
  fc.constant<Bound>({ kind: 'unbounded' }),
  key.map((k): Bound => ({ kind: 'included', key: k })),
  key.map((k): Bound => ({ kind: 'excluded', key: k })),
);

type Op =
  | {
      op: 'set';
      version: number;
      writes: { table: string; key: Uint8Array; value: Uint8Array | undefined }[];
    }
  | { op: 'drop'; pairs: { table: string; key: Uint8Array; version: number }[] }
  | { op: 'clear'; table: string }
  | { op: 'ensure'; table: string }
  | { op: 'get'; table: string; key: Uint8Array; version: number }
  | { op: 'versions'; table: string; key: Uint8Array }
  | {
      op: 'range';
      table: string;
      reverse: boolean;
      start: Bound;
      end: Bound;
      version: number;
      limit: number;
    }
  | {
      op: 'changes';
      table: string;
      start: Bound;
      end: Bound;
      from: number | undefined;
      to: number;
      limit: number;
    };

const operation: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constant('set' as const),
      version,
      writes: fc.array(fc.record({ table, key, value }), { maxLength: 5 }),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('drop' as const),
      pairs: fc.array(fc.record({ table, key, version }), { maxLength: 4 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant('clear' as const), table }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('ensure' as const), table }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('get' as const), table, key, version }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('versions' as const), table, key }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant('range' as const),
      table,
      reverse: fc.boolean(),
      start: bound,
      end: bound,
      version,
      limit: fc.integer({ min: 1, max: 4 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('changes' as const),
      table,
      start: bound,
      end: bound,
      from: fc.option(version, { nil: undefined }),
      to: version,
      limit: fc.integer({ min: 1, max: 4 }),
    }),
    weight: 2,
  },
);

/** Every change page of a request, following the cursor to the end. */
function allChangePages(tier: AbstractTier, op: Extract<Op, { op: 'changes' }>): unknown[] {
  const { table: name, start, end, limit } = op;
  const from = op.from === undefined ? undefined : Math.min(op.from, op.to);
  const to = Math.max(op.from ?? 0, op.to);
  const pages: unknown[] = [];
  let cursor: ChangeCursor | undefined;
  do {
    const page = tier.changePage(name, { start, end, from, to, limit, cursor });
    pages.push(page.entries.map(show));
    cursor = page.cursor;
  } while (cursor !== undefined && pages.length < 200);
  return pages;
}

function groupByTable<T extends { table: string }>(items: readonly T[]): Map<string, T[]> {
  const grouped = new Map<string, T[]>();
  for (const item of items) grouped.set(item.table, [...(grouped.get(item.table) ?? []), item]);
  return grouped;
}

const showVersions = (list: VersionEntry[]) =>
  list.map((v) => show({ key: new Uint8Array(), ...v }));

/** Apply `op` to `tier`; return what it answers, as comparable data. */
function apply(tier: AbstractTier, op: Op): unknown {
  switch (op.op) {
    case 'set':
      tier.set(op.version, groupByTable(op.writes) as Map<string, TierWrite[]>);
      return tier.latestVersion();
    case 'drop':
      tier.drop(groupByTable(op.pairs));
      return null;
    case 'clear':
      tier.clearTable(op.table);
      return null;
    case 'ensure':
      tier.ensureTable(op.table);
      return tier.tables();
    case 'get':
      return show(tier.get(op.table, op.key, op.version));
    case 'versions':
      return showVersions(tier.getAllVersions(op.table, op.key));
    case 'range': {
      const { table: name, reverse, start, end, version: at, limit } = op;
      const pages = allPages(tier, name, { reverse, start, end, version: at, limit });
      return pages.map((page) => [
        page.entries.map(show),
        page.cursor && show({ key: page.cursor.lastKey, version: 0, value: undefined }),
      ]);
    }
    case 'changes':
      return allChangePages(tier, op);
  }
}

describe('randomized equivalence of memory, SQLite and the model', () => {
  it('every operation sequence gives identical results', () => {
    fc.assert(
      fc.property(fc.array(operation, { minLength: 1, maxLength: 60, size: 'max' }), (ops) => {
        const tiers: AbstractTier[] = [
          new BruteForceTier(),
          new MemoryTier(),
          SqliteTier.open(':memory:'),
        ];
        try {
          for (const [step, op] of ops.entries()) {
            const [expected, ...actual] = tiers.map((tier) => apply(tier, op));
            for (const [i, answer] of actual.entries()) {
              assert.deepEqual(
                answer,
                expected,
                `step ${step} (${op.op}) on ${tiers[i + 1]?.kind}`,
              );
            }
          }
          const final = tiers.map((tier) => [tier.tables(), tier.latestVersion()]);
          assert.deepEqual(final[1], final[0]);
          assert.deepEqual(final[2], final[0]);
        } finally {
          for (const tier of tiers) tier.close();
        }
      }),
      { numRuns: 1000 },
    );
  });
});
