/**
 * Exclusive locking on the SQLite tier: set before the file is first read
 * (so the WAL index stays in the writer's heap), refused and refusing across
 * processes with `STORE_LOCKED`, and leaving a killed writer's file to any
 * later writer. (The option at the store level: src/store/sqlite-locking.test.ts.)
 */

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isStoreError } from '../../common/errors.js';
import { tempFiles } from '../../test-support/store-setups.js';
import { b, writes } from '../../tier-test/helpers.js';
import { connect } from './load.js';
import { SqliteTier } from './sqlite-tier.js';

const files = tempFiles('multistore-locking-', 'locking');
const freshPath = files.fresh;
const TIER_MODULE = new URL('./sqlite-tier.js', import.meta.url).href;

/** A Node process running `code` (an ES module body with `SqliteTier` imported). */
function child(code: string): ChildProcess {
  const source = `import { SqliteTier } from ${JSON.stringify(TIER_MODULE)};\n${code}`;
  return spawn(process.execPath, ['--input-type=module', '-e', source], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** The first line `process` prints. */
function firstLine(process: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    process.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf('\n');
      if (end >= 0) resolve(out.slice(0, end));
    });
    process.once('close', (code) => reject(new Error(`child ended (${code}) after ${out}`)));
  });
}

/** Kill `process` and wait for its end. */
async function kill(process: ChildProcess): Promise<void> {
  const ended = new Promise((resolve) => process.once('close', resolve));
  process.kill('SIGKILL');
  await ended;
}

/** Code printing how opening `path` with `options` fails (or `opened`). */
const tryOpen = (path: string, options: object) => `
  try { SqliteTier.open(${JSON.stringify(path)}, ${JSON.stringify(options)}); console.log('opened'); }
  catch (e) { console.log([e.code, e.conflict, e.holder].join(' ')); }`;

/** Code opening `path` with `options`, writing version 1 when a writer, then holding it until killed. */
const hold = (path: string, options: object) => `
  const tier = SqliteTier.open(${JSON.stringify(path)}, ${JSON.stringify(options)});
  if (!tier.readOnly) tier.set(1, new Map([['t', [{ key: Buffer.from('k'), value: Buffer.from('v') }]]]));
  console.log('holding');
  setInterval(() => {}, 60000);`;

describe('exclusive locking on a SQLite file', () => {
  it('is set before the first read: a file already in WAL mode gets no shared-memory index', () => {
    const path = freshPath();
    SqliteTier.open(path).close();
    const db = connect(path, { readOnly: false, synchronous: 'normal', locking: 'exclusive' });
    try {
      assert.equal(db.pragma('locking_mode', { simple: true }), 'exclusive');
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
    const tier = SqliteTier.open(path, { locking: 'exclusive' });
    try {
      tier.set(1, writes('t', [['k', 'v']]));
      assert.equal(tier.get('t', b('k'), 1)?.version, 1);
      assert.ok(existsSync(`${path}-wal`));
      assert.equal(existsSync(`${path}-shm`), false, 'the WAL index is in the heap');
    } finally {
      tier.close();
    }
  });

  it('refuses a bad locking, and exclusive locking read-only, with INVALID_OPTIONS', () => {
    const path = freshPath();
    for (const locking of ['EXCLUSIVE', 'none', 0]) {
      assert.throws(
        () => SqliteTier.open(path, { locking: locking as never }),
        (e: unknown) =>
          isStoreError(e, 'INVALID_OPTIONS') && /'normal' or 'exclusive'/.test(e.message),
      );
    }
    assert.throws(
      () => SqliteTier.open(path, { readOnly: true, locking: 'exclusive' }),
      (e: unknown) => isStoreError(e, 'INVALID_OPTIONS') && /writer/.test(e.message),
    );
    assert.equal(existsSync(path), false);
  });
});

describe('exclusive locking across processes', { concurrency: true }, () => {
  // Each refusal comes after SQLite's busy timeout (5 s), in a child: the
  // two wait side by side.
  it('a reader of another process is refused while an exclusive writer holds the file', async () => {
    const path = freshPath();
    const writer = child(hold(path, { locking: 'exclusive' }));
    try {
      assert.equal(await firstLine(writer), 'holding');
      const reader = child(tryOpen(path, { readOnly: true }));
      assert.equal(await firstLine(reader), 'STORE_LOCKED exclusive writer another process');
    } finally {
      await kill(writer);
    }
    // Killed, the writer left its WAL (no -shm to recover from): all there.
    const reader = SqliteTier.open(path, { readOnly: true });
    try {
      assert.equal(reader.latestVersion(), 1);
      assert.equal(reader.get('t', b('k'), 1)?.version, 1);
    } finally {
      reader.close();
    }
  });

  it('an exclusive writer is refused while a reader of another process has the file open', async () => {
    const path = freshPath();
    SqliteTier.open(path).close();
    const reader = child(hold(path, { readOnly: true }));
    try {
      assert.equal(await firstLine(reader), 'holding');
      const writer = child(tryOpen(path, { locking: 'exclusive' }));
      assert.equal(await firstLine(writer), 'STORE_LOCKED readers another process');
      const normal = child(tryOpen(path, {}));
      assert.equal(await firstLine(normal), 'opened', 'a normal writer opens beside the reader');
    } finally {
      await kill(reader);
    }
    SqliteTier.open(path, { locking: 'exclusive' }).close();
  });
});
