/**
 * The change cases of the tier contract: `changePage` lists stored writes in
 * `(from, to]` in (version, key) order, tombstones and out-of-order writes
 * included, a replaced version once; follows its cursors to the same list
 * whatever the limit; filters by key bounds; forgets what `drop` erased and
 * `clearTable` cleared; hands out fresh arrays; and rejects bad requests.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { changePages } from '../tier/paging.js';
import type { ChangeRequest } from '../tier/tier.js';
import {
  assertCode,
  b,
  excluded,
  included,
  type OpenTier,
  show,
  withTier,
  writes,
} from './helpers.js';

/** Every change of table `t` in the interval as `show` strings, following cursors to the end. */
function changes(
  tier: AbstractTier,
  request: Partial<Omit<ChangeRequest, 'cursor'>> = {},
): string[] {
  const list: string[] = [];
  const full = { from: 0, to: 1000, limit: 1000, ...request };
  for (const page of changePages(tier, 't', full)) {
    assert.ok(page.entries.length <= full.limit, 'a page holds at most limit entries');
    if (page.cursor !== undefined)
      assert.equal(page.entries.length, full.limit, 'a page with a cursor is full');
    list.push(...page.entries.map(show));
    assert.ok(list.length < 10_000, 'change pages do not end');
  }
  return list;
}

/** Versions 1..9 of a small table: out of order, a tombstone, a replacement. */
function fill(tier: AbstractTier): void {
  tier.set(
    3,
    writes('t', [
      ['c', 'c3'],
      ['a', 'a3'],
    ]),
  );
  tier.set(5, writes('t', [['b', 'b5']]));
  tier.set(
    9,
    writes('t', [
      ['a', 'a9'],
      ['x', undefined],
      ['d', 'd9'],
    ]),
  );
  tier.set(4, writes('t', [['b', 'b4']])); // out of order, into history
  tier.set(5, writes('t', [['b', 'b5!']])); // replaces b@5
  tier.set(7, writes('other', [['a', 'o7']]));
}

const ALL = ['a@3=a3', 'c@3=c3', 'b@4=b4', 'b@5=b5!', 'a@9=a9', 'd@9=d9', 'x@9=~'];

