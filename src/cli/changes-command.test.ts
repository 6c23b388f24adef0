/**
 * `multistore changes`: the feed of a file, from a version and a prefix, a
 * refused feed, and `--follow` picking up commits made between polls, beside
 * a writer that keeps the file open (the polls are driven by the test: no
 * timers). The same run as a child process, following a writer of this
 * process: changes-follow.test.ts.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isStoreError } from '../common/errors.js';
import { MultiStore } from '../store/multistore.js';
import { tempDir } from '../test-support/store-setups.js';
import { type ChangesIo, changesCommand, EXIT_REFUSED } from './changes-command.js';

const set = (key: string, value: string) => ({ type: 'set' as const, key, value });

async function write(path: string, deltas: Parameters<MultiStore['commit']>[0]): Promise<void> {
  const store = MultiStore.open({ path });
  store.commit(deltas);
  await store.close();
}

function capture(waits: ((resolve: () => void) => void)[] = []) {
  const lines: string[] = [];
  const errors: string[] = [];
  const controller = new AbortController();
  const io: ChangesIo = {
    print: (line) => lines.push(line),
    error: (line) => errors.push(line),
    // Each poll's wait runs the test's next step, then resolves; none left: stop following.
    wait: () =>
      new Promise<void>((resolve) => {
        const step = waits.shift();
        if (step === undefined) controller.abort();
        if (step === undefined) resolve();
        else step(resolve);
      }),
    signal: controller.signal,
  };
  return { lines, errors, io };
}

it('prints the feed of a file, from a version and under a prefix, and exits', async () => {
  const dir = tempDir();
  try {
    const db = join(dir.path, 'feed.db');
    await write(db, [set('a', '1'), set('b', '1')]);
    await write(db, [set('a', '2'), { type: 'remove', key: 'b' }]);
    const all = capture();
    assert.equal(await changesCommand({ db }, all.io), 0);
    assert.deepEqual(all.lines, ['"a"@1 => "1"', '"b"@1 => "1"', '"a"@2 => "2"', '"b"@2 => None']);
    const some = capture();
    assert.equal(await changesCommand({ db, from: 1, prefix: 'b' }, some.io), 0);
    assert.deepEqual(some.lines, ['"b"@2 => None']);
    await assert.rejects(
      changesCommand({ db: join(dir.path, 'missing.db') }, capture().io),
      /no such file/,
    );
  } finally {
    dir.cleanup();
  }
});

it('exits 1 when drops erased history the feed needs', async () => {
  const dir = tempDir();
  try {
    const db = join(dir.path, 'erased.db');
    await write(db, [set('a', '1')]);
    await write(db, [set('a', '2')]);
    await write(db, [{ type: 'drop', key: 'a', upToVersion: 2 }]);
    const out = capture();
    assert.equal(await changesCommand({ db }, out.io), EXIT_REFUSED);
    assert.match(out.errors[0] ?? '', /VERSION_TOO_OLD|cannot be read at version 0/);
    const resumed = capture();
    assert.equal(await changesCommand({ db, from: 2 }, resumed.io), 0);
  } finally {
    dir.cleanup();
  }
});

it('--follow prints the commits that reach the file between polls, also while a writer holds it open', async () => {
  const dir = tempDir();
  try {
    const db = join(dir.path, 'follow.db');
    await write(db, [set('k', '1')]);
    let holder: MultiStore | undefined;
    const out = capture([
      (next) => void write(db, [set('k', '2'), set('x', 'not under the prefix')]).then(next),
      (next) => {
        holder = MultiStore.open({ path: db }); // the writer keeps the file open
        holder.commit([set('k', '3')]);
        next();
      },
      (next) => {
        holder?.commit([{ type: 'remove', key: 'k' }]);
        next();
      },
      (next) => void holder?.close().then(next),
    ]);
    assert.equal(await changesCommand({ db, prefix: 'k', follow: true, interval: 1 }, out.io), 0);
    assert.deepEqual(out.lines, ['"k"@1 => "1"', '"k"@2 => "2"', '"k"@3 => "3"', '"k"@4 => None']);
  } finally {
    dir.cleanup();
  }
});

it('--follow --to stops once the feed reached that version', async () => {
  const dir = tempDir();
  try {
    const db = join(dir.path, 'until.db');
    const writer = MultiStore.open({ path: db });
    try {
      writer.commit([set('k', '1')]);
      const out = capture([
        (next) => {
          writer.commit([set('k', '2')]);
          writer.commit([set('k', '3')]);
          next();
        },
        () => assert.fail('no poll after the feed reached --to'),
      ]);
      assert.equal(await changesCommand({ db, to: 2, follow: true, interval: 1 }, out.io), 0);
      assert.deepEqual(out.lines, ['"k"@1 => "1"', '"k"@2 => "2"']);
    } finally {
      await writer.close();
    }
  } finally {
    dir.cleanup();
  }
});

it('refuses a file of an older format (a read-only open cannot upgrade it), naming the fix', async () => {
  const dir = tempDir();
  try {
    const db = join(dir.path, 'old.db');
    copyFileSync(
      fileURLToPath(new URL('../../src/tier/sqlite/fixtures/format-1.db', import.meta.url)),
      db,
    );
    await assert.rejects(
      changesCommand({ db }, capture().io),
      (e: unknown) => isStoreError(e, 'TIER_IO') && /open it once for writing/.test(String(e)),
    );
  } finally {
    dir.cleanup();
  }
});

it('refuses --from above --to instead of printing an empty feed', async () => {
  const dir = tempDir();
  try {
    const db = join(dir.path, 'feed.db');
    await write(db, [set('a', '1')]);
    await write(db, [set('a', '2')]);
    const out = capture();
    await assert.rejects(
      changesCommand({ db, from: 2, to: 1 }, out.io),
      /--from \(2\) must not be above --to \(1\)/,
    );
    await assert.rejects(
      changesCommand({ db, from: 2, to: 1, follow: true }, out.io),
      /must not be above/,
    );
    assert.deepEqual(out.lines, []);
  } finally {
    dir.cleanup();
  }
});

it('--follow stops with "no such file" when the file disappears, and never creates it', async () => {
  const dir = tempDir();
  try {
    const db = join(dir.path, 'gone.db');
    await write(db, [set('k', '1')]);
    const out = capture([
      (next) => {
        for (const suffix of ['', '-wal', '-shm', '-journal'])
          rmSync(`${db}${suffix}`, { force: true });
        next();
      },
    ]);
    await assert.rejects(changesCommand({ db, follow: true, interval: 1 }, out.io), /no such file/);
    assert.deepEqual(out.lines, ['"k"@1 => "1"']);
    assert.equal(existsSync(db), false);
  } finally {
    dir.cleanup();
  }
});
