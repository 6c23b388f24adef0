import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import { isStoreError } from '../common/errors.js';
import { type Reopenable, reopenable } from '../test-support/reopen.js';
import { forEachStoreSetup, tempDir, text } from '../test-support/store-setups.js';
import { openTier } from '../tier/factory.js';
import type { Delta } from './deltas.js';
import { MultiStore } from './multistore.js';

const keys = (entries: Iterable<{ key: Uint8Array }>) => [...entries].map((e) => text(e.key));
const throwsCode = (fn: () => unknown, code: string) =>
  assert.throws(fn, (error: unknown) => isStoreError(error) && error.code === code);

forEachStoreSetup((setup) => {
  let store: MultiStore;
  beforeEach(() => {
    store = setup.open({
      tables: [
        { name: 'users', prefix: 'user:' },
        { name: 'admins', prefix: 'user:admin:' },
      ],
    });
  });
  afterEach(() => store.close());

  it('reads the newest version at or below the read version', () => {
    store.commit([{ type: 'set', key: 'a', value: '1' }], 1);
    store.commit([{ type: 'set', key: 'a', value: '2' }], 3);
    store.commit([{ type: 'remove', key: 'a' }], 5);
    assert.equal(store.get('a', 0), undefined);
    assert.equal(text(store.get('a', 1)?.value), '1');
    assert.equal(text(store.get('a', 2)?.value), '1');
    assert.deepEqual([text(store.get('a', 4)?.value), store.get('a', 4)?.version], ['2', 3]);
    assert.equal(store.get('a', 5), undefined);
    assert.equal(store.get('a'), undefined);
    assert.equal(store.contains('a', 3), true);
    assert.equal(store.contains('a', 6), false);
    assert.equal(store.latestVersion, 5);
  });

  it('lists every stored version newest first, tombstones included', () => {
    store.commit([{ type: 'set', key: 'k', value: 'x' }], 2);
    store.commit([{ type: 'unset', key: 'k', value: 'x' }], 4);
    store.commit([{ type: 'set', key: 'k', value: 'y' }], 7);
    assert.deepEqual(
      store.versions('k').map((v) => [v.version, text(v.value)]),
      [
        [7, 'y'],
        [4, undefined],
        [2, 'x'],
      ],
    );
  });

  it('keeps an out-of-order write in history without changing newer reads', () => {
    store.commit([{ type: 'set', key: 'a', value: 'new' }], 10);
    store.commit([{ type: 'set', key: 'a', value: 'old' }], 5);
    assert.equal(text(store.get('a')?.value), 'new');
    assert.equal(text(store.get('a', 7)?.value), 'old');
    assert.equal(store.latestVersion, 10);
  });

  it('lets the last write of a key in a commit win', () => {
    store.commit(
      [
        { type: 'set', key: 'a', value: '1' },
        { type: 'remove', key: 'a' },
        { type: 'set', key: 'a', value: '3' },
      ],
      1,
    );
    assert.equal(text(store.get('a')?.value), '3');
    assert.equal(store.versions('a').length, 1);
  });

  it('validates a commit whole and writes nothing when one delta is bad', () => {
    store.commit([{ type: 'set', key: 'a', value: '1' }], 1);
    const bad = [
      { type: 'set', key: 'a', value: '2' },
      { type: 'set', key: 'b', value: 2 },
    ] as unknown as Delta[];
    throwsCode(() => store.commit(bad, 2), 'INVALID_VALUE');
    throwsCode(
      () =>
        store.commit(
          [{ type: 'set', key: 'a', value: 'x' }, { type: 'bogus' } as unknown as Delta],
          2,
        ),
      'INVALID_DELTA',
    );
    throwsCode(
      () => store.commit([{ type: 'drop', key: 'a', keepLastVersions: -1 }], 2),
      'INVALID_DELTA',
    );
    throwsCode(
      () => store.commit([{ type: 'drop', key: 'a', upToVersion: 1.5 }], 2),
      'INVALID_VERSION',
    );
    throwsCode(() => store.commit('nope' as unknown as Delta[], 2), 'INVALID_DELTA');
    for (const version of [-1, 1.5, Number.NaN, 2 ** 53, '3']) {
      throwsCode(
        () => store.commit([{ type: 'set', key: 'a', value: 'x' }], version as number),
        'INVALID_VERSION',
      );
    }
    assert.equal(text(store.get('a')?.value), '1');
    assert.equal(store.versions('a').length, 1);
    assert.equal(store.latestVersion, 1);
  });

  it('accepts strings and bytes alike and owns the bytes it keeps', () => {
    const value = new Uint8Array([1, 2, 3]);
    store.commit([{ type: 'set', key: new TextEncoder().encode('k'), value }], 1);
    value[0] = 99;
    assert.deepEqual([...(store.get('k')?.value ?? [])], [1, 2, 3]);
    const read = store.get('k')?.value as Uint8Array;
    read[1] = 42;
    assert.deepEqual([...(store.get('k')?.value ?? [])], [1, 2, 3]);
    throwsCode(() => store.get(42 as unknown as string), 'INVALID_KEY');
  });

  it('returns fresh plain Uint8Arrays from every read (get, range, versions), never the caller arrays', () => {
    const key = Buffer.from('user:1');
    const value = Buffer.from('abc');
    store.commit([{ type: 'set', key, value }], 1);
    store.commit([{ type: 'set', key: 'user:1', value: 'def' }], 2);
    const lookup = Buffer.from('user:1');
    const got = store.get(lookup, 1);
    const ranged = [
      ...store.range({ start: lookup }, { version: 1 }),
      ...store.range({ prefix: lookup }, { reverse: true, pageSize: 1 }),
    ];
    const listed = store.versions(lookup).map((v) => v.value);
    assert.ok(got !== undefined && ranged.length === 2 && listed.length === 2);
    const returned = [got.key, got.value, ...ranged.flatMap((e) => [e.key, e.value]), ...listed];
    for (const array of returned) {
      assert.ok(array !== undefined);
      assert.equal(Object.getPrototypeOf(array), Uint8Array.prototype, 'a plain Uint8Array');
      for (const given of [key, value, lookup])
        assert.notEqual(array.buffer, given.buffer, "no array shares the caller's memory");
    }
    const buffers = new Set(returned.map((array) => array?.buffer));
    assert.equal(buffers.size, returned.length, 'no two returned arrays share memory');
    for (const array of returned) array?.fill(0x21);
    lookup.fill(0x21);
    assert.deepEqual(
      [text(store.get('user:1', 1)?.key), text(store.get('user:1', 1)?.value)],
      ['user:1', 'abc'],
    );
    assert.deepEqual(keys(store.range({ prefix: 'user:' })), ['user:1']);
    assert.deepEqual(
      store.versions('user:1').map((v) => text(v.value)),
      ['def', 'abc'],
    );
  });

  it('reads ranges in key order, in reverse, at versions, across tables, in small pages', () => {
    const all = ['a', 'b', 'user:1', 'user:admin:1', 'user:2', 'z'];
    store.commit(
      all.map((key) => ({ type: 'set', key, value: key })),
      1,
    );
    store.commit([{ type: 'remove', key: 'user:2' }], 2);
    const sorted = ['a', 'b', 'user:1', 'user:2', 'user:admin:1', 'z'];
    assert.deepEqual(keys(store.range({}, { pageSize: 1, version: 1 })), sorted);
    assert.deepEqual(
      keys(store.range({}, { pageSize: 2 })),
      sorted.filter((k) => k !== 'user:2'),
    );
    assert.deepEqual(
      keys(store.range(undefined, { reverse: true, version: 1 })),
      [...sorted].reverse(),
    );
    assert.deepEqual(keys(store.range({ start: 'b', end: 'user:admin:1' }, { version: 1 })), [
      'b',
      'user:1',
      'user:2',
    ]);
    assert.deepEqual(
      keys(store.range({ start: 'b', end: 'user:admin:1', endInclusive: true }, { version: 1 })),
      ['b', 'user:1', 'user:2', 'user:admin:1'],
    );
    assert.deepEqual(keys(store.range({ prefix: 'user:' }, { version: 1, reverse: true })), [
      'user:admin:1',
      'user:2',
      'user:1',
    ]);
    assert.deepEqual(keys(store.range({}, { version: 0 })), []);
  });

  it('rejects bad range arguments with stable codes', () => {
    for (const pageSize of [0, -1, 1.5, Number.NaN, '2']) {
      throwsCode(() => store.range({}, { pageSize: pageSize as number }), 'INVALID_ARGUMENT');
    }
    throwsCode(() => store.range({ prefix: 'a', start: 'b' }), 'INVALID_ARGUMENT');
    throwsCode(() => store.range({}, { version: -1 }), 'INVALID_VERSION');
    throwsCode(() => store.range({ start: 7 as unknown as string }), 'INVALID_KEY');
  });

  it('rejects unknown properties in range specs and range options instead of ignoring them', () => {
    store.commit([{ type: 'set', key: 'a', value: '1' }], 1);
    const misspelt: [string, () => unknown][] = [
      ['revers', () => store.range({}, { revers: true } as never)],
      ['page_size', () => store.range({}, { page_size: 1 } as never)],
      ['versions', () => store.range(undefined, { versions: 0 } as never)],
      ['prefx', () => store.range({ prefx: 'a' } as never)],
      ['startKey', () => store.range({ startKey: 'a' } as never)],
      ['endInclusiv', () => store.range({ end: 'b', endInclusiv: true } as never)],
    ];
    for (const [name, call] of misspelt) {
      assert.throws(
        call,
        (error: unknown) => isStoreError(error, 'INVALID_ARGUMENT') && error.message.includes(name),
        name,
      );
    }
  });

  it('rejects unknown properties in a drop delta instead of erasing by the remaining ones', async () => {
    store.commit([{ type: 'set', key: 'a', value: '1' }], 1);
    store.commit([{ type: 'set', key: 'a', value: '2' }], 2);
    throwsCode(
      () => store.commit([{ type: 'drop', key: 'a', keepLastVersion: 1 } as never], 3),
      'INVALID_DELTA',
    );
    await store.flush();
    assert.equal(store.versions('a').length, 2, 'nothing was dropped');
    assert.equal(store.latestVersion, 2);
  });

  it('routes keys to the table of their longest prefix', async () => {
    store.commit(
      [
        { type: 'set', key: 'user:admin:1', value: 'x' },
        { type: 'set', key: 'user:1', value: 'yy' },
        { type: 'set', key: 'other', value: 'zzz' },
      ],
      1,
    );
    await store.flush();
    const { tables, total } = store.stats();
    assert.equal(tables.admins?.currentValueBytes, 1);
    assert.equal(tables.users?.currentValueBytes, 2);
    assert.equal(tables.multi?.currentValueBytes, 3);
    assert.equal(total.currentCount, 3);
  });

  it('leaves every version stored until the drop worker ran, then erases them', async () => {
    const deltas: Delta[] = [];
    for (let i = 0; i < 1000; i++) store.commit([{ type: 'set', key: `k${i}`, value: 'v' }], 1);
    for (let i = 0; i < 1000; i++) deltas.push({ type: 'drop', key: `k${i}` });
    store.commit(deltas, 2);
    if (setup.actorMode === 'event-loop') {
      for (let i = 0; i < 1000; i++) assert.equal(store.versions(`k${i}`).length, 1);
    }
    await store.flush();
    for (let i = 0; i < 1000; i++) assert.equal(store.versions(`k${i}`).length, 0);
    assert.equal(store.dropWorkerStats().requests, 1000);
    assert.equal(store.dropWorkerStats().entriesDropped, 1000);
  });

  it('throws STORE_CLOSED after close, and closes twice harmlessly', async () => {
    await store.close();
    await store.close();
    throwsCode(() => store.get('a'), 'STORE_CLOSED');
    throwsCode(() => store.commit([], 1), 'STORE_CLOSED');
    throwsCode(() => store.range(), 'STORE_CLOSED');
    await assert.rejects(store.flush(), (e: unknown) => isStoreError(e, 'STORE_CLOSED'));
  });
});

