/**
 * The prefix cases of the tier contract ("Erasing oldest versions" in
 * abstract-tier.ts): `drop` given `{ key, below }` per key erases every
 * version of the key below the bound, in the same step as its pairs,
 * horizons and state change, and tells the observer of each erased version
 * (ascending, with its value size, the erasure object it was asked in)
 * before the figures; `getVersions` lists a key's versions newest first.
 * Every tier passes them, whether it erases prefixes itself or the base
 * turns them into pairs.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AbstractTier } from '../tier/abstract-tier.js';
import type { TierPrefixDrops, TierPrefixErasure } from '../tier/tier.js';
import { assertCode, b, type OpenTier, withTier, writes } from './helpers.js';

/** What the observer heard, as text: `table key version:bytes` (`~` a tombstone). */
function recording(keys: Map<string, TierPrefixErasure[]>): {
  prefixes: TierPrefixDrops;
  heard: string[];
  objects: TierPrefixErasure[];
} {
  const heard: string[] = [];
  const objects: TierPrefixErasure[] = [];
  const prefixes: TierPrefixDrops = {
    keys,
    erased: (table, erasure, version, valueBytes) => {
      objects.push(erasure);
      const key = new TextDecoder().decode(erasure.key);
      heard.push(`${table} ${key} ${version}:${valueBytes ?? '~'}`);
    },
  };
  return { prefixes, heard, objects };
}

const versions = (tier: AbstractTier, key: string, table = 't') =>
  tier.getAllVersions(table, b(key)).map((v) => v.version);

/** A key of `t` with versions 1 (x), 3 (tombstone), 5 (yy), 8 (zzz). */
function fourVersions(tier: AbstractTier, key = 'a'): void {
  tier.set(1, writes('t', [[key, 'x']]));
  tier.set(3, writes('t', [[key, undefined]]));
  tier.set(5, writes('t', [[key, 'yy']]));
  tier.set(8, writes('t', [[key, 'zzz']]));
}

