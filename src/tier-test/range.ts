/**
 * The range cases of the tier contract: one entry per key at the read
 * version, every bound kind in both directions, cursor resumption and the
 * page/cursor rule, bytewise key order (empty key, prefixes, 0x00, 0xff),
 * and, against a model, every version of a history with shallow and deep
 * keys, erased versions and horizons, at every page size.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { compareBytes } from '../common/bytes.js';
import { MAX_VERSION } from '../common/version.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { type Bound, UNBOUNDED } from '../tier/tier.js';
import {
  allPages,
  b,
  bytes,
  excluded,
  included,
  type OpenTier,
  scan,
  show,
  withTier,
  writes,
} from './helpers.js';

/** Keys a, b, c, d, e with a mix of versions, values and tombstones. */
function seedRange(tier: AbstractTier): void {
  tier.set(
    1,
    writes('t', [
      ['a', 'a1'],
      ['b', 'b1'],
      ['d', 'd1'],
    ]),
  );
  tier.set(
    2,
    writes('t', [
      ['b', undefined],
      ['c', 'c2'],
    ]),
  );
  tier.set(
    3,
    writes('t', [
      ['a', 'a3'],
      ['e', 'e3'],
    ]),
  );
}

/** A key's stored versions (ascending) and what each holds (`undefined`: a tombstone). */
type ModelHistory = Map<string, Map<number, string | undefined>>;

/**
 * A history with keys of one and of many versions, written a version at a
 * time (each `set` writes the keys stored at that version), then erased in
 * part with horizons as the drop worker records them:
 *
 * ```
 *   deep   2, 4, ..., 40 (a tombstone at 22)   every even version
 *   dense  1..45                               every version (one run)
 *   late   30, 45                              nothing at or below 29
 *   one    10                                  a single version
 *   trim   3, 6, 9, 12; 3 and 6 erased          horizon [3, 9)
 *   gone   5; erased                           no version left, horizon [5, 46)
 * ```
 */
function seedModel(tier: AbstractTier): ModelHistory {
  const model: ModelHistory = new Map();
  const put = (key: string, version: number, value: string | undefined) => {
    const versions = model.get(key) ?? new Map<number, string | undefined>();
    model.set(key, versions.set(version, value));
  };
  for (let v = 2; v <= 40; v += 2) put('deep', v, v === 22 ? undefined : `deep${v}`);
  for (let v = 1; v <= 45; v++) put('dense', v, `dense${v}`);
  for (const v of [30, 45]) put('late', v, `late${v}`);
  put('one', 10, 'one10');
  for (const v of [3, 6, 9, 12]) put('trim', v, `trim${v}`);
  put('gone', 5, 'gone5');
  for (let v = 1; v <= 45; v++) {
    const pairs: [string, string | undefined][] = [];
    for (const [key, versions] of model) if (versions.has(v)) pairs.push([key, versions.get(v)]);
    tier.set(v, writes('t', pairs));
  }
  const erase: [string, number][] = [
    ['trim', 3],
    ['trim', 6],
    ['gone', 5],
  ];
  tier.drop(
    new Map([['t', erase.map(([key, version]) => ({ key: b(key), version }))]]),
    new Map([
      [
        't',
        [
          { key: b('trim'), horizon: { erasedFrom: 3, readableFrom: 9 } },
          { key: b('gone'), horizon: { erasedFrom: 5, readableFrom: 46 } },
        ],
      ],
    ]),
  );
  for (const [key, version] of erase) model.get(key)?.delete(version);
  return model;
}

/** What a range of the model answers at `version`: each key's newest stored entry at or below it. */
function modelScan(model: ModelHistory, version: number, keep: (key: string) => boolean): string[] {
  const entries: string[] = [];
  for (const key of [...model.keys()].sort()) {
    if (!keep(key)) continue;
    const versions = model.get(key) ?? new Map<number, string | undefined>();
    const visible = [...versions.keys()].filter((v) => v <= version);
    if (visible.length === 0) continue;
    const newest = Math.max(...visible);
    entries.push(`${key}@${newest}=${versions.get(newest) ?? '~'}`);
  }
  return entries;
}

