/**
 * The trimming cases of the tier contract ("Trimming on set" in
 * abstract-tier.ts): a tier whose `trimsOnSet` is true keeps each written
 * key of a retention table to its N highest versions inside `set`, with
 * the horizon, erased top, change index and `trimmed` report a `drop` of
 * the same pairs would give; a tier that does not trim refuses a
 * `retention` and changes nothing.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AbstractTier } from '../tier/abstract-tier.js';
import type { Horizon, TierRetention, VersionSize } from '../tier/tier.js';
import { assertCode, b, type OpenTier, withTier, writes } from './helpers.js';

/** What `trimmed` heard, as text: `table key [version:bytes ...] [erasedFrom, readableFrom)`. */
function recording(keep: Record<string, number>): { retention: TierRetention; heard: string[] } {
  const heard: string[] = [];
  const sizes = (erased: readonly VersionSize[]) =>
    erased.map((e) => `${e.version}:${e.valueBytes ?? '~'}`).join(' ');
  const retention: TierRetention = {
    keep: new Map(Object.entries(keep)),
    trimmed: (table, key, erased, horizon: Horizon) => {
      const text = new TextDecoder().decode(key);
      heard.push(
        `${table} ${text} [${sizes(erased)}] [${horizon.erasedFrom}, ${horizon.readableFrom})`,
      );
    },
  };
  return { retention, heard };
}

const versions = (tier: AbstractTier, key: string, table = 't') =>
  tier.getAllVersions(table, b(key)).map((v) => v.version);

/** Register the trimming cases. */
export function describeTrimContract(open: OpenTier): void {
  it(
    'set with a retention keeps each written key to its N highest versions, with horizon, erased top and report, before the figures',
    withTier(open, (tier) => {
      if (!tier.trimsOnSet) return;
      tier.set(1, writes('t', [['a', 'x']]));
      tier.set(4, writes('t', [['a', undefined]]));
      tier.set(2, writes('u', [['a', 'u']]));
      const { retention, heard } = recording({ t: 1 });
      const order: string[] = [];
      const figures = () => {
        order.push(`figures after ${heard.length} report(s)`);
        return new Map();
      };
      const both = new Map([...writes('t', [['a', 'yy']]), ...writes('u', [['a', 'v']])]);
      tier.set(9, both, undefined, { figures }, retention);
      assert.deepEqual(versions(tier, 'a'), [9]);
      assert.deepEqual(versions(tier, 'a', 'u'), [9, 2], 'a table without a count is not trimmed');
      assert.deepEqual(heard, ['t a [1:1 4:~] [1, 9)']);
      assert.deepEqual(order, ['figures after 1 report(s)']);
      assert.deepEqual(tier.horizon('t', b('a')), { erasedFrom: 1, readableFrom: 9 });
      assert.equal(tier.readableFloor('t'), 9);
      assert.equal(tier.erasedTop('t'), 4);
      const listed = tier.changePage('t', { to: 9, limit: 10 }).entries.map((e) => e.version);
      assert.deepEqual(listed, [9], 'the change index forgets the erased versions');
      tier.set(10, writes('t', [['b', 'z']]), undefined, undefined, retention);
      assert.equal(
        heard.length,
        1,
        'a key holding N versions or fewer loses nothing and is not reported',
      );
    }),
  );

  it(
    'trimming keeps the N highest whatever the write order: an out-of-order write below them goes at once, and horizons widen',
    withTier(open, (tier) => {
      if (!tier.trimsOnSet) return;
      const { retention, heard } = recording({ t: 2 });
      tier.set(5, writes('t', [['a', '5']]), undefined, undefined, retention);
      tier.set(7, writes('t', [['a', '7']]), undefined, undefined, retention);
      tier.set(6, writes('t', [['a', '6']]), undefined, undefined, retention);
      assert.deepEqual(versions(tier, 'a'), [7, 6]);
      tier.set(3, writes('t', [['a', '3']]), undefined, undefined, retention);
      assert.deepEqual(versions(tier, 'a'), [7, 6]);
      assert.deepEqual(heard, ['t a [5:1] [5, 6)', 't a [3:1] [3, 6)']);
      assert.deepEqual(tier.horizon('t', b('a')), { erasedFrom: 3, readableFrom: 6 });
      assert.equal(tier.erasedTop('t'), 5);
    }),
  );

  it(
    'a tier that does not trim refuses a retention; a bad retention is refused; either way nothing is written',
    withTier(open, (tier) => {
      const { retention } = recording({ t: 1 });
      tier.set(1, writes('t', [['a', 'x']]));
      const bad: unknown[] = [
        { keep: { t: 1 }, trimmed: () => {} },
        { keep: new Map([['t', 0]]), trimmed: () => {} },
        { keep: new Map([['t', 1.5]]), trimmed: () => {} },
        { keep: new Map([['t', 1]]) },
        'keep everything',
      ];
      if (!tier.trimsOnSet) bad.push(retention);
      for (const candidate of bad) {
        assertCode(
          () =>
            tier.set(
              2,
              writes('t', [['a', 'y']]),
              undefined,
              undefined,
              candidate as TierRetention,
            ),
          'INVALID_ARGUMENT',
        );
      }
      assert.deepEqual(versions(tier, 'a'), [1]);
      assert.equal(tier.latestVersion(), 1);
    }),
  );
}
