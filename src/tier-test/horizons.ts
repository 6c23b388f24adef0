/**
 * The horizon cases of the tier contract: `drop` records horizons with its
 * erasures, a horizon only widens, a key keeps it once its versions are
 * gone, `readableFloor` follows the highest `readableFrom`, `clearTable`
 * forgets them, and `horizonPage` pages the keys whose horizon refuses a
 * version, in both directions.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AbstractTier } from '../tier/abstract-tier.js';
import type { Horizon, PageRequest, TierHorizons } from '../tier/tier.js';
import { assertCode, b, excluded, included, type OpenTier, withTier, writes } from './helpers.js';

const h = (erasedFrom: number, readableFrom: number): Horizon => ({ erasedFrom, readableFrom });

function horizons(table: string, pairs: readonly [string, Horizon][]): TierHorizons {
  return new Map([[table, pairs.map(([key, horizon]) => ({ key: b(key), horizon }))]]);
}

/** Every key (as text) a horizon page walk returns (readableFrom above the version), to the end. */
function horizonKeys(tier: AbstractTier, request: Omit<PageRequest, 'cursor'>): string[] {
  const keys: string[] = [];
  let cursor: PageRequest['cursor'];
  for (let step = 0; step < 1000; step++) {
    const page = tier.horizonPage('t', { ...request, cursor });
    assert.ok(page.entries.length <= request.limit, 'a page holds at most limit entries');
    for (const { key } of page.entries) keys.push(new TextDecoder().decode(key));
    if (page.cursor === undefined) return keys;
    assert.equal(page.entries.length, request.limit, 'a page with a cursor is full');
    cursor = page.cursor;
  }
  return assert.fail('horizon pages do not end');
}

/** Register the horizon cases. */
export function describeHorizonContract(open: OpenTier): void {
  it(
    'drop records horizons with its erasures; a horizon only widens; the floor is the highest readableFrom',
    withTier(open, (tier) => {
      tier.set(1, writes('t', [['a', '1']]));
      tier.set(5, writes('t', [['a', '5']]));
      assert.equal(tier.horizon('t', b('a')), undefined);
      assert.equal(tier.readableFloor('t'), 0, 'a table that never erased');
      tier.drop(new Map([['t', [{ key: b('a'), version: 1 }]]]), horizons('t', [['a', h(1, 5)]]));
      assert.deepEqual(
        tier.getAllVersions('t', b('a')).map((v) => v.version),
        [5],
      );
      assert.deepEqual(tier.horizon('t', b('a')), h(1, 5));
      assert.equal(tier.readableFloor('t'), 5);
      tier.drop(new Map(), horizons('t', [['a', h(3, 4)]]));
      assert.deepEqual(tier.horizon('t', b('a')), h(1, 5), 'a narrower horizon changes nothing');
      tier.drop(new Map(), horizons('t', [['a', h(0, 9)]]));
      assert.deepEqual(tier.horizon('t', b('a')), h(0, 9));
      tier.drop(new Map(), horizons('t', [['b', h(2, 3)]]));
      assert.equal(tier.readableFloor('t'), 9, 'the floor never falls');
      assert.equal(tier.readableFloor('other'), 0);
      assert.equal(tier.horizon('other', b('a')), undefined);
    }),
  );

  it(
    'a key keeps its horizon once its last version is erased; clearTable forgets horizons',
    withTier(open, (tier) => {
      tier.set(2, writes('t', [['gone', 'x']]));
      tier.drop(
        new Map([['t', [{ key: b('gone'), version: 2 }]]]),
        horizons('t', [['gone', h(2, 7)]]),
      );
      assert.deepEqual(tier.getAllVersions('t', b('gone')), []);
      assert.deepEqual(tier.horizon('t', b('gone')), h(2, 7));
      tier.clearTable('t');
      assert.equal(tier.horizon('t', b('gone')), undefined);
      assert.equal(tier.readableFloor('t'), 0);
      assert.deepEqual(horizonKeys(tier, { version: 3, limit: 10 }), []);
    }),
  );

  it(
    'horizonPage pages the keys whose horizon reaches above the version, in both directions',
    withTier(open, (tier) => {
      tier.ensureTable('t');
      tier.drop(
        new Map(),
        horizons('t', [
          ['a', h(1, 5)],
          ['b', h(3, 4)],
          ['c', h(1, 9)],
          ['d', h(6, 9)],
          ['e', h(2, 5)],
        ]),
      );
      assert.deepEqual(horizonKeys(tier, { version: 3, limit: 2 }), ['a', 'b', 'c', 'd', 'e']);
      assert.deepEqual(horizonKeys(tier, { version: 4, limit: 1, reverse: true }), [
        'e',
        'd',
        'c',
        'a',
      ]);
      assert.deepEqual(horizonKeys(tier, { version: 5, limit: 3 }), ['c', 'd']);
      assert.deepEqual(horizonKeys(tier, { version: 9, limit: 3 }), []);
      const bounded = { version: 3, limit: 1, start: excluded('a'), end: included('c') };
      assert.deepEqual(horizonKeys(tier, bounded), ['b', 'c']);
      assert.deepEqual(horizonKeys(tier, { ...bounded, reverse: true }), ['c', 'b']);
      const page = tier.horizonPage('t', { version: 3, limit: 1 });
      assert.deepEqual(page.entries[0]?.horizon, h(1, 5));
      assert.deepEqual(tier.horizonPage('absent', { version: 3, limit: 1 }).entries, []);
    }),
  );

  it(
    'bad horizons are refused before anything is erased',
    withTier(open, (tier) => {
      tier.set(1, writes('t', [['a', '1']]));
      const erase = new Map([['t', [{ key: b('a'), version: 1 }]]]);
      for (const [label, bad] of [
        ['empty interval', horizons('t', [['a', h(4, 4)]])],
        ['inverted interval', horizons('t', [['a', h(5, 4)]])],
        ['not a version', horizons('t', [['a', h(-1, 4)]])],
        ['not a map', [] as unknown as TierHorizons],
        ['no horizon', new Map([['t', [{ key: b('a') }]]]) as unknown as TierHorizons],
      ] as const) {
        const code = label === 'not a version' ? 'INVALID_VERSION' : 'INVALID_ARGUMENT';
        assertCode(() => tier.drop(erase, bad), code, label);
      }
      assertCode(
        () => tier.drop(erase, new Map([['t', [{ key: 'a', horizon: h(1, 2) }]]]) as never),
        'INVALID_KEY',
      );
      assert.equal(tier.getAllVersions('t', b('a')).length, 1, 'nothing was erased');
      assert.equal(tier.horizon('t', b('a')), undefined);
      assertCode(() => tier.horizon('t', 'a' as never), 'INVALID_KEY');
      assertCode(() => tier.readableFloor('' as never), 'INVALID_ARGUMENT');
      assertCode(() => tier.horizonPage('t', { version: 1, limit: 0 }), 'INVALID_ARGUMENT');
    }),
  );
}
