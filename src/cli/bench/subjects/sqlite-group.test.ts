/**
 * The grouped raw SQLite peer commits as the store's group commit does: the
 * writes of one turn in one transaction, committed at the turn's end or
 * once the group holds 10,000 writes; another connection sees them only
 * then.
 */

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { GROUP_WRITES } from '../../../store/commit-group.js';
import { sqlTableName } from '../../../tier/sqlite/schema.js';
import { DEFAULT_TABLE } from '../../../tier/tier.js';
import type { WriteBatch } from '../data.js';
import { openRawSqlite } from './sqlite.js';

/** A batch of 100 writes at `version`, keys unique across versions. */
function batch(version: number): WriteBatch {
  const keys = Array.from({ length: 100 }, (_, i) => Uint8Array.of(version >> 8, version, i));
  return { version, keys, values: keys.map(() => Uint8Array.of(1)) };
}

describe('better-sqlite3-group', () => {
  it('commits the writes of a turn together: at the turn end, or at once past the bound', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'raw-group-'));
    const subject = openRawSqlite('better-sqlite3-group', { dir });
    const other = new Database(join(dir, 'raw.db'), { readonly: true });
    const committed = () =>
      other
        .prepare(`SELECT count(*) FROM "${sqlTableName(DEFAULT_TABLE)}"`)
        .pluck()
        .get();
    try {
      subject.write(batch(1));
      assert.equal(committed(), 0, 'open until the turn ends');
      await subject.settle();
      assert.equal(committed(), 100);
      const perGroup = GROUP_WRITES / 100;
      for (let version = 2; version < 2 + perGroup + 1; version++) subject.write(batch(version));
      assert.equal(committed(), 100 + GROUP_WRITES, 'a full group committed in the turn');
      await subject.settle();
      assert.equal(committed(), 200 + GROUP_WRITES);
    } finally {
      other.close();
      await subject.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