/** Register the change cases. */
export function describeChangeContract(open: OpenTier): void {
  it(
    'changePage lists the stored writes of (from, to] in (version, key) order, tombstones included',
    withTier(open, (tier) => {
      fill(tier);
      assert.deepEqual(changes(tier), ALL);
      assert.deepEqual(changes(tier, { from: 3, to: 5 }), ['b@4=b4', 'b@5=b5!']);
      assert.deepEqual(changes(tier, { from: 4, to: 8 }), ['b@5=b5!']);
      assert.deepEqual(changes(tier, { from: 9, to: 9 }), []);
      assert.deepEqual(changes(tier, { from: 0, to: 2 }), []);
      assert.deepEqual(changes(tier, { from: 8, to: 9 }), ['a@9=a9', 'd@9=d9', 'x@9=~']);
      assert.deepEqual(tier.changePage('unknown', { from: 0, to: 9, limit: 5 }).entries, []);
      assert.deepEqual(
        tier.tables(),
        ['other', 't'],
        'reading an unknown table does not create it',
      );
    }),
  );

  it(
    'changePage pages: every limit follows its cursors to the same list',
    withTier(open, (tier) => {
      fill(tier);
      for (let limit = 1; limit <= ALL.length + 1; limit++) {
        assert.deepEqual(changes(tier, { limit }), ALL, `limit ${limit}`);
        assert.deepEqual(changes(tier, { from: 3, limit }), ALL.slice(2), `from 3, limit ${limit}`);
      }
      const first = tier.changePage('t', { from: 0, to: 9, limit: 2 });
      assert.deepEqual(first.cursor?.lastVersion, 3);
      const rest = tier.changePage('t', { from: 0, to: 9, limit: 100, cursor: first.cursor });
      assert.deepEqual(rest.entries.map(show), ALL.slice(2));
      assert.equal(rest.cursor, undefined);
    }),
  );

  it(
    'changePage keeps to the key bounds, each kind',
    withTier(open, (tier) => {
      fill(tier);
      assert.deepEqual(changes(tier, { start: included('b'), end: excluded('d') }), [
        'c@3=c3',
        'b@4=b4',
        'b@5=b5!',
      ]);
      assert.deepEqual(changes(tier, { start: excluded('b'), end: included('d') }), [
        'c@3=c3',
        'd@9=d9',
      ]);
      assert.deepEqual(changes(tier, { start: included('d') }), ['d@9=d9', 'x@9=~']);
      assert.deepEqual(changes(tier, { end: excluded('b'), limit: 1 }), ['a@3=a3', 'a@9=a9']);
      assert.deepEqual(changes(tier, { start: included('y') }), []);
    }),
  );

  it(
    'changePage forgets what drop erased and what clearTable cleared',
    withTier(open, (tier) => {
      fill(tier);
      tier.drop(
        new Map([
          [
            't',
            [
              { key: b('a'), version: 3 },
              { key: b('b'), version: 4 },
              { key: b('x'), version: 9 },
            ],
          ],
        ]),
        new Map([['t', [{ key: b('a'), horizon: { erasedFrom: 3, readableFrom: 9 } }]]]),
      );
      assert.deepEqual(changes(tier), ['c@3=c3', 'b@5=b5!', 'a@9=a9', 'd@9=d9']);
      for (let limit = 1; limit <= 3; limit++) {
        assert.deepEqual(changes(tier, { from: 2, to: 5, limit }), ['c@3=c3', 'b@5=b5!']);
      }
      tier.set(3, writes('t', [['a', 'again']]));
      assert.deepEqual(changes(tier, { to: 3 }), ['a@3=again', 'c@3=c3']);
      tier.clearTable('t');
      assert.deepEqual(changes(tier), []);
      tier.set(2, writes('t', [['z', 'z2']]));
      assert.deepEqual(changes(tier), ['z@2=z2']);
    }),
  );

  it(
    'changePage hands out fresh arrays the caller owns',
    withTier(open, (tier) => {
      const key = b('k');
      const value = b('v');
      tier.set(1, new Map([['t', [{ key, value }]]]));
      const [entry] = tier.changePage('t', { from: 0, to: 1, limit: 1 }).entries;
      assert.ok(entry?.value !== undefined);
      assert.notEqual(entry.key, key);
      assert.equal(Object.getPrototypeOf(entry.key), Uint8Array.prototype, 'a plain Uint8Array');
      assert.equal(Object.getPrototypeOf(entry.value), Uint8Array.prototype, 'a plain Uint8Array');
      entry.key.fill(0);
      entry.value.fill(0);
      const page = tier.changePage('t', { from: 0, to: 1, limit: 1 });
      assert.deepEqual(page.entries.map(show), ['k@1=v']);
      const cursor = page.cursor;
      assert.ok(cursor !== undefined);
      cursor.lastKey.fill(0x7a);
      assert.deepEqual(changes(tier), ['k@1=v']);
    }),
  );

  it(
    'changePage rejects a bad request and changes nothing',
    withTier(open, (tier) => {
      fill(tier);
      const page = (request: unknown) => () => tier.changePage('t', request as ChangeRequest);
      assertCode(page({ from: 5, to: 4, limit: 1 }), 'INVALID_ARGUMENT', 'from above to');
      assertCode(page({ from: -1, to: 4, limit: 1 }), 'INVALID_VERSION', 'negative from');
      assertCode(page({ from: 0, to: 1.5, limit: 1 }), 'INVALID_VERSION', 'fractional to');
      assertCode(page({ from: 0, to: 4, limit: 0 }), 'INVALID_ARGUMENT', 'zero limit');
      assertCode(
        page({ from: 0, to: 4, limit: 1, version: 3 }),
        'INVALID_ARGUMENT',
        'unknown property',
      );
      assertCode(
        page({ from: 0, to: 4, limit: 1, cursor: { lastKey: b('a') } }),
        'INVALID_VERSION',
        'cursor without a version',
      );
      assertCode(
        page({ from: 0, to: 4, limit: 1, cursor: { lastVersion: 3, lastKey: 'a' } }),
        'INVALID_KEY',
        'cursor key not bytes',
      );
      assertCode(
        page({ from: 0, to: 4, limit: 1, start: { kind: 'included' } }),
        'INVALID_KEY',
        'bound without key',
      );
      assertCode(page(null), 'INVALID_ARGUMENT', 'no request');
      assertCode(
        () => tier.changePage('', { from: 0, to: 1, limit: 1 }),
        'INVALID_ARGUMENT',
        'bad table',
      );
      assert.deepEqual(changes(tier), ALL);
    }),
  );
}
