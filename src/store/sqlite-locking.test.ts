/**
 * `sqlite: { locking }`: a writer with exclusive locking holds its file
 * alone. Its option is validated; it refuses read-only opens while it is
 * open (and is refused while read-only stores are open), with a coded
 * `STORE_LOCKED` saying so; otherwise it stores, reads, drops and reopens
 * exactly like a writer with the default normal locking. The same across
 * processes, and after a killed writer: src/tier/sqlite/locking.test.ts.
 */

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isStoreError, type LockConflict, StoreLockedError } from '../common/errors.js';
import { tempFiles } from '../test-support/store-setups.js';
import { MultiStore } from './multistore.js';

const files = tempFiles('multistore-locking-', 'locking');
const freshPath = files.fresh;

const text = (bytes: Uint8Array | undefined) => (bytes ? new TextDecoder().decode(bytes) : '-');
const entries = (store: MultiStore) =>
  [...store.range()].map((e) => `${text(e.key)}@${e.version}=${text(e.value)}`);

/** An assertion that `open` throws STORE_LOCKED for `conflict`, held in this process. */
function assertLocked(open: () => unknown, conflict: LockConflict, message: RegExp): void {
  assert.throws(open, (e: unknown) => {
    assert.ok(e instanceof StoreLockedError, String(e));
    assert.equal(e.code, 'STORE_LOCKED');
    assert.equal(e.conflict, conflict);
    assert.equal(e.holder, 'this process');
    assert.match(e.message, message);
    return true;
  });
}

describe('sqlite.locking option', () => {
  const invalid = (options: object, message: RegExp) =>
    assert.throws(
      () => MultiStore.open(options as never),
      (e: unknown) => isStoreError(e, 'INVALID_OPTIONS') && message.test(e.message),
      JSON.stringify(options),
    );

  it("accepts 'normal' and 'exclusive' and refuses anything else, naming both", async () => {
    const path = freshPath();
    for (const locking of ['EXCLUSIVE', 'shared', '', 1, true, null, {}]) {
      invalid({ path, sqlite: { locking } }, /sqlite\.locking must be 'normal' or 'exclusive'/);
    }
    invalid({ tier: 'memory', sqlite: { locking: 'exclusive' } }, /need the 'sqlite' tier/);
    invalid({ path, sqlite: { lock: 'exclusive' } }, /lock/);
    assert.equal(existsSync(path), false, 'nothing was opened');
    for (const locking of ['normal', 'exclusive', undefined] as const) {
      const store = MultiStore.open({ path, sqlite: { locking } });
      store.commit([{ type: 'set', key: 'k', value: String(locking) }]);
      await store.close();
    }
    // A private in-memory database has no other connection to keep out.
    const memory = MultiStore.open({ tier: 'sqlite', sqlite: { locking: 'exclusive' } });
    memory.commit([{ type: 'set', key: 'k', value: 'v' }], 1);
    assert.equal(text(memory.get('k')?.value), 'v');
    await memory.close();
  });

  it("refuses 'exclusive' on a read-only open (a writer's setting), and takes 'normal'", async () => {
    const path = freshPath();
    const writer = MultiStore.open({ path });
    writer.commit([{ type: 'set', key: 'k', value: 'v' }], 1);
    try {
      invalid({ path, readOnly: true, sqlite: { locking: 'exclusive' } }, /for a writer/);
      const reader = MultiStore.open({ path, readOnly: true, sqlite: { locking: 'normal' } });
      assert.equal(reader.latestVersion, 1);
      await reader.close();
    } finally {
      await writer.close();
    }
  });
});

describe('a writer with exclusive locking', () => {
  it('refuses read-only opens while it is open, with STORE_LOCKED naming exclusive locking', async () => {
    const path = freshPath();
    await MultiStore.open({ path }).close();
    const writer = MultiStore.open({ path, sqlite: { locking: 'exclusive' } });
    writer.commit([{ type: 'set', key: 'a', value: '1' }], 1);
    try {
      assertLocked(
        () => MultiStore.open({ path, readOnly: true }),
        'exclusive writer',
        /exclusive locking.*admits no reader/,
      );
      assertLocked(() => MultiStore.open({ path }), 'writer', /already open for writing/);
    } finally {
      await writer.close();
    }
    const reader = MultiStore.open({ path, readOnly: true });
    assert.deepEqual(entries(reader), ['a@1=1'], 'readers are welcome once it has closed');
    await reader.close();
  });

  it('is refused while read-only stores of this process have the file open; a normal writer is not', async () => {
    const path = freshPath();
    await MultiStore.open({ path }).close();
    const reader = MultiStore.open({ path, readOnly: true });
    const second = MultiStore.open({ path, readOnly: true });
    try {
      assertLocked(
        () => MultiStore.open({ path, sqlite: { locking: 'exclusive' } }),
        'readers',
        /needs the file alone/,
      );
      await second.close();
      assertLocked(
        () => MultiStore.open({ path, sqlite: { locking: 'exclusive' } }),
        'readers',
        /needs the file alone/,
      );
      const normal = MultiStore.open({ path });
      normal.commit([{ type: 'set', key: 'a', value: '1' }], 1);
      assert.equal(reader.latestVersion, 1);
      await normal.close();
    } finally {
      await reader.close();
    }
    const writer = MultiStore.open({ path, sqlite: { locking: 'exclusive' } });
    assert.equal(writer.latestVersion, 1, 'taken once the last reader closed');
    await writer.close();
  });

  it('writes, reads, drops, verifies and reopens like a normal writer, with no shared-memory index', async () => {
    const path = freshPath();
    const tables = [{ name: 'sessions', prefix: 's:', retention: { keepLastVersions: 1 } }];
    const exclusive = MultiStore.open({ path, tables, sqlite: { locking: 'exclusive' } });
    for (let version = 1; version <= 5; version++) {
      exclusive.commit(
        [
          { type: 'set', key: 'a', value: `a${version}` },
          { type: 'set', key: 's:1', value: `s${version}` },
        ],
        version,
      );
    }
    exclusive.commit([{ type: 'drop', key: 'a', keepLastVersions: 2 }], 6);
    await exclusive.flush();
    const seen = {
      entries: entries(exclusive),
      versions: exclusive.versions('a').map((v) => v.version),
      old: text(exclusive.get('a', 4)?.value),
      stats: exclusive.stats(),
    };
    assert.deepEqual(seen.entries, ['a@5=a5', 's:1@5=s5']);
    assert.deepEqual(seen.versions, [5, 4]);
    assert.deepEqual(exclusive.verify(), []);
    assert.ok(existsSync(`${path}-wal`), 'WAL mode');
    assert.equal(existsSync(`${path}-shm`), false, 'the WAL index is in the writer, not in -shm');
    await exclusive.close();
    for (const locking of ['normal', 'exclusive'] as const) {
      const reopened = MultiStore.open({ path, sqlite: { locking } });
      try {
        assert.deepEqual(entries(reopened), seen.entries, locking);
        assert.deepEqual(
          reopened.versions('a').map((v) => v.version),
          seen.versions,
          locking,
        );
        assert.equal(text(reopened.get('a', 4)?.value), seen.old, locking);
        assert.deepEqual(reopened.stats(), seen.stats, locking);
        assert.deepEqual(reopened.verify(), [], locking);
        assert.equal(reopened.latestVersion, 6, locking);
      } finally {
        await reopened.close();
      }
    }
  });
});