it('rejects bad options with INVALID_OPTIONS', () => {
  const bad: unknown[] = [
    {
      tables: [
        { name: 'a', prefix: 'x' },
        { name: 'a', prefix: 'y' },
      ],
    },
    {
      tables: [
        { name: 'a', prefix: 'x' },
        { name: 'b', prefix: 'x' },
      ],
    },
    { tables: [{ name: 'a', prefix: '' }] },
    { tables: [{ name: 'multi', prefix: 'm' }] },
    { tables: [{ name: 'a', prefix: 'x', retention: { keepLastVersions: -1 } }] },
    { tables: [{ name: 'a', prefix: 'x', retention: { keepLastVersions: 1.5 } }] },
    {
      tables: [{ name: 'a', prefix: 'x', retention: { keepLastVersions: 3, keepLastVersion: 1 } }],
    },
    { tables: [{ name: 'a', prefix: 'x', retention: { keepLast: 1 } }] },
    { clock: { nowNanos: () => 0n, instant: () => undefined } },
    { clock: { nowNanos: () => 0n, nowMillis: () => 0, instant: () => undefined, wakeAt: 1 } },
    { tier: 'disk' },
    { tier: 'memory', path: 'x.db' },
    { actorMode: 'threads' },
    { dropWorker: { batchSize: 0 } },
    { dropWorker: { mailboxCapacity: 2.5 } },
    { dropWorker: { bogus: 1 } },
    'nope',
  ];
  for (const options of bad) {
    throwsCode(() => MultiStore.open(options as never), 'INVALID_OPTIONS');
  }
});

