/**
 * The point and table cases of the tier contract: visibility, atomic writes,
 * replacement, out-of-order versions, drops, the write observer, tables,
 * settings, the latest version, ownership of returned bytes, and closing.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MAX_VERSION } from '../common/version.js';
import { assertCode, b, type OpenTier, scan, show, withTier, writes } from './helpers.js';

/** Register the point cases: reads, writes and drops of single keys. */
export function describePointContract(open: OpenTier): void {
  it(
    'get returns the newest entry at or below the version: value, tombstone or nothing',
    withTier(open, (tier) => {
      tier.set(1, writes('t', [['a', 'x']]));
      tier.set(4, writes('t', [['a', undefined]]));
      tier.set(9, writes('t', [['a', 'y']]));
      const at = (v: number) => show(tier.get('t', b('a'), v));
      assert.deepEqual([0, 1, 3, 4, 5, 8, 9, MAX_VERSION].map(at), [
        'none',
        'a@1=x',
        'a@1=x',
        'a@4=~',
        'a@4=~',
        'a@4=~',
        'a@9=y',
        'a@9=y',
      ]);
      assert.equal(tier.get('t', b('b'), MAX_VERSION), undefined);
      assert.equal(tier.get('other', b('a'), MAX_VERSION), undefined);
      assert.deepEqual(tier.page('other', { version: MAX_VERSION, limit: 5 }).entries, []);
      assert.deepEqual(tier.page('other', { version: 1, limit: 5, reverse: true }).entries, []);
      assert.deepEqual(tier.getAllVersions('other', b('a')), []);
      assert.deepEqual(tier.getVersionSizes('other', b('a')), []);
      assert.deepEqual(tier.tables(), ['t'], 'reading an unknown table does not create it');
    }),
  );

  it(
    'a tombstone is a real entry: value undefined, listed by getAllVersions',
    withTier(open, (tier) => {
      tier.set(2, writes('t', [['a', undefined]]));
      const entry = tier.get('t', b('a'), 2);
      assert.ok(entry !== undefined);
      assert.equal(entry.value, undefined);
      assert.equal(entry.version, 2);
      assert.deepEqual(tier.getAllVersions('t', b('a')), [{ version: 2, value: undefined }]);
    }),
  );

  it(
    'set writes every table at once and creates missing tables',
    withTier(open, (tier) => {
      const both = new Map([...writes('B', [['b', '2']]), ...writes('A', [['a', '1']])]);
      tier.set(3, both);
      assert.equal(show(tier.get('A', b('a'), 3)), 'a@3=1');
      assert.equal(show(tier.get('B', b('b'), 3)), 'b@3=2');
      assert.deepEqual(tier.tables(), ['A', 'B']);
      tier.set(4, new Map([['C', []]]));
      assert.deepEqual(
        tier.tables(),
        ['A', 'B', 'C'],
        'an empty write list still creates its table',
      );
    }),
  );

  it(
    'writing an existing (key, version) replaces it; within one set the last write wins',
    withTier(open, (tier) => {
      tier.set(2, writes('t', [['a', 'x']]));
      tier.set(2, writes('t', [['a', 'y']]));
      assert.deepEqual(
        tier.getAllVersions('t', b('a')).map((v) => v.version),
        [2],
      );
      assert.equal(show(tier.get('t', b('a'), 2)), 'a@2=y');
      tier.set(2, writes('t', [['a', undefined]]));
      assert.equal(show(tier.get('t', b('a'), 2)), 'a@2=~');
      tier.set(
        3,
        writes('t', [
          ['k', '1'],
          ['k', '2'],
        ]),
      );
      assert.equal(show(tier.get('t', b('k'), 3)), 'k@3=2');
    }),
  );

  it(
    'set copies what it keeps: the caller may change its arrays once set returns',
    withTier(open, (tier) => {
      const key = b('a');
      const value = b('xyz');
      const tombstoned = b('b');
      tier.set(
        1,
        new Map([
          [
            't',
            [
              { key, value },
              { key: tombstoned, value: undefined },
            ],
          ],
        ]),
      );
      for (const array of [key, value, tombstoned]) array.fill(0x7a);
      assert.equal(show(tier.get('t', b('a'), 1)), 'a@1=xyz');
      assert.equal(show(tier.get('t', b('b'), 1)), 'b@1=~');
      assert.equal(tier.get('t', b('zzz'), 1), undefined);
      assert.deepEqual(scan(tier, 't'), ['a@1=xyz', 'b@1=~']);
      assert.deepEqual(
        tier.getAllVersions('t', b('a')).map((v) => show({ key: b('a'), ...v })),
        ['a@1=xyz'],
      );
    }),
  );

  it(
    'versions may arrive out of order',
    withTier(open, (tier) => {
      for (const v of [5, 1, 3, 9, 7]) tier.set(v, writes('t', [['a', `v${v}`]]));
      const versions = tier.getAllVersions('t', b('a')).map((v) => v.version);
      assert.deepEqual(versions, [9, 7, 5, 3, 1]);
      assert.deepEqual(
        [0, 2, 4, 6, 8, 100].map((v) => show(tier.get('t', b('a'), v))),
        ['none', 'a@1=v1', 'a@3=v3', 'a@5=v5', 'a@7=v7', 'a@9=v9'],
      );
      assert.equal(tier.latestVersion(), 9);
    }),
  );

  it(
    'getAllVersions lists every version newest first, tombstones included',
    withTier(open, (tier) => {
      tier.set(1, writes('t', [['a', 'x']]));
      tier.set(2, writes('t', [['a', undefined]]));
      tier.set(3, writes('t', [['a', 'z']]));
      const all = tier.getAllVersions('t', b('a'));
      assert.deepEqual(
        all.map((v) => [v.version, v.value && new TextDecoder().decode(v.value)]),
        [
          [3, 'z'],
          [2, undefined],
          [1, 'x'],
        ],
      );
      assert.deepEqual(tier.getAllVersions('t', b('missing')), []);
      assert.deepEqual(tier.getAllVersions('unknown', b('a')), []);
    }),
  );

  it(
    'drop erases exactly the given pairs, ignores missing ones, and forgets emptied keys',
    withTier(open, (tier) => {
      tier.set(
        1,
        new Map([
          ...writes('t', [
            ['a', '1'],
            ['b', '1'],
          ]),
          ...writes('u', [['c', '1']]),
        ]),
      );
      tier.set(2, writes('t', [['a', '2']]));
      tier.drop(
        new Map([
          [
            't',
            [
              { key: b('a'), version: 1 },
              { key: b('a'), version: 7 },
              { key: b('zz'), version: 1 },
            ],
          ],
          ['u', [{ key: b('c'), version: 1 }]],
          ['nope', [{ key: b('a'), version: 1 }]],
        ]),
      );
      assert.deepEqual(
        tier.getAllVersions('t', b('a')).map((v) => v.version),
        [2],
      );
      assert.equal(tier.get('t', b('a'), 1), undefined, 'a@1 is gone, nothing older remains');
      assert.deepEqual(tier.getAllVersions('u', b('c')), []);
      assert.deepEqual(scan(tier, 'u'), []);
      assert.deepEqual(scan(tier, 't'), ['a@2=2', 'b@1=1']);
      assert.ok(!tier.tables().includes('nope'), 'drop does not create tables');
      tier.drop(new Map([['t', [{ key: b('a'), version: 2 }]]]));
      assert.deepEqual(scan(tier, 't'), ['b@1=1']);
      assert.equal(tier.latestVersion(), 2, 'drop leaves the latest version alone');
    }),
  );

  it(
    'returned bytes are plain Uint8Arrays the caller owns; Buffers are accepted',
    withTier(open, (tier) => {
      tier.set(1, new Map([['t', [{ key: Buffer.from('a'), value: Buffer.from('xyz') }]]]));
      const lookup = Buffer.from('a');
      const entry = tier.get('t', lookup, 1);
      assert.ok(entry?.value);
      assert.notEqual(entry.key, lookup, 'get returns a key of its own, not the one it was given');
      for (const array of [entry.key, entry.value]) {
        assert.equal(Object.getPrototypeOf(array), Uint8Array.prototype);
      }
      lookup.fill(0);
      assert.deepEqual(
        [...entry.key],
        [0x61],
        "the entry's key shares no memory with the lookup key",
      );
      entry.value.fill(0);
      entry.key.fill(0);
      const [listed] = tier.getAllVersions('t', b('a'));
      assert.equal(Object.getPrototypeOf(listed?.value), Uint8Array.prototype);
      listed?.value?.fill(0);
      const [ranged] = tier.page('t', { version: 1, limit: 10 }).entries;
      assert.equal(Object.getPrototypeOf(ranged?.key), Uint8Array.prototype);
      assert.equal(Object.getPrototypeOf(ranged?.value), Uint8Array.prototype);
      ranged?.value?.fill(0);
      ranged?.key.fill(0);
      assert.equal(show(tier.get('t', b('a'), 1)), 'a@1=xyz');
      assert.deepEqual(scan(tier, 't'), ['a@1=xyz'], 'pages hand out keys and values of their own');
      assert.deepEqual(scan(tier, 't', { reverse: true }), ['a@1=xyz']);
    }),
  );

  it(
    "a page's cursor is an array of its own: changing the entries handed out does not move it",
    withTier(open, (tier) => {
      tier.set(
        1,
        writes('t', [
          ['a', '1'],
          ['b', '2'],
          ['c', '3'],
        ]),
      );
      for (const reverse of [false, true]) {
        const first = tier.page('t', { version: 1, limit: 1, reverse });
        const [entry] = first.entries;
        assert.ok(entry !== undefined && first.cursor !== undefined);
        assert.notEqual(first.cursor.lastKey, entry.key, 'the cursor key is not the entry key');
        entry.key.fill(0x7a);
        const next = tier.page('t', { version: 1, limit: 5, reverse, cursor: first.cursor });
        assert.deepEqual(next.entries.map(show), reverse ? ['b@1=2', 'a@1=1'] : ['b@1=2', 'c@1=3']);
      }
    }),
  );
}

