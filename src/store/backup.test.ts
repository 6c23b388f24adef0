/**
 * `store.backup(path)`: a consistent copy of a live SQLite store, taken while
 * commits go on, that opens as a normal file; never over an existing file.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isStoreError } from '../common/errors.js';
import { tempDir } from '../test-support/store-setups.js';
import { MultiStore } from './multistore.js';

let dir: ReturnType<typeof tempDir>;
let counter = 0;
const freshPath = (name = 'store') => join(dir.path, `${name}-${++counter}.db`);

before(() => {
  dir = tempDir('multistore-backup-');
});
after(() => dir.cleanup());

const KEYS = 40;
const text = (bytes: Uint8Array | undefined) => (bytes ? new TextDecoder().decode(bytes) : '-');

/** Commit `v`: key `k<v % KEYS>` and the counter `n` set to v, a 2 KB value so the file has many pages. */
function commitAt(store: MultiStore, v: number): void {
  store.commit(
    [
      { type: 'set', key: `k${v % KEYS}`, value: `${v}:${'x'.repeat(2000)}` },
      { type: 'set', key: 'n', value: String(v) },
      { type: 'drop', key: `k${v % KEYS}`, keepLastVersions: 2 },
    ],
    v,
  );
}

describe('store.backup', () => {
  it('copies a consistent state while commits go on; the copy opens as a normal store', async () => {
    const path = freshPath();
    const store = MultiStore.open({ path });
    let v = 0;
    try {
      while (v < 400) commitAt(store, ++v);
      const target = freshPath('copy');
      const backup = store.backup(target);
      // Commits between the backup's steps (each runs on a later turn).
      let during = 0;
      let done = false;
      backup.then(
        () => {
          done = true;
        },
        () => {
          done = true;
        },
      );
      while (!done) {
        commitAt(store, ++v);
        during++;
        await new Promise((resolve) => setImmediate(resolve));
      }
      await backup;
      assert.ok(during > 0, 'commits went on during the backup');
      const copy = MultiStore.open({ path: target });
      try {
        const latest = copy.latestVersion;
        assert.ok(latest >= 400 && latest <= v, `latest ${latest}`);
        assert.equal(text(copy.get('n')?.value), String(latest), 'the counter of the same commit');
        for (let i = 0; i < KEYS; i++) {
          const last = latest - ((((latest - i) % KEYS) + KEYS) % KEYS);
          assert.equal(text(copy.get(`k${i}`)?.value).split(':')[0], String(last), `k${i}`);
        }
        assert.deepEqual(copy.verify(), []);
        await copy.flush();
        assert.deepEqual(copy.verify(), []);
      } finally {
        await copy.close();
      }
    } finally {
      await store.close();
    }
    assert.deepEqual(
      readdirSync(dir.path).filter((name) => name.includes('.partial-')),
      [],
      'no temporary file is left',
    );
  });

  it('a read-only store backs up the file too', async () => {
    const path = freshPath();
    const writer = MultiStore.open({ path });
    for (let v = 1; v <= 20; v++) commitAt(writer, v);
    const reader = MultiStore.open({ path, readOnly: true });
    try {
      const target = freshPath('copy');
      await reader.backup(target);
      const copy = MultiStore.open({ path: target, readOnly: true });
      assert.equal(copy.latestVersion, 20);
      await copy.close();
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('never overwrites a file, needs a file to copy, and is refused once closed', async () => {
    const path = freshPath();
    const store = MultiStore.open({ path });
    const existing = freshPath('existing');
    writeFileSync(existing, 'precious');
    const rejects = (promise: Promise<void>, code: string): Promise<void> =>
      assert.rejects(promise, (e: unknown) => isStoreError(e) && e.code === code);
    try {
      await rejects(store.backup(existing), 'INVALID_ARGUMENT');
      await rejects(store.backup(path), 'INVALID_ARGUMENT');
      await rejects(store.backup(''), 'INVALID_ARGUMENT');
      await rejects(store.backup(':memory:'), 'INVALID_ARGUMENT');
      assert.ok(!existsSync(':memory:'), 'no file named :memory: in the working directory');
      await rejects(store.backup(3 as unknown as string), 'INVALID_ARGUMENT');
      await rejects(store.backup(join(dir.path, 'no-such-dir', 'x.db')), 'TIER_IO');
      const memory = MultiStore.open();
      await rejects(memory.backup(freshPath()), 'INVALID_ARGUMENT');
      await memory.close();
    } finally {
      await store.close();
    }
    await rejects(store.backup(freshPath()), 'STORE_CLOSED');
    assert.ok(existsSync(existing));
  });

  it('two backups racing to one target: one copy is made, the other refused (INVALID_ARGUMENT), no leftovers', async () => {
    const path = freshPath();
    const store = MultiStore.open({ path });
    try {
      for (let v = 1; v <= 50; v++) commitAt(store, v);
      const target = freshPath('raced');
      const results = await Promise.allSettled([store.backup(target), store.backup(target)]);
      // Either may finish its copy first (SQLite copies off the main thread): one wins.
      assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
      const refused = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult)
        .reason;
      assert.ok(isStoreError(refused, 'INVALID_ARGUMENT'), String(refused));
      assert.deepEqual(
        readdirSync(dir.path).filter((name) => name.startsWith(basename(target))),
        [basename(target)],
      );
      const copy = MultiStore.open({ path: target, readOnly: true });
      assert.equal(copy.latestVersion, 50);
      await copy.close();
    } finally {
      await store.close();
    }
  });

  it('a process killed during a backup leaves no target, only its temporary file; the store is intact', async () => {
    const path = freshPath();
    const store = MultiStore.open({ path });
    for (let v = 1; v <= 1000; v++) commitAt(store, v);
    await store.close();
    const target = freshPath('killed');
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { readdirSync } from 'node:fs';
         import { MultiStore } from ${JSON.stringify(new URL('./multistore.js', import.meta.url).href)};
         const store = MultiStore.open({ path: ${JSON.stringify(path)} });
         store.backup(${JSON.stringify(target)});
         // Say so once the temporary copy exists: the copy is under way.
         const look = setInterval(() => {
           if (!readdirSync(${JSON.stringify(dir.path)}).some((n) => n.includes('.partial-'))) return;
           clearInterval(look);
           console.log('copying');
           // Hold the thread until killed: the copy's next step (and the link
           // to the target) can never run, whatever the machine's load.
           Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
         }, 0);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));
    assert.ok(!existsSync(target), 'the target appears complete or not at all');
    const leftovers = readdirSync(dir.path).filter((name) => name.includes('.partial-'));
    const stem = `${basename(target)}.partial-${child.pid}-1`;
    assert.ok(leftovers.includes(stem), 'the temporary copy is left (README)');
    assert.ok(
      leftovers.every((name) => name.startsWith(stem)),
      `only it (and its journal): ${leftovers}`,
    );
    const again = MultiStore.open({ path });
    try {
      assert.equal(again.latestVersion, 1000);
      assert.deepEqual(again.verify(), []);
    } finally {
      await again.close();
    }
  });

  it('close waits for a backup in progress', async () => {
    const path = freshPath();
    const store = MultiStore.open({ path });
    for (let v = 1; v <= 300; v++) commitAt(store, v);
    const target = freshPath('copy');
    const backup = store.backup(target);
    await store.close();
    await backup;
    const copy = MultiStore.open({ path: target });
    assert.equal(copy.latestVersion, 300);
    await copy.close();
  });
});