it('refuses option objects that are not plain objects (arrays, Maps, Dates), never reading them as empty', async () => {
  const dir = tempDir();
  try {
    const path = join(dir.path, 'never.db');
    // Each would otherwise open with the defaults: a Map's entries are not
    // properties, so `sqlite: new Map([['locking', 'exclusive']])` would
    // silently mean normal locking, and a Map of options a memory store.
    const notPlain: unknown[] = [[], new Map([['locking', 'exclusive']]), new Date(0), /x/];
    for (const junk of notPlain) {
      for (const options of [
        junk,
        { path, sqlite: junk },
        { dropWorker: junk },
        { tables: [junk] },
        { tables: [{ name: 'a', prefix: 'a:', retention: junk }] },
      ]) {
        assert.throws(
          () => MultiStore.open(options as never),
          (e: unknown) =>
            isStoreError(e, 'INVALID_OPTIONS') && / must be a plain object, got/.test(e.message),
          String(Object.prototype.toString.call(junk)),
        );
      }
    }
    for (const junk of notPlain) {
      const tier = openTier({ kind: 'memory' });
      assert.throws(
        () => MultiStore.fromTier(tier, junk as never),
        (e: unknown) => isStoreError(e, 'INVALID_OPTIONS'),
        `fromTier: ${Object.prototype.toString.call(junk)}`,
      );
      tier.close();
    }
    const map = new Map<string, unknown>([['path', path]]);
    assert.throws(
      () => MultiStore.open(map as never),
      (e: unknown) => isStoreError(e, 'INVALID_OPTIONS'),
    );
    // Options made in another realm (a vm context) are plain objects there.
    await MultiStore.open(runInNewContext("({ actorMode: 'inline', dropWorker: {} })")).close();
    // Objects without a prototype are plain enough.
    const bare = Object.assign(Object.create(null), { path, sqlite: Object.create(null) });
    assert.equal(existsSync(path), false, 'nothing was opened');
    await MultiStore.open(bare).close();
  } finally {
    dir.cleanup();
  }
});

