/**
 * A WAL that grew behind a reader's long read gives its disk back.
 *
 * While a read-only tier's snapshot is open, checkpoints cannot go past
 * what it reads, so the WAL grows past its usual size (about 40 MB, see
 * load.ts). Once the snapshot ends, the next checkpoint empties it and the
 * WAL starts over; the file must then be cut back to WAL_SIZE_LIMIT_BYTES
 * rather than keep its largest size for as long as the writer is open.
 * It writes about 50 MB to get there (a few seconds).
 */

import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { MAX_VERSION } from '../../common/version.js';
import { tempDir } from '../../test-support/store-setups.js';
import { b, show } from '../../tier-test/helpers.js';
import type { TierWrite } from '../tier.js';
import { WAL_SIZE_LIMIT_BYTES } from './load.js';
import { SqliteTier } from './sqlite-tier.js';

let dir: ReturnType<typeof tempDir>;

before(() => {
  dir = tempDir('multistore-wal-size-');
});
after(() => dir.cleanup());

/** Ten writes of 8 KB values (keys reused, so the database stays small). */
function bulk(version: number): Map<string, TierWrite[]> {
  const value = new Uint8Array(8192).fill(version & 0xff);
  const list = Array.from({ length: 10 }, (_, i) => ({
    key: b(`k${(version * 10 + i) % 200}`),
    value,
  }));
  return new Map([['t', list]]);
}

it('a WAL grown behind an open snapshot is cut back once the snapshot ends and a checkpoint ran', () => {
  const path = join(dir.path, 'grown.db');
  const walSize = () => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);
  const writer = SqliteTier.open(path);
  const reader = SqliteTier.open(path, { readOnly: true });
  try {
    writer.set(1, new Map([['t', [{ key: b('first'), value: b('1') }]]]));
    const snapshot = reader.snapshot();
    let version = 1;
    while (walSize() < WAL_SIZE_LIMIT_BYTES + 8_000_000) writer.set(++version, bulk(version));
    assert.equal(show(snapshot.tier.get('t', b('first'), MAX_VERSION)), 'first@1=1');
    snapshot.release();
    const grown = walSize();
    // The first commit checkpoints everything (nothing reads the WAL now);
    // the next ones write the WAL again from its start.
    for (let i = 0; i < 3; i++) writer.set(++version, bulk(version));
    assert.ok(
      walSize() <= WAL_SIZE_LIMIT_BYTES,
      `the WAL went from ${grown} to ${walSize()} bytes, above ${WAL_SIZE_LIMIT_BYTES}`,
    );
    assert.equal(reader.latestVersion(), version);
    assert.equal(show(reader.get('t', b('first'), MAX_VERSION)), 'first@1=1');
  } finally {
    reader.close();
    writer.close();
  }
});
