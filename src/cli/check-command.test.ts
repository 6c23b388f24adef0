/**
 * `multistore check` and `multistore shell --read-only`, run as the built
 * executable, on a quiet file and on a file another process is writing.
 */

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import { MultiStore } from '../store/multistore.js';
import { assertOneLineError, nonEmptyLines, runMultistore } from '../test-support/cli-process.js';
import { tempFiles } from '../test-support/store-setups.js';

const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
const STORE_MODULE = new URL('../store/multistore.js', import.meta.url).href;

const files = tempFiles('multistore-check-', 'check');
const freshPath = files.fresh;

async function makeFile(path: string): Promise<void> {
  const store = MultiStore.open({
    path,
    tables: [{ name: 'sessions', prefix: 's:', retention: { keepLastVersions: 1 } }],
  });
  for (let v = 1; v <= 5; v++)
    store.commit(
      [
        { type: 'set', key: `s:${v % 2}`, value: `session ${v}` },
        { type: 'set', key: 'k', value: 'x'.repeat(v) },
      ],
      v,
    );
  await store.close();
}

/** A child process committing to `path` until killed; resolves once it has committed. */
async function startWriter(path: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { MultiStore } from ${JSON.stringify(STORE_MODULE)};
       const store = MultiStore.open({ path: ${JSON.stringify(path)} });
       let v = store.latestVersion;
       const tick = () => {
         for (let i = 0; i < 20; i++) { v++; store.commit([{ type: 'set', key: 'live:' + (v % 50), value: 'v' + v }, { type: 'drop', key: 'live:' + (v % 50), keepLastVersions: 2 }], v); }
         if (v === store.latestVersion && v > 40 && !globalThis.said) { globalThis.said = true; console.log('writing'); }
         setImmediate(tick);
       };
       tick();`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('close', resolve));
}

describe('multistore check', () => {
  it('exits 0 and says so when the figures match the data', async () => {
    const path = freshPath();
    await makeFile(path);
    const result = runMultistore(['check', path]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(nonEmptyLines(result.stdout), ['ok: the figures of 2 tables match the data']);
  });

  it('prints every difference and exits 1 when the file keeps wrong figures', async () => {
    const path = freshPath();
    await makeFile(path);
    const db = new Driver(path);
    db.prepare(
      "UPDATE multistore_figures SET current_count = 7, historical_value_bytes = 1 WHERE name = 'multi'",
    ).run();
    db.close();
    const result = runMultistore(['check', path]);
    assert.equal(result.status, 1);
    assert.deepEqual(nonEmptyLines(result.stdout), [
      '"multi": currentCount is 7 in the file, 1 counted',
      '"multi": historicalValueBytes is 1 in the file, 10 counted',
      '2 differences',
    ]);
  });

  it('reports horizons the data contradicts: a version inside one, a floor below one', async () => {
    const path = freshPath();
    await makeFile(path);
    const db = new Driver(path);
    const sessions = Buffer.from('sessions').toString('hex');
    // s:1 was written at 1, 3, 5 and keeps 1: its horizon is [1, 5), the table's floor 5.
    db.prepare(`INSERT INTO t_${sessions} (key, version, value) VALUES (?, 2, NULL)`).run(
      Buffer.from('s:1'),
    );
    db.prepare('UPDATE multistore_meta SET value = 4 WHERE name = ?').run(
      `readable_floor:${sessions}`,
    );
    db.close();
    const result = runMultistore(['check', path]);
    assert.equal(result.status, 1);
    assert.deepEqual(nonEmptyLines(result.stdout), [
      '"sessions": historicalCount is 0 in the file, 1 counted',
      '"sessions": historicalKeyBytes is 0 in the file, 13 counted',
      '"sessions": versionsInHorizons is 0 in the file, 1 counted',
      '"sessions": readableFloor is 4 in the file, 5 counted',
      '4 differences',
    ]);
  });

  it('reports a latest version below a stored version (new commits would land under it)', async () => {
    const path = freshPath();
    await makeFile(path);
    const db = new Driver(path);
    db.prepare("UPDATE multistore_meta SET value = 2 WHERE name = 'latest_version'").run();
    db.close();
    const result = runMultistore(['check', path]);
    assert.equal(result.status, 1, result.stdout);
    assert.deepEqual(nonEmptyLines(result.stdout), [
      '"multi": latestVersion is 2 in the file, 5 counted',
      '"sessions": latestVersion is 2 in the file, 5 counted',
      '2 differences',
    ]);
  });

  it('exits 2 with one line for a file it cannot open', () => {
    const result = runMultistore(['check', join(files.path, 'missing.db')]);
    assert.equal(result.status, 2);
    assertOneLineError(result, /^multistore check: .*missing\.db/);
  });

  it('exits 2 with one line for a file whose drop log or figures cannot be read (a writer could not open it)', async () => {
    for (const [damage, reason] of [
      ["INSERT INTO multistore_log (seq, record) VALUES (999, x'02ff')", /drop log record 999/],
      ['DROP TABLE multistore_figures', /figures/],
    ] as const) {
      const path = freshPath();
      await makeFile(path);
      const db = new Driver(path);
      db.exec(damage);
      db.close();
      assert.throws(
        () => MultiStore.open({ path }),
        (e: unknown) => (e as { code?: unknown }).code === 'TIER_IO',
        'a writer refuses it',
      );
      const result = runMultistore(['check', path]);
      assert.equal(result.status, 2, `${damage}: ${result.stdout}`);
      assertOneLineError(result, /^multistore check: /);
      assert.match(result.stderr, reason);
    }
  });

  it('checks a file another process is writing (one snapshot), and so does a read-only shell', async () => {
    const path = freshPath();
    await makeFile(path);
    const writer = await startWriter(path);
    try {
      for (let round = 0; round < 3; round++) {
        const result = runMultistore(['check', path]);
        assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
      }
      const shell = runMultistore(['shell', '--db', path, '--read-only'], {
        input: 'get k\ncount_versions k\nprefix live:\nstats_totals\n',
      });
      assert.equal(shell.status, 0, shell.stderr);
      const lines = nonEmptyLines(shell.stdout);
      assert.equal(lines[0], '"k" => "xxxxx"');
      assert.equal(lines[1], '"k" => 5 versions');
      assert.ok(
        lines.some((line) => line.startsWith('"live:')),
        "the live writer's keys show",
      );
      const written = runMultistore(['shell', '--db', path, '--read-only'], { input: 'set a=1\n' });
      assert.equal(written.status, 1);
      assert.match(written.stderr, /READ_ONLY/);
    } finally {
      await stop(writer);
    }
  });
});