it('refuses read, transaction and watch arguments that are not plain objects, never reading them as empty', async () => {
  const store = MultiStore.open({ actorMode: 'inline' });
  try {
    store.commit([{ type: 'set', key: 'a', value: '1' }], 1);
    store.commit([{ type: 'set', key: 'a', value: '2' }], 2);
    // `range(new Map([['version', 1]]))` would otherwise read the latest,
    // `begin(new Map([['readOnly', true]]))` open a writing transaction.
    for (const junk of [[], new Map([['version', 1]]), new Date(0)]) {
      const refused = (call: () => unknown, code: string, what: string) =>
        assert.throws(
          call,
          (e: unknown) =>
            isStoreError(e, code as never) && /must be a plain object/.test(e.message),
          `${what}: ${Object.prototype.toString.call(junk)}`,
        );
      const j = junk as never;
      refused(() => store.range(j), 'INVALID_ARGUMENT', 'range spec');
      refused(() => store.range(undefined, j), 'INVALID_ARGUMENT', 'range options');
      refused(() => store.changes(j), 'INVALID_ARGUMENT', 'changes options');
      refused(() => store.diff(1, 2, j), 'INVALID_ARGUMENT', 'diff options');
      refused(() => store.watch(undefined, j), 'INVALID_ARGUMENT', 'watch options');
      refused(() => store.begin(j), 'INVALID_OPTIONS', 'begin options');
      const tx = store.begin();
      try {
        refused(() => tx.range(j), 'INVALID_ARGUMENT', 'transaction range spec');
        refused(() => tx.drop('a', j), 'INVALID_ARGUMENT', 'drop options');
        refused(() => tx.asOf(1, j), 'INVALID_ARGUMENT', 'asOf options');
      } finally {
        tx.rollback();
      }
    }
  } finally {
    await store.close();
  }
});