/** Register the prefix cases. */
export function describePrefixContract(open: OpenTier): void {
  it(
    'getVersions lists the versions of a key newest first, tombstones included; nothing for an unknown key or table',
    withTier(open, (tier) => {
      fourVersions(tier);
      assert.deepEqual(tier.getVersions('t', b('a')), [8, 5, 3, 1]);
      assert.deepEqual(tier.getVersions('t', b('zz')), []);
      assert.deepEqual(tier.getVersions('nope', b('a')), []);
      const listed = tier.getVersions('t', b('a'));
      listed.length = 0;
      assert.deepEqual(tier.getVersions('t', b('a')), [8, 5, 3, 1], 'the caller owns the array');
    }),
  );

  it(
    'drop with prefixes erases every version below each bound, tells the observer of each (ascending, with sizes) before the figures, with pairs and horizons in the same step',
    withTier(open, (tier) => {
      fourVersions(tier, 'a');
      fourVersions(tier, 'b');
      tier.set(2, writes('t', [['c', 'c']]));
      const a = { key: b('a'), below: 8 };
      const { prefixes, heard, objects } = recording(new Map([['t', [a]]]));
      const order: string[] = [];
      const figures = () => {
        order.push(`figures after ${heard.length} erased`);
        return new Map();
      };
      const pairs = new Map([['t', [{ key: b('b'), version: 1 }]]]);
      const horizons = new Map([
        ['t', [{ key: b('a'), horizon: { erasedFrom: 1, readableFrom: 8 } }]],
      ]);
      tier.drop(pairs, horizons, { figures, erasedTops: new Map([['t', 5]]) }, prefixes);
      assert.deepEqual(versions(tier, 'a'), [8], 'versions 1, 3 and 5 went, 8 stays');
      assert.deepEqual(versions(tier, 'b'), [8, 5, 3], 'the pair went in the same step');
      assert.deepEqual(versions(tier, 'c'), [2], 'a key not named keeps everything');
      assert.deepEqual(heard, ['t a 1:1', 't a 3:~', 't a 5:2']);
      assert.ok(
        objects.every((erasure) => erasure === a),
        'told the erasure object it was asked in',
      );
      assert.deepEqual(order, ['figures after 3 erased']);
      assert.deepEqual(tier.horizon('t', b('a')), { erasedFrom: 1, readableFrom: 8 });
      // A tier that keeps no tops answers its readable floor (8), which bounds them.
      assert.ok([5, 8].includes(tier.erasedTop('t')), 'the erased top rose in the step');
      const listed = tier.changePage('t', { to: 8, limit: 20 }).entries;
      assert.deepEqual(
        listed.filter((e) => e.key[0] === 0x61).map((e) => e.version),
        [8],
        'the change index forgets the erased versions',
      );
    }),
  );

  it(
    'a bound above every version erases the key; one at or below the oldest erases nothing and tells nothing; unknown keys and tables are ignored',
    withTier(open, (tier) => {
      fourVersions(tier, 'a');
      fourVersions(tier, 'b');
      const keys = new Map([
        [
          't',
          [
            { key: b('a'), below: 9 },
            { key: b('b'), below: 1 },
            { key: b('zz'), below: 100 },
          ],
        ],
        ['nope', [{ key: b('a'), below: 100 }]],
      ]);
      const { prefixes, heard } = recording(keys);
      tier.drop(new Map(), undefined, undefined, prefixes);
      assert.deepEqual(heard, ['t a 1:1', 't a 3:~', 't a 5:2', 't a 8:3']);
      assert.deepEqual(versions(tier, 'a'), []);
      assert.equal(tier.get('t', b('a'), 100), undefined);
      assert.deepEqual(
        tier.page('t', { version: 100, limit: 10 }).entries.map((e) => e.version),
        [8],
        'only b is left',
      );
      assert.deepEqual(versions(tier, 'b'), [8, 5, 3, 1]);
      assert.deepEqual(tier.tables(), ['t'], 'an unknown table is not created');
    }),
  );

  it(
    'a version is told once: a key named twice, or a version a pair of the same step erases first, is erased and heard once',
    withTier(open, (tier) => {
      fourVersions(tier, 'a');
      fourVersions(tier, 'b');
      const keys = new Map([
        [
          't',
          [
            { key: b('a'), below: 5 },
            { key: b('a'), below: 8 },
            { key: b('b'), below: 5 },
          ],
        ],
      ]);
      const { prefixes, heard } = recording(keys);
      let counted = 0;
      const figures = () => {
        counted = heard.length;
        return new Map();
      };
      // The pairs go first ("Erasing oldest versions"): b@1 is theirs, not the prefix's.
      const pairs = new Map([['t', [{ key: b('b'), version: 1 }]]]);
      tier.drop(pairs, undefined, { figures }, prefixes);
      assert.deepEqual(heard, ['t a 1:1', 't a 3:~', 't a 5:2', 't b 3:~']);
      assert.equal(counted, 4, 'all heard before the figures');
      assert.deepEqual(versions(tier, 'a'), [8]);
      assert.deepEqual(versions(tier, 'b'), [8, 5]);
    }),
  );

  it(
    'prefixes of bad shape are INVALID_ARGUMENT (a bad key INVALID_KEY), and nothing is erased',
    withTier(open, (tier) => {
      fourVersions(tier);
      const erased = () => {};
      const bad: [string, unknown, string][] = [
        ['not an object', 3, 'INVALID_ARGUMENT'],
        ['keys not a Map', { keys: [], erased }, 'INVALID_ARGUMENT'],
        ['list not an array', { keys: new Map([['t', 1]]), erased }, 'INVALID_ARGUMENT'],
        ['erasure not an object', { keys: new Map([['t', [5]]]), erased }, 'INVALID_ARGUMENT'],
        [
          'bound not a version',
          { keys: new Map([['t', [{ key: b('a'), below: -1 }]]]), erased },
          'INVALID_VERSION',
        ],
        ['bound missing', { keys: new Map([['t', [{ key: b('a') }]]]), erased }, 'INVALID_VERSION'],
        ['bad key', { keys: new Map([['t', [{ key: 'a', below: 9 }]]]), erased }, 'INVALID_KEY'],
        [
          'bad table',
          { keys: new Map([['', [{ key: b('a'), below: 9 }]]]), erased },
          'INVALID_ARGUMENT',
        ],
        [
          'no observer',
          { keys: new Map([['t', [{ key: b('a'), below: 9 }]]]) },
          'INVALID_ARGUMENT',
        ],
      ];
      for (const [what, prefixes, code] of bad) {
        assertCode(
          () => tier.drop(new Map(), undefined, undefined, prefixes as TierPrefixDrops),
          code,
          what,
        );
      }
      assert.deepEqual(versions(tier, 'a'), [8, 5, 3, 1]);
    }),
  );
}