/** Whether `key` lies within `start`..`end`. */
function within(key: string, start: Bound, end: Bound): boolean {
  const order = (bound: Bound) =>
    bound.kind === 'unbounded' ? 0 : compareBytes(b(key), bound.key);
  if (
    start.kind !== 'unbounded' &&
    (order(start) < 0 || (order(start) === 0 && start.kind === 'excluded'))
  )
    return false;
  return !(
    end.kind !== 'unbounded' &&
    (order(end) > 0 || (order(end) === 0 && end.kind === 'excluded'))
  );
}

/** Register the range cases of the contract. */
export function describeRangeContract(open: OpenTier): void {
  it(
    'a range lists each key once with its newest entry at the version, tombstones included',
    withTier(open, (tier) => {
      seedRange(tier);
      assert.deepEqual(scan(tier, 't'), ['a@3=a3', 'b@2=~', 'c@2=c2', 'd@1=d1', 'e@3=e3']);
      assert.deepEqual(scan(tier, 't', { version: 1 }), ['a@1=a1', 'b@1=b1', 'd@1=d1']);
      assert.deepEqual(scan(tier, 't', { version: 0 }), []);
      assert.deepEqual(scan(tier, 't', { version: 2, reverse: true }), [
        'd@1=d1',
        'c@2=c2',
        'b@2=~',
        'a@1=a1',
      ]);
      assert.deepEqual(scan(tier, 'unknown'), []);
    }),
  );

  it(
    'bounds may be included, excluded or unbounded, in both directions',
    withTier(open, (tier) => {
      seedRange(tier);
      const cases: [Bound, Bound, string][] = [
        [included('b'), included('d'), 'bcd'],
        [excluded('b'), included('d'), 'cd'],
        [included('b'), excluded('d'), 'bc'],
        [excluded('b'), excluded('d'), 'c'],
        [UNBOUNDED, excluded('c'), 'ab'],
        [excluded('c'), UNBOUNDED, 'de'],
        [included('bb'), included('dd'), 'cd'],
        [included('c'), included('c'), 'c'],
        [included('c'), excluded('c'), ''],
        [excluded('c'), included('c'), ''],
        [included('d'), included('b'), ''],
        [included('0'), included('1'), ''],
        [included('x'), UNBOUNDED, ''],
      ];
      for (const [start, end, keys] of cases) {
        const label = `${JSON.stringify(start)}..${JSON.stringify(end)}`;
        const forward = scan(tier, 't', { start, end })
          .map((e) => e[0])
          .join('');
        const backward = scan(tier, 't', { start, end, reverse: true })
          .map((e) => e[0])
          .join('');
        assert.equal(forward, keys, label);
        assert.equal(backward, [...keys].reverse().join(''), label);
      }
    }),
  );

  it(
    'pages hold at most limit entries and the cursor resumes after the last key',
    withTier(open, (tier) => {
      seedRange(tier);
      for (const reverse of [false, true]) {
        const whole = scan(tier, 't', { reverse });
        for (const limit of [1, 2, 3, 5, 6]) {
          const pages = allPages(tier, 't', { reverse, version: MAX_VERSION, limit });
          for (const page of pages) {
            assert.ok(page.entries.length <= limit);
            assert.equal(
              page.cursor !== undefined,
              page.entries.length === limit,
              'cursor iff full',
            );
          }
          assert.deepEqual(
            pages.flatMap((p) => p.entries.map(show)),
            whole,
            `limit ${limit}`,
          );
        }
      }
    }),
  );

  it(
    'a cursor is a position: it resumes within the bounds, and a later write shows up',
    withTier(open, (tier) => {
      seedRange(tier);
      const bounds = { start: included('b'), end: included('e') };
      const first = tier.page('t', { ...bounds, version: 3, limit: 2 });
      assert.deepEqual(first.entries.map(show), ['b@2=~', 'c@2=c2']);
      tier.set(
        4,
        writes('t', [
          ['cc', 'new'],
          ['a0', 'outside'],
        ]),
      );
      const second = tier.page('t', { ...bounds, version: 4, limit: 2, cursor: first.cursor });
      assert.deepEqual(second.entries.map(show), ['cc@4=new', 'd@1=d1']);
      const before = tier.page('t', {
        start: included('b'),
        version: 4,
        limit: 9,
        cursor: { lastKey: b('c') },
        reverse: true,
      });
      assert.deepEqual(before.entries.map(show), ['b@2=~']);
      const wide = tier.page('t', {
        start: included('d'),
        version: 4,
        limit: 9,
        cursor: { lastKey: b('0') },
      });
      assert.deepEqual(
        wide.entries.map(show),
        ['d@1=d1', 'e@3=e3'],
        'the bound wins over an earlier cursor',
      );
      const wideReverse = tier.page('t', {
        end: included('b'),
        version: 4,
        limit: 9,
        cursor: { lastKey: b('z') },
        reverse: true,
      });
      assert.deepEqual(
        wideReverse.entries.map(show),
        ['b@2=~', 'a0@4=outside', 'a@3=a3'],
        'in reverse too, the bound wins over an earlier cursor',
      );
    }),
  );

  it(
    'keys order bytewise: the empty key first, prefixes before extensions, 0xff last',
    withTier(open, (tier) => {
      const keys = [
        bytes(),
        bytes(0),
        bytes(0, 0),
        bytes(1),
        b('a'),
        b('a\0'),
        b('ab'),
        b('b'),
        bytes(0x7f),
        bytes(0x80),
        bytes(0x80, 0),
        bytes(0x9f),
        bytes(0xc3, 0xa9),
        bytes(0xff),
        bytes(0xff, 0xff),
      ];
      const shuffled = [...keys].reverse();
      tier.set(1, new Map([['t', shuffled.map((key) => ({ key, value: key }))]]));
      const sorted = [...keys]
        .sort(compareBytes)
        .map((k) => show({ key: k, version: 1, value: k }));
      assert.deepEqual(scan(tier, 't'), sorted);
      assert.deepEqual(scan(tier, 't', { limit: 2 }), sorted);
      assert.deepEqual(scan(tier, 't', { reverse: true, limit: 3 }), [...sorted].reverse());
      assert.equal(
        show(tier.get('t', bytes(), 1)),
        show({ key: bytes(), version: 1, value: bytes() }),
      );
      const prefixed = scan(tier, 't', { start: included(b('a')), end: excluded(b('b')) });
      assert.deepEqual(prefixed, ['a@1=a', '0x6100@1=0x6100', 'ab@1=ab']);
      const tail = scan(tier, 't', { start: excluded(bytes(0xff)) });
      assert.deepEqual(tail, ['0xffff@1=0xffff']);
    }),
  );

  it(
    "at every version, a range answers each key's newest entry at or below it, at every page size",
    withTier(open, (tier) => {
      const model = seedModel(tier);
      const ranges: [Bound, Bound][] = [
        [UNBOUNDED, UNBOUNDED],
        [included('dense'), excluded('one')],
        [excluded('deep'), included('one')],
        [excluded('late'), UNBOUNDED],
        [UNBOUNDED, excluded('deep')],
        [included('p'), excluded('t')],
        [included('z'), UNBOUNDED],
      ];
      for (let version = 0; version <= 46; version++) {
        for (const [start, end] of ranges) {
          const expected = modelScan(model, version, (key) => within(key, start, end));
          for (const reverse of [false, true]) {
            const want = reverse ? [...expected].reverse() : expected;
            for (const limit of [1, 2, 3, 1000]) {
              const label = `v${version} ${JSON.stringify([start, end])} reverse ${reverse} limit ${limit}`;
              const pages = allPages(tier, 't', { start, end, version, reverse, limit });
              for (const page of pages) {
                assert.ok(page.entries.length <= limit, label);
                assert.equal(page.cursor !== undefined, page.entries.length === limit, label);
              }
              assert.deepEqual(
                pages.flatMap((page) => page.entries.map(show)),
                want,
                label,
              );
            }
          }
        }
      }
    }),
  );
}