it('gives back data, statistics and the latest version after reopening a file', async () => {
  const dir = tempDir();
  try {
    const path = join(dir.path, 'store.db');
    const first = MultiStore.open({ path });
    first.commit(
      [
        { type: 'set', key: 'a', value: '1' },
        { type: 'set', key: 'b', value: '22' },
      ],
      4,
    );
    first.commit(
      [
        { type: 'set', key: 'a', value: '333' },
        { type: 'drop', key: 'b' },
      ],
      9,
    );
    await first.flush();
    const before = first.stats();
    await first.close();
    const again = MultiStore.open({ path });
    assert.equal(again.latestVersion, 9);
    assert.equal(text(again.get('a', 4)?.value), '1');
    assert.equal(text(again.get('a')?.value), '333');
    assert.equal(again.versions('b').length, 0);
    assert.deepEqual(again.stats(), before);
    await again.close();
  } finally {
    dir.cleanup();
  }
});

it('applies drops still pending when the store is closed', async () => {
  const dir = tempDir();
  try {
    const path = join(dir.path, 'store.db');
    const store = MultiStore.open({ path, dropWorker: { batchSize: 1000, flushIntervalMs: 1e9 } });
    store.commit([{ type: 'set', key: 'a', value: '1' }], 1);
    store.commit(
      [
        { type: 'set', key: 'a', value: '2' },
        { type: 'drop', key: 'a', keepLastVersions: 1 },
      ],
      2,
    );
    assert.equal(store.versions('a').length, 2);
    await store.close();
    const again = MultiStore.open({ path });
    assert.deepEqual(
      again.versions('a').map((v) => v.version),
      [2],
    );
    await again.close();
  } finally {
    dir.cleanup();
  }
});

it('keeps table declarations in the file and refuses routing that would hide data', async () => {
  const dir = tempDir();
  try {
    const path = join(dir.path, 'store.db');
    const tables = [{ name: 'sessions', prefix: 'session:', retention: { keepLastVersions: 1 } }];
    const first = MultiStore.open({ path, tables });
    first.commit([{ type: 'set', key: 'session:1', value: 'a' }], 1);
    await first.close();

    const plain = MultiStore.open({ path });
    await plain.flush();
    assert.equal(
      plain.stats().tables.sessions?.currentCount,
      1,
      'opened without tables: the stored ones apply',
    );
    await plain.close();

    throwsCode(
      () => MultiStore.open({ path, tables: [{ name: 'sessions', prefix: 's:' }] }),
      'INVALID_OPTIONS',
    );
    throwsCode(() => MultiStore.open({ path, tables: [] }), 'INVALID_OPTIONS');

    const looser = MultiStore.open({
      path,
      tables: [{ name: 'sessions', prefix: 'session:', retention: { keepLastVersions: 3 } }],
    });
    looser.commit([{ type: 'set', key: 'session:1', value: 'b' }], 2);
    await looser.flush();
    assert.equal(looser.versions('session:1').length, 2, 'the new retention applies');
    await looser.close();
  } finally {
    dir.cleanup();
  }
});

