/**
 * Two stores on one SQLite file in one process: the decision is "one open
 * store per file". The second `MultiStore.open` fails with STORE_LOCKED
 * (however the path is spelled: relative, with `..`, through a symlink), the
 * first keeps working, and once the first is closed a new open works and sees
 * its data. A failed second open leaves the lock with the first store.
 */

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isStoreError, type StoreLockedError } from '../../common/errors.js';
import { MultiStore } from '../../store/multistore.js';
import { STORE_SETUPS, tempDir, text } from '../../test-support/store-setups.js';

const TABLES = [{ name: 'single', prefix: 's:', retention: { keepLastVersions: 1 } }];

function isLocked(error: unknown): boolean {
  return isStoreError(error, 'STORE_LOCKED');
}

describe('two stores on the same SQLite file in one process', () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir('multistore-two-stores-');
  });
  after(() => dir.cleanup());

  for (const { actorMode } of STORE_SETUPS.filter((setup) => setup.tier === 'sqlite')) {
    it(`${actorMode} mode: the second open fails with STORE_LOCKED, the first keeps working`, async () => {
      const folder = join(dir.path, actorMode);
      mkdirSync(join(folder, 'sub'), { recursive: true });
      const path = join(folder, 'data.db');
      const link = join(folder, 'link.db');
      const first = MultiStore.open({ path, actorMode, tables: TABLES });
      first.commit(
        [
          { type: 'set', key: 's:1', value: 'one' },
          { type: 'set', key: 'a', value: 'x' },
        ],
        1,
      );
      symlinkSync(path, link);
      const spellings = [
        path,
        relative(process.cwd(), path),
        join(folder, 'sub', '..', 'data.db'),
        link,
      ];
      for (const spelling of spellings) {
        assert.throws(
          () => MultiStore.open({ path: spelling, actorMode, tables: TABLES }),
          isLocked,
          spelling,
        );
        assert.throws(
          () => MultiStore.open({ path: spelling }),
          isLocked,
          `${spelling}, no tables`,
        );
      }

      first.commit([{ type: 'set', key: 's:1', value: 'two' }], 2);
      await first.flush();
      assert.equal(text(first.get('s:1')?.value), 'two');
      assert.equal(first.versions('s:1').length, 1, 'the drop worker still runs');
      assert.equal(first.stats().tables.single?.currentCount, 1);
      await first.close();

      const second = MultiStore.open({ path: link, actorMode, tables: TABLES });
      try {
        assert.equal(second.latestVersion, 2);
        assert.equal(text(second.get('s:1')?.value), 'two');
        assert.equal(text(second.get('a', 1)?.value), 'x');
        assert.throws(() => MultiStore.open({ path, actorMode }), isLocked, 'locked again');
        second.commit([{ type: 'set', key: 's:1', value: 'three' }], 3);
        await second.flush();
        assert.equal(second.stats().total.currentCount, 2);
      } finally {
        await second.close();
      }
      const third = MultiStore.open({ path, actorMode, tables: TABLES });
      assert.equal(text(third.get('s:1')?.value), 'three');
      await third.close();
    });
  }

  it('a symlink made before its file exists is followed: the file it creates refuses a second writer and, held exclusively, a reader', async () => {
    const folder = join(dir.path, 'dangling');
    mkdirSync(join(folder, 'links'), { recursive: true });
    const path = join(folder, 'data.db');
    // Two hops, the second relative to the link's own folder.
    const link = join(folder, 'links', 'second.db');
    symlinkSync(join('..', 'data.db'), join(folder, 'links', 'first.db'));
    symlinkSync('first.db', link);
    for (const locking of ['normal', 'exclusive'] as const) {
      const first = MultiStore.open({ path: link, sqlite: { locking } });
      try {
        first.commit([{ type: 'set', key: 'a', value: locking }]);
        assert.ok(existsSync(path), 'SQLite created the file the links lead to');
        assert.throws(() => MultiStore.open({ path }), isLocked, `${locking}: a second writer`);
        if (locking === 'exclusive') {
          assert.throws(
            () => MultiStore.open({ path, readOnly: true }),
            (error: unknown) =>
              isLocked(error) && (error as StoreLockedError).holder === 'this process',
            'a reader, at once',
          );
        }
      } finally {
        await first.close();
      }
      rmSync(path);
    }
  });

  it('an open that fails after claiming the file (tables differ from the stored ones) releases it', async () => {
    const path = join(dir.path, 'failed.db');
    const store = MultiStore.open({ path, tables: TABLES });
    store.commit([{ type: 'set', key: 's:1', value: 'kept' }], 1);
    await store.close();
    const other = [{ name: 'other', prefix: 'o:' }];
    assert.throws(
      () => MultiStore.open({ path, tables: other }),
      (error: unknown) => isStoreError(error, 'INVALID_OPTIONS'),
    );
    const again = MultiStore.open({ path });
    try {
      assert.equal(text(again.get('s:1')?.value), 'kept');
      assert.throws(() => MultiStore.open({ path }), isLocked);
    } finally {
      await again.close();
    }
  });
});
