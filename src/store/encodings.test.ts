import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isStoreError } from '../common/errors.js';
import type { StorageStatsRecorded } from '../event/events.js';
import { forEachStoreSetup, tempDir } from '../test-support/store-setups.js';
import type { OrderedKey } from './encodings.js';
import { MultiStore } from './multistore.js';

const throwsCode = (fn: () => unknown, code: string, message?: RegExp) =>
  assert.throws(
    fn,
    (error: unknown) =>
      isStoreError(error, code as never) && (message === undefined || message.test(error.message)),
  );

forEachStoreSetup((setup) => {
  it('utf8 keys and json values: commits, reads, ranges, versions and events speak them', async () => {
    const store = setup.open({ keyEncoding: 'utf8', valueEncoding: 'json' });
    const events: StorageStatsRecorded<string>[] = [];
    store.events.on('storage-stats', (event) => events.push(event));
    try {
      store.commit([{ type: 'set', key: 'user:1', value: { name: 'Ada', tags: ['a'] } }], 1);
      store.commit([{ type: 'set', key: 'user:2', value: 42 }], 2);
      store.commit([{ type: 'set', key: 'user:1', value: null }], 3);
      store.commit([{ type: 'remove', key: 'user:2' }], 4);
      // Typed: a string key, an unknown value.
      const key: string | undefined = store.get('user:1', 1)?.key;
      assert.equal(key, 'user:1');
      assert.deepEqual(store.get('user:1', 2)?.value, { name: 'Ada', tags: ['a'] });
      assert.equal(store.get('user:1')?.value, null, 'null is a value, not an absence');
      assert.equal(store.contains('user:2'), false);
      assert.deepEqual(
        [...store.range({ prefix: 'user:' }, { version: 2 })].map((e) => [e.key, e.value]),
        [
          ['user:1', { name: 'Ada', tags: ['a'] }],
          ['user:2', 42],
        ],
      );
      assert.deepEqual(
        [
          ...store.range({ start: 'user:1', end: 'user:2', endInclusive: true }, { version: 2 }),
        ].map((e) => e.key),
        ['user:1', 'user:2'],
      );
      assert.deepEqual(store.versions('user:2'), [
        { version: 4, value: undefined },
        { version: 2, value: 42 },
      ]);
      await store.flush();
      assert.deepEqual(
        events.flatMap((event) => [...event.writes, ...event.deletes].map((e) => e.key)),
        ['user:1', 'user:2', 'user:1', 'user:2'],
      );
      assert.ok(Object.isFrozen(events[0]?.writes[0]));
    } finally {
      await store.close();
    }
  });

  it('ordered keys sort as their values: numbers numerically, arrays element by element', async () => {
    const store = setup.open({ keyEncoding: 'ordered', valueEncoding: 'utf8' });
    try {
      const keys: OrderedKey[] = [10, -1.5, 2, 'b', 'a', ['user', 10], ['user', 2], true, null];
      store.commit(keys.map((key) => ({ type: 'set', key, value: JSON.stringify(key) })));
      const all = [...store.range()].map((e) => e.key);
      assert.deepEqual(all, [null, true, -1.5, 2, 10, 'a', 'b', ['user', 2], ['user', 10]]);
      assert.deepEqual(
        [...store.range({ start: 0, end: 100 }, { reverse: true })].map((e) => e.key),
        [10, 2],
      );
      assert.deepEqual(
        [...store.range({ start: ['user', 3], end: ['user', 100] })].map((e) => e.value),
        ['["user",10]'],
      );
      const value: string | undefined = store.get(['user', 2])?.value;
      assert.equal(value, '["user",2]');
      assert.deepEqual(store.get(-1.5)?.key, -1.5);
    } finally {
      await store.close();
    }
  });

  it('msgpack values keep their types: nested objects, bytes, dates, numbers', async () => {
    const store = setup.open({ valueEncoding: 'msgpack' });
    try {
      const value = {
        n: 1.5,
        big: 2 ** 40,
        list: [1, 'two', null, false],
        bytes: new Uint8Array([1, 2, 3]),
        when: new Date(0),
      };
      store.commit([{ type: 'set', key: 'doc', value }]);
      const read = store.get('doc');
      assert.ok(read !== undefined);
      assert.ok(read.key instanceof Uint8Array, 'binary keys stay bytes');
      const back = read.value as typeof value;
      assert.equal(back.n, 1.5);
      assert.equal(back.big, 2 ** 40);
      assert.deepEqual(back.list, [1, 'two', null, false]);
      assert.deepEqual([...back.bytes], [1, 2, 3]);
      assert.equal(back.when.getTime(), 0);
    } finally {
      await store.close();
    }
  });

  it('transactions and snapshots read and write in the encodings', async () => {
    const store = setup.open({ keyEncoding: 'utf8', valueEncoding: 'json' });
    try {
      const first = store.commit([{ type: 'set', key: 'n', value: { count: 1 } }]);
      const total = store.transaction((tx) => {
        const count = (tx.get('n')?.value as { count: number } | undefined)?.count ?? 0;
        assert.equal(count, 1);
        tx.set('n', { count: count + 1 });
        tx.set('m', [count + 1]);
        assert.deepEqual(
          [...tx.range()].map((e) => [e.key, e.value, e.version]),
          [
            ['m', [2], undefined],
            ['n', { count: 2 }, undefined],
          ],
        );
        return count + 1;
      });
      assert.equal(total, 2);
      const past = store.begin({ readOnly: true, asOf: first });
      assert.deepEqual(past.get('n')?.value, { count: 1 });
      assert.equal(past.get('m'), undefined);
      assert.deepEqual(
        [...past.range({ prefix: 'n' })].map((e) => e.value),
        [{ count: 1 }],
      );
      past.rollback();
      const tx = store.begin();
      throwsCode(() => tx.set('k', undefined), 'INVALID_VALUE');
      throwsCode(() => tx.set(new Uint8Array([1]) as never, 1), 'INVALID_KEY', /utf8/);
      tx.drop('n', { keepLastVersions: 1 });
      tx.commit();
      await store.flush();
      assert.deepEqual(
        store.versions('n').map((v) => v.value),
        [{ count: 2 }],
      );
    } finally {
      await store.close();
    }
  });

  it('input an encoding cannot take is refused with a code, and nothing is written', async () => {
    const store = setup.open({ keyEncoding: 'ordered', valueEncoding: 'json' });
    try {
      const bad: [() => unknown, string, RegExp][] = [
        [
          () => store.commit([{ type: 'set', key: {} as never, value: 1 }]),
          'INVALID_KEY',
          /ordered/,
        ],
        [
          () => store.commit([{ type: 'set', key: [], value: 1 }]),
          'INVALID_KEY',
          /non-empty array/,
        ],
        [() => store.commit([{ type: 'set', key: Number.NaN, value: 1 }]), 'INVALID_KEY', /finite/],
        [() => store.commit([{ type: 'set', key: 1, value: 1n }]), 'INVALID_VALUE', /BigInt/],
        [() => store.commit([{ type: 'set', key: 1, value: () => 1 }]), 'INVALID_VALUE', /JSON/],
        [
          () => store.commit([{ type: 'set', key: 1, value: undefined }]),
          'INVALID_DELTA',
          /no value/,
        ],
        [() => store.get({} as never), 'INVALID_KEY', /ordered/],
        [() => store.range({ prefix: [{}] as never }), 'INVALID_KEY', /^prefix/],
        [() => store.versions(Symbol('k') as never), 'INVALID_KEY', /ordered/],
      ];
      for (const [call, code, message] of bad) throwsCode(call, code, message);
      const cyclic: { self?: unknown } = {};
      cyclic.self = cyclic;
      throwsCode(
        () =>
          store.commit([
            { type: 'set', key: 'fine', value: 1 },
            { type: 'set', key: 2, value: cyclic },
          ]),
        'INVALID_VALUE',
      );
      assert.equal(store.latestVersion, 0);
      assert.deepEqual([...store.range()], []);
    } finally {
      await store.close();
    }
  });
});