it('reports corrupt stored table declarations as TIER_IO', () => {
  const corrupt = [
    'not json',
    '{}',
    '[1]',
    '[null]',
    '[{"name":"s"}]',
    '[{"name":"s","prefix":7}]',
    '[{"name":"s","prefix":"zz"}]',
    '[{"name":5,"prefix":"73"}]',
    '[{"name":"s","prefix":"73","keepLastVersions":0}]',
    '[{"name":"s","prefix":"73"},{"name":"s","prefix":"74"}]',
  ];
  for (const text of corrupt) {
    const tier = openTier({ kind: 'memory' });
    tier.set(1, new Map([['multi', [{ key: new Uint8Array([1]), value: undefined }]]]));
    tier.writeSetting('tables', text);
    assert.throws(
      () => MultiStore.fromTier(tier),
      (error: unknown) => isStoreError(error, 'TIER_IO') && error.cause !== undefined,
      text,
    );
  }
});

it('lets an empty store change its table declarations', async () => {
  const dir = tempDir();
  try {
    const path = join(dir.path, 'store.db');
    await MultiStore.open({ path, tables: [{ name: 'a', prefix: 'a:' }] }).close();
    const again = MultiStore.open({ path, tables: [{ name: 'b', prefix: 'b:' }] });
    again.commit([{ type: 'set', key: 'b:1', value: 'x' }], 1);
    await again.flush();
    assert.equal(again.stats().tables.b?.currentCount, 1);
    await again.close();
  } finally {
    dir.cleanup();
  }
});

for (const tier of ['memory', 'sqlite'] as const) {
  describe(`${tier} tier: stored data decides whether tables may change`, () => {
    let place: Reopenable;
    beforeEach(() => {
      place = reopenable(tier, 'event-loop');
    });
    afterEach(() => place.dispose());

    it('refuses other table declarations over data that is all at version 0', async () => {
      const first = place.open({ tables: [{ name: 'a', prefix: 'a:' }] });
      first.commit([{ type: 'set', key: 'a:1', value: 'x' }], 0);
      await first.close();
      throwsCode(() => place.open({ tables: [{ name: 'b', prefix: 'b:' }] }), 'INVALID_OPTIONS');
      throwsCode(() => place.open({ tables: [] }), 'INVALID_OPTIONS');
      const again = place.open();
      assert.equal(text(again.get('a:1', 0)?.value), 'x', 'the data is still readable');
      assert.equal(again.stats().tables.a?.currentCount, 1);
      await again.close();
    });

    it('refuses other table declarations over a lone tombstone at version 0', async () => {
      const first = place.open({ tables: [{ name: 'a', prefix: 'a:' }] });
      first.commit([{ type: 'remove', key: 'a:1' }], 0);
      await first.close();
      throwsCode(() => place.open({ tables: [{ name: 'b', prefix: 'b:' }] }), 'INVALID_OPTIONS');
    });

    // The latest version does not decide (it stays 4): the erased key does.
    // Its history stays where it is (see table-growth.test.ts), so a table
    // that captures no erased key may come, and one that holds one may not go.
    it('lets storage whose every version was dropped add a table that captures no erased key', async () => {
      const first = place.open({ tables: [{ name: 'a', prefix: 'a:' }] });
      first.commit([{ type: 'set', key: 'a:1', value: 'x' }], 3);
      first.commit([{ type: 'drop', key: 'a:1' }], 4);
      await first.close();
      throwsCode(() => place.open({ tables: [{ name: 'b', prefix: 'b:' }] }), 'INVALID_OPTIONS');
      const again = place.open({
        tables: [
          { name: 'a', prefix: 'a:' },
          { name: 'b', prefix: 'b:' },
        ],
      });
      assert.equal(again.latestVersion, 4);
      again.commit([{ type: 'set', key: 'b:1', value: 'y' }], 5);
      await again.flush();
      assert.equal(again.stats().tables.b?.currentCount, 1);
      await again.close();
    });
  });
}