/** Register the table cases: tables, settings, the latest version, closing. */
export function describeTableContract(open: OpenTier): void {
  it(
    'getVersionSizes lists versions and value sizes newest first, tombstones as undefined',
    withTier(open, (tier) => {
      tier.set(1, writes('t', [['a', 'xyz']]));
      tier.set(4, writes('t', [['a', undefined]]));
      tier.set(2, writes('t', [['a', '']]));
      assert.deepEqual(tier.getVersionSizes('t', b('a')), [
        { version: 4, valueBytes: undefined },
        { version: 2, valueBytes: 0 },
        { version: 1, valueBytes: 3 },
      ]);
      assert.deepEqual(tier.getVersionSizes('t', b('zz')), []);
      assert.deepEqual(tier.getVersionSizes('nope', b('a')), []);
    }),
  );

  it(
    'set tells its observer, per write and in order, the newest and the replaced version',
    withTier(open, (tier) => {
      tier.set(3, writes('t', [['a', 'xy']]));
      tier.set(9, writes('t', [['b', undefined]]));
      const heard: string[] = [];
      const size = (s: { version: number; valueBytes: number | undefined } | undefined) =>
        s === undefined ? '-' : `${s.version}:${s.valueBytes ?? '~'}`;
      tier.set(
        5,
        new Map([
          ...writes('t', [
            ['a', '1'],
            ['a', '22'],
            ['b', '3'],
            ['c', undefined],
          ]),
          ...writes('u', [['a', '4']]),
        ]),
        (table, write, newest, replaced) => {
          heard.push(
            `${table} ${show({ ...write, version: 5 })} newest=${size(newest)} replaced=${size(replaced)}`,
          );
        },
      );
      assert.deepEqual(heard, [
        't a@5=1 newest=3:2 replaced=-',
        't a@5=22 newest=5:1 replaced=5:1',
        't b@5=3 newest=9:~ replaced=-',
        't c@5=~ newest=- replaced=-',
        'u a@5=4 newest=- replaced=-',
      ]);
      assert.equal(show(tier.get('t', b('a'), 5)), 'a@5=22');
    }),
  );

  it(
    'ensureTable creates an empty table once; tables() lists names sorted',
    withTier(open, (tier) => {
      assert.deepEqual(tier.tables(), []);
      for (const name of ['source:7', 'multi', 'operator:3', 'multi']) tier.ensureTable(name);
      assert.deepEqual(tier.tables(), ['multi', 'operator:3', 'source:7']);
      assert.deepEqual(scan(tier, 'multi'), []);
    }),
  );

  it(
    'clearTable erases every entry of one table and keeps the table',
    withTier(open, (tier) => {
      tier.set(
        1,
        new Map([
          ...writes('t', [
            ['a', '1'],
            ['b', undefined],
          ]),
          ...writes('u', [['a', '1']]),
        ]),
      );
      tier.clearTable('t');
      assert.deepEqual(scan(tier, 't'), []);
      assert.deepEqual(tier.getAllVersions('t', b('a')), []);
      assert.deepEqual(scan(tier, 'u'), ['a@1=1']);
      assert.deepEqual(tier.tables(), ['t', 'u']);
      tier.clearTable('unknown');
      assert.deepEqual(tier.tables(), ['t', 'u'], 'clearing an unknown table does not create it');
      tier.set(2, writes('t', [['a', '2']]));
      assert.deepEqual(scan(tier, 't'), ['a@2=2']);
    }),
  );

  it(
    'latestVersion is the highest version ever given to set, even with no writes',
    withTier(open, (tier) => {
      assert.equal(tier.latestVersion(), 0);
      tier.set(5, new Map());
      assert.equal(tier.latestVersion(), 5);
      tier.set(3, writes('t', [['a', '1']]));
      assert.equal(tier.latestVersion(), 5);
      tier.set(8, writes('t', [['a', '1']]));
      assert.equal(tier.latestVersion(), 8);
    }),
  );

  it(
    'tables are independent, including names that look hostile to SQL',
    withTier(open, (tier) => {
      const names = [
        'multi',
        'MULTI',
        'x"; DROP TABLE "t_6d756c7469"; --',
        "it's",
        'multistore_meta',
        'sqlite_schema',
        't_6d756c7469',
        '表🙂',
        ' ',
        'n'.repeat(256),
      ];
      names.forEach((name, i) => {
        tier.set(i + 1, writes(name, [['k', `${i}`]]));
      });
      assert.deepEqual(tier.tables(), [...names].sort());
      names.forEach((name, i) => {
        assert.equal(show(tier.get(name, b('k'), MAX_VERSION)), `k@${i + 1}=${i}`);
      });
    }),
  );

  it(
    'settings read back what was written, and reject names or values that are not strings',
    withTier(open, (tier) => {
      assert.equal(tier.readSetting('tables'), undefined);
      tier.writeSetting('tables', '[1]');
      tier.writeSetting('tables', '[2, "é"]');
      assert.equal(tier.readSetting('tables'), '[2, "é"]');
      assertCode(() => tier.readSetting(''), 'INVALID_ARGUMENT', 'empty name');
      assertCode(
        () => tier.writeSetting('x', 3 as unknown as string),
        'INVALID_ARGUMENT',
        'number',
      );
      assertCode(
        () => tier.writeSetting('x', undefined as unknown as string),
        'INVALID_ARGUMENT',
        'no value',
      );
      assert.equal(tier.readSetting('x'), undefined);
    }),
  );

  it(
    'compact after drops keeps every entry, horizon, setting and the latest version',
    withTier(open, (tier) => {
      const many = Array.from({ length: 200 }, (_, i) => `k${String(i).padStart(3, '0')}`);
      for (let v = 1; v <= 3; v++)
        tier.set(
          v,
          writes(
            't',
            many.map((k) => [k, `${k}.${v}`]),
          ),
        );
      tier.set(4, writes('t', [['k000', undefined]]));
      tier.writeSetting('s', 'kept');
      const erased = many.slice(1).map((k) => ({ key: b(k), version: 1 }));
      const horizon = { erasedFrom: 1, readableFrom: 2 };
      tier.drop(new Map([['t', erased]]), new Map([['t', [{ key: b('k001'), horizon }]]]));
      const before = scan(tier, 't', { version: 4 });
      const result = tier.compact();
      for (const size of [result.bytesBefore, result.bytesAfter]) {
        assert.ok(size === undefined || (Number.isSafeInteger(size) && size >= 0), `${size}`);
      }
      if (result.bytesBefore !== undefined && result.bytesAfter !== undefined) {
        assert.ok(result.bytesAfter <= result.bytesBefore, 'compacting never grows the storage');
      }
      assert.deepEqual(scan(tier, 't', { version: 4 }), before);
      assert.deepEqual(
        tier.getAllVersions('t', b('k001')).map((v) => v.version),
        [3, 2],
      );
      assert.equal(show(tier.get('t', b('k000'), 4)), 'k000@4=~');
      assert.deepEqual(tier.horizon('t', b('k001')), horizon);
      assert.equal(tier.readableFloor('t'), 2);
      assert.equal(tier.readSetting('s'), 'kept');
      assert.equal(tier.latestVersion(), 4);
      tier.set(5, writes('t', [['k001', 'after']]));
      assert.equal(show(tier.get('t', b('k001'), 5)), 'k001@5=after');
    }),
  );

  it('after close every call throws STORE_CLOSED; closing twice is harmless', () => {
    const tier = open();
    tier.set(1, writes('t', [['a', '1']]));
    tier.close();
    tier.close();
    const calls: [string, () => unknown][] = [
      ['get', () => tier.get('t', b('a'), 1)],
      ['set', () => tier.set(2, writes('t', [['a', '1']]))],
      ['page', () => tier.page('t', { version: 1, limit: 1 })],
      ['page reverse', () => tier.page('t', { version: 1, limit: 1, reverse: true })],
      ['getAllVersions', () => tier.getAllVersions('t', b('a'))],
      ['getVersionSizes', () => tier.getVersionSizes('t', b('a'))],
      ['drop', () => tier.drop(new Map())],
      ['horizon', () => tier.horizon('t', b('a'))],
      ['readableFloor', () => tier.readableFloor('t')],
      ['horizonPage', () => tier.horizonPage('t', { version: 1, limit: 1 })],
      ['ensureTable', () => tier.ensureTable('t')],
      ['clearTable', () => tier.clearTable('t')],
      ['tables', () => tier.tables()],
      ['latestVersion', () => tier.latestVersion()],
      ['readSetting', () => tier.readSetting('s')],
      ['writeSetting', () => tier.writeSetting('s', 'v')],
      ['compact', () => tier.compact()],
      ['readFigures', () => tier.readFigures()],
      ['readLog', () => tier.readLog()],
      ['snapshot', () => tier.snapshot()],
    ];
    for (const [label, call] of calls) assertCode(call, 'STORE_CLOSED', label);
  });
}
