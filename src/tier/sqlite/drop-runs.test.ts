/**
 * Drops of runs of consecutive versions (sql-table.ts erases a run with one
 * range delete) against the memory tier and a brute-force model.
 *
 * Every key of two tables (same key bytes in both; keys that are prefixes
 * of each other, the empty key, 0x00) is written at most versions of a deep
 * history, so consecutive runs are long; drop plans are runs with holes,
 * extra versions, versions never stored, duplicates, in any order. After
 * each drop every key's versions and the whole change feed (index by
 * version, in pages) must be the same on the three tiers. Fixed cases add
 * versions at 0 and at the top of the version space.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_VERSION } from '../../common/version.js';
import { BruteForceTier } from '../../test-support/tier-model.js';
import { show } from '../../tier-test/helpers.js';
import type { AbstractTier } from '../abstract-tier.js';
import { MemoryTier } from '../memory/memory-tier.js';
import type { ChangeCursor, TierDrop, TierWrite } from '../tier.js';
import { SqliteTier } from './sqlite-tier.js';

const TABLES = ['t', 'u'] as const;
const KEYS = [[], [0], [0x61], [0x61, 0], [0x61, 0x62]].map((k) => new Uint8Array(k));
const SLOTS = TABLES.flatMap((table) => KEYS.map((key) => ({ table, key })));
const DEPTH = 40;

/** A commit: the version step (mostly 1) and, per slot, write (value, tombstone) or not. */
const commit = fc.record({
  step: fc.constantFrom(1, 1, 1, 2),
  slots: fc.array(fc.integer({ min: 0, max: 9 }), {
    minLength: SLOTS.length,
    maxLength: SLOTS.length,
  }),
});

/** A drop of one slot: a run [from, from + length] with holes, extra versions, shuffled, duplicated. */
const slotDrop = fc.record({
  slot: fc.nat(SLOTS.length - 1),
  from: fc.nat(DEPTH + 5),
  length: fc.nat(DEPTH),
  holes: fc.array(fc.nat(DEPTH * 2), { maxLength: 3 }),
  extra: fc.array(fc.nat(DEPTH * 2), { maxLength: 3 }),
  order: fc.array(fc.nat(), { maxLength: 8 }),
});
type SlotDrop = typeof slotDrop extends fc.Arbitrary<infer T> ? T : never;

function versionsOfDrop(drop: SlotDrop): number[] {
  const holes = new Set(drop.holes);
  const listed: number[] = [];
  for (let v = drop.from; v <= drop.from + drop.length; v++) if (!holes.has(v)) listed.push(v);
  listed.push(...drop.extra);
  for (const [i, n] of drop.order.entries()) {
    if (listed.length < 2) break;
    // Swap, then sometimes list a version twice.
    const a = i % listed.length;
    const b = n % listed.length;
    [listed[a], listed[b]] = [listed[b] as number, listed[a] as number];
    if (n % 3 === 0) listed.push(listed[b] as number);
  }
  return listed;
}

function dropMap(drops: readonly SlotDrop[]): Map<string, TierDrop[]> {
  const map = new Map<string, TierDrop[]>();
  for (const drop of drops) {
    const { table, key } = SLOTS[drop.slot] as (typeof SLOTS)[number];
    const pairs = versionsOfDrop(drop).map((version) => ({ key: key.slice(), version }));
    map.set(table, [...(map.get(table) ?? []), ...pairs]);
  }
  return map;
}

/** Every stored version of every slot, and the whole change feed of each table, as text. */
function contents(tier: AbstractTier, pageLimit: number): unknown {
  const versions = SLOTS.map(({ table, key }) =>
    tier.getAllVersions(table, key).map((v) => show({ key, ...v })),
  );
  const feeds = TABLES.map((table) => {
    const all: string[] = [];
    let cursor: ChangeCursor | undefined;
    do {
      const page = tier.changePage(table, { to: MAX_VERSION, limit: pageLimit, cursor });
      all.push(...page.entries.map(show));
      cursor = page.cursor;
    } while (cursor !== undefined);
    return all;
  });
  return { versions, feeds, latest: tier.latestVersion() };
}

describe('SQLite drops of runs of consecutive versions', () => {
  it('erase exactly the listed versions, as the memory tier and the model do, feeds included', () => {
    fc.assert(
      fc.property(
        fc.array(commit, { minLength: DEPTH / 2, maxLength: DEPTH }),
        fc.array(fc.array(slotDrop, { minLength: 1, maxLength: 4 }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.integer({ min: 1, max: 7 }),
        (commits, plans, pageLimit) => {
          const tiers: AbstractTier[] = [
            new BruteForceTier(),
            new MemoryTier(),
            SqliteTier.open(':memory:'),
          ];
          try {
            let version = 0;
            for (const { step, slots } of commits) {
              const writes = new Map<string, TierWrite[]>();
              for (const [i, roll] of slots.entries()) {
                if (roll >= 8) continue;
                const { table, key } = SLOTS[i] as (typeof SLOTS)[number];
                const value = roll === 0 ? undefined : new Uint8Array([version & 0xff, roll]);
                writes.set(table, [...(writes.get(table) ?? []), { key, value }]);
              }
              for (const tier of tiers) tier.set(version, writes);
              version += step;
            }
            for (const [i, plan] of plans.entries()) {
              for (const tier of tiers) tier.drop(dropMap(plan));
              const [expected, ...actual] = tiers.map((tier) => contents(tier, pageLimit));
              for (const [t, answer] of actual.entries()) {
                assert.deepEqual(answer, expected, `after drop ${i} on ${tiers[t + 1]?.kind}`);
              }
            }
          } finally {
            for (const tier of tiers) tier.close();
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a run at 0 or at the top of the version space erases that run and nothing beside it', () => {
    const top = MAX_VERSION;
    const stored = [0, 1, 2, 3, 5, top - 5, top - 3, top - 2, top - 1, top];
    const cases: [listed: number[], left: number[]][] = [
      [
        [0, 1, 2],
        [top, top - 1, top - 2, top - 3, top - 5, 5, 3],
      ],
      [
        [top - 2, top - 1, top],
        [top - 3, top - 5, 5, 3, 2, 1, 0],
      ],
      [
        [top - 4, top - 3, top - 2],
        [top, top - 1, top - 5, 5, 3, 2, 1, 0],
      ],
      [
        [top, 0, top - 1, 1],
        [top - 2, top - 3, top - 5, 5, 3, 2],
      ],
      [
        [4, 5, 6, 3],
        [top, top - 1, top - 2, top - 3, top - 5, 2, 1, 0],
      ],
    ];
    for (const [listed, left] of cases) {
      for (const tier of [new MemoryTier(), SqliteTier.open(':memory:')]) {
        try {
          for (const version of stored) {
            tier.set(
              version,
              new Map([['t', [{ key: new Uint8Array([0x61]), value: undefined }]]]),
            );
            tier.set(
              version,
              new Map([['t', [{ key: new Uint8Array([0x61, 0]), value: undefined }]]]),
            );
          }
          const pairs = listed.map((version) => ({ key: new Uint8Array([0x61]), version }));
          tier.drop(new Map([['t', pairs]]));
          const versions = (key: number[]) =>
            tier.getAllVersions('t', new Uint8Array(key)).map((entry) => entry.version);
          assert.deepEqual(versions([0x61]), left, `${tier.kind}, dropping ${listed}`);
          assert.deepEqual(
            versions([0x61, 0]),
            [...stored].reverse(),
            `${tier.kind}: 'a\\0' untouched`,
          );
        } finally {
          tier.close();
        }
      }
    }
  });
});
