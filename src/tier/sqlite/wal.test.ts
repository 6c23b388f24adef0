/**
 * The write-ahead log of a SQLite file around the writer's close, with
 * read-only tiers beside it (in this process; another process's reader
 * holds the file the same way).
 *
 * SQLite checkpoints and removes the WAL when the LAST connection to a file
 * closes; a writer closing beside a reader is not the last, so the writer
 * checkpoints itself before it closes. What is pinned: after the writer's
 * close beside an idle reader, the database file alone (without its WAL,
 * which `synchronous: 'normal'` never synced) holds every commit. A reader's
 * open snapshot stops the checkpoint where it reads (SQLite then skips every
 * page written after it, so the file alone is no database at all): the
 * writer's close does not wait for it, and the WAL keeps the rest.
 */

import assert from 'node:assert/strict';
import { copyFileSync, existsSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MAX_VERSION } from '../../common/version.js';
import { tempFiles } from '../../test-support/store-setups.js';
import { b, show, writes } from '../../tier-test/helpers.js';
import { SqliteTier } from './sqlite-tier.js';

const files = tempFiles('multistore-wal-', 'wal');
const freshPath = files.fresh;

/** The latest version and the value of `key` in the database file at `path` alone (its WAL left out). */
function fileAlone(path: string, key: string): [number, string] {
  const copy = freshPath();
  copyFileSync(path, copy);
  const tier = SqliteTier.open(copy);
  try {
    return [tier.latestVersion(), show(tier.get('t', b(key), MAX_VERSION))];
  } finally {
    tier.close();
  }
}

/** Commit versions 1..count, each writing `key`. */
function commitMany(tier: SqliteTier, count: number, key = 'k'): void {
  for (let v = 1; v <= count; v++) tier.set(v, writes('t', [[key, `v${v}`]]));
}

describe('SQLite WAL at close', () => {
  it('a writer closed alone leaves every commit in the database file and no WAL', () => {
    const path = freshPath();
    const writer = SqliteTier.open(path);
    commitMany(writer, 20);
    writer.close();
    assert.equal(existsSync(`${path}-wal`), false, 'no WAL left');
    assert.deepEqual(fileAlone(path, 'k'), [20, 'k@20=v20']);
  });

  it('a writer closed beside an idle reader still leaves every commit in the database file', () => {
    const path = freshPath();
    const writer = SqliteTier.open(path);
    const reader = SqliteTier.open(path, { readOnly: true });
    try {
      commitMany(writer, 20);
      assert.equal(show(reader.get('t', b('k'), MAX_VERSION)), 'k@20=v20');
      writer.close();
      assert.deepEqual(fileAlone(path, 'k'), [20, 'k@20=v20'], 'the file alone holds the commits');
      if (existsSync(`${path}-wal`)) {
        assert.equal(statSync(`${path}-wal`).size, 0, 'the WAL the reader keeps open is empty');
      }
      assert.equal(show(reader.get('t', b('k'), MAX_VERSION)), 'k@20=v20', 'the reader reads on');
    } finally {
      reader.close();
    }
  });

  it("a writer closed while a reader's snapshot is open does not wait for it; nothing is lost", () => {
    const path = freshPath();
    const writer = SqliteTier.open(path);
    const reader = SqliteTier.open(path, { readOnly: true });
    try {
      commitMany(writer, 10);
      const snapshot = reader.snapshot();
      try {
        writer.set(11, writes('t', [['k', 'v11']]));
        writer.close();
        assert.equal(show(snapshot.tier.get('t', b('k'), MAX_VERSION)), 'k@10=v10');
        assert.equal(show(reader.get('t', b('k'), MAX_VERSION)), 'k@11=v11');
      } finally {
        snapshot.release();
      }
    } finally {
      reader.close();
    }
    // The checkpoint stopped at the snapshot: the file needs its WAL, which holds the rest.
    const again = SqliteTier.open(path);
    try {
      assert.equal(show(again.get('t', b('k'), MAX_VERSION)), 'k@11=v11');
    } finally {
      again.close();
    }
    assert.deepEqual(fileAlone(path, 'k'), [11, 'k@11=v11']);
  });
});