describe('encodings at open', () => {
  it('unknown encodings are INVALID_OPTIONS', () => {
    throwsCode(
      () => MultiStore.open({ keyEncoding: 'json' as never }),
      'INVALID_OPTIONS',
      /keyEncoding must be one of 'binary', 'utf8', 'ordered', got the string "json"/,
    );
    throwsCode(
      () => MultiStore.open({ valueEncoding: 'ordered' as never }),
      'INVALID_OPTIONS',
      /valueEncoding must be one of/,
    );
  });

  it('the encodings are kept in the file: reopening with others is INVALID_OPTIONS', async () => {
    const dir = tempDir();
    const path = join(dir.path, 'encodings.db');
    try {
      const store = MultiStore.open({ path, keyEncoding: 'utf8', valueEncoding: 'json' });
      store.commit([{ type: 'set', key: 'a', value: { x: 1 } }]);
      await store.close();
      for (const options of [
        {},
        { keyEncoding: 'utf8' as const },
        { keyEncoding: 'binary' as const, valueEncoding: 'json' as const },
        { keyEncoding: 'utf8' as const, valueEncoding: 'msgpack' as const },
      ]) {
        throwsCode(
          () => MultiStore.open({ path, ...options }),
          'INVALID_OPTIONS',
          /written with keyEncoding 'utf8' and valueEncoding 'json'/,
        );
      }
      const again = MultiStore.open({ path, keyEncoding: 'utf8', valueEncoding: 'json' });
      assert.deepEqual(again.get('a')?.value, { x: 1 });
      await again.close();
    } finally {
      dir.cleanup();
    }
  });

  it('a file of binary data opens as binary only; an empty one takes any encodings', async () => {
    const dir = tempDir();
    const binary = join(dir.path, 'binary.db');
    const empty = join(dir.path, 'empty.db');
    try {
      const store = MultiStore.open({ path: binary });
      store.commit([{ type: 'set', key: 'a', value: 'b' }]);
      await store.close();
      throwsCode(
        () => MultiStore.open({ path: binary, valueEncoding: 'utf8' }),
        'INVALID_OPTIONS',
        /holds data written with the default encodings, keyEncoding 'binary' and valueEncoding 'binary'; open it with those/,
      );
      const reopened = MultiStore.open({ path: binary, keyEncoding: 'binary' });
      assert.deepEqual(reopened.get('a')?.value, new TextEncoder().encode('b'));
      await reopened.close();
      await MultiStore.open({ path: empty }).close();
      const typed = MultiStore.open({ path: empty, valueEncoding: 'msgpack' });
      typed.commit([{ type: 'set', key: 'k', value: [1] }]);
      await typed.close();
      throwsCode(() => MultiStore.open({ path: empty }), 'INVALID_OPTIONS');
    } finally {
      dir.cleanup();
    }
  });

  it('TypeScript types reads after the encodings', async () => {
    const bytes = MultiStore.open();
    const text = MultiStore.open({ keyEncoding: 'utf8', valueEncoding: 'utf8' });
    try {
      bytes.commit([{ type: 'set', key: 'k', value: new Uint8Array([1]) }]);
      text.commit([{ type: 'set', key: 'k', value: 'v' }]);
      const raw: Uint8Array | undefined = bytes.get('k')?.value;
      const value: string | undefined = text.get('k')?.value;
      const keys: string[] = [...text.range()].map((e) => e.key);
      // @ts-expect-error a utf8 store takes string keys only
      throwsCode(() => text.get(new Uint8Array([107])), 'INVALID_KEY');
      assert.deepEqual([raw, value, keys], [new Uint8Array([1]), 'v', ['k']]);
    } finally {
      await bytes.close();
      await text.close();
    }
  });
});
