/**
 * A store opened on a file of an earlier format (real ones, made by the code
 * of that format: src/tier/sqlite/fixtures/README.md; format 1 without
 * horizons, format 2 with the horizons transactions record) works at once:
 * its figures were recounted by the migration and match its data, its
 * horizons still refuse reads of erased history, and the retention drops
 * that format lost in a crash are swept once. Also: a retention policy made
 * stricter between opens is applied to the data written before, once.
 */

import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { utf8 } from '../common/bytes.js';
import { isStoreError } from '../common/errors.js';
import { figuresOf } from '../test-support/store-model.js';
import { tempDir } from '../test-support/store-setups.js';
import { MultiStore } from './multistore.js';
import type { TableDeclaration } from './options.js';

const fixture = (format: number) =>
  fileURLToPath(new URL(`../../src/tier/sqlite/fixtures/format-${format}.db`, import.meta.url));

const KEYS: Record<string, string[]> = {
  multi: ['m:0', 'm:1', 'm:2', 'm:3'],
  sessions: ['s:0', 's:1', 's:2', 's:3'],
  recent: ['r:0', 'r:1', 'r:2', 'r:3'],
  events: ['e:0', 'e:1', 'e:2', 'e:3'],
};

let dir: ReturnType<typeof tempDir>;
let counter = 0;
function copyOfFixture(format: number): string {
  const path = join(dir.path, `upgrade-${++counter}.db`);
  copyFileSync(fixture(format), path);
  return path;
}

before(() => {
  dir = tempDir('multistore-upgrade-');
});
after(() => dir.cleanup());

const versionsOf = (store: MultiStore, key: string) => store.versions(key).map((v) => v.version);

/** The statistics of every table equal figures counted from `versions`. */
function assertFiguresMatchData(store: MultiStore): void {
  const tables = store.stats().tables;
  for (const [table, keys] of Object.entries(KEYS)) {
    const counted = figuresOf(keys.map((key) => [utf8(key), store.versions(key)] as const));
    assert.deepEqual({ ...tables[table] }, counted, `figures of ${table}`);
  }
  assert.deepEqual(store.verify(), []);
}

/** A read of `key` at `version` is refused, erased history. */
function assertErased(store: MultiStore, key: string, version: number): void {
  assert.throws(
    () => store.get(key, version),
    (e: unknown) => isStoreError(e, 'VERSION_TOO_OLD'),
    `${key} at ${version}`,
  );
}

for (const [format, actorMode] of [
  [1, 'event-loop'],
  [1, 'inline'],
  [2, 'event-loop'],
  [2, 'inline'],
] as const) {
  describe(`a file of format ${format} (${actorMode} mode)`, () => {
    it('opens with its figures recounted, and its lost retention drops are swept once', async () => {
      const path = copyOfFixture(format);
      const store = MultiStore.open({ path, actorMode });
      try {
        assert.equal(store.latestVersion, 9);
        assert.deepEqual(
          versionsOf(store, 's:0'),
          [8, 7, 6],
          'retention drops the old format lost',
        );
        if (format === 2) {
          assertErased(store, 's:0', 3);
          assertErased(store, 'm:1', 2);
          assert.equal(
            store.get('s:0', 6)?.version,
            6,
            'the horizon ends where reads are answered',
          );
        } else {
          assert.equal(store.get('s:0', 3), undefined, 'format 1 erased without horizons');
        }
        assertFiguresMatchData(store);
        await store.flush();
        assertErased(store, 's:0', 7);
        for (const key of KEYS.sessions ?? []) assert.deepEqual(versionsOf(store, key), [8]);
        for (const key of KEYS.recent ?? []) assert.deepEqual(versionsOf(store, key), [8, 7]);
        assert.deepEqual(
          versionsOf(store, 'e:1'),
          [7, 6, 4, 3, 1],
          'a lost explicit drop stays lost',
        );
        assert.deepEqual(versionsOf(store, 'm:1'), [8, 7, 6, 5, 4]);
        assertFiguresMatchData(store);
        assert.equal(store.dropWorkerStats().requests, 8);
      } finally {
        await store.close();
      }
      const again = MultiStore.open({ path, actorMode });
      try {
        await again.flush();
        assert.equal(again.dropWorkerStats().requests, 0, 'nothing left to sweep or recover');
        assertFiguresMatchData(again);
      } finally {
        await again.close();
      }
    });

    // A file made here: once per actor mode.
    if (format !== 1) return;
    it('a stricter retention policy is applied to the data written before it, once', async () => {
      const path = join(dir.path, `stricter-${++counter}-${actorMode}.db`);
      const keep = (n: number): TableDeclaration[] => [
        { name: 'recent', prefix: 'r:', retention: { keepLastVersions: n } },
      ];
      const first = MultiStore.open({ path, actorMode, tables: keep(3) });
      for (let v = 1; v <= 4; v++) first.commit([{ type: 'set', key: 'r:a', value: `${v}` }], v);
      await first.close();
      const looser = MultiStore.open({ path, actorMode, tables: keep(5) });
      await looser.flush();
      assert.equal(looser.dropWorkerStats().requests, 0, 'a looser policy needs no sweep');
      assert.deepEqual(versionsOf(looser, 'r:a'), [4, 3, 2]);
      await looser.close();
      const stricter = MultiStore.open({ path, actorMode, tables: keep(1) });
      await stricter.flush();
      assert.equal(stricter.dropWorkerStats().requests, 1);
      assert.deepEqual(versionsOf(stricter, 'r:a'), [4]);
      assert.deepEqual(stricter.verify(), []);
      await stricter.close();
      const again = MultiStore.open({ path, actorMode, tables: keep(1) });
      await again.flush();
      assert.equal(again.dropWorkerStats().requests, 0, 'swept once');
      await again.close();
    });
  });
}
