/**
 * openTier: the one entry point the store uses to get a tier.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStoreError } from '../common/errors.js';
import { openTier, type TierOptions } from './factory.js';
import { MemoryTier } from './memory/memory-tier.js';
import { SqliteTier } from './sqlite/sqlite-tier.js';

describe('openTier', () => {
  it('opens the memory tier and the SQLite tier (in memory by default)', () => {
    const memory = openTier({ kind: 'memory' });
    assert.ok(memory instanceof MemoryTier);
    assert.equal(memory.kind, 'memory');
    const sqlite = openTier({ kind: 'sqlite' });
    assert.ok(sqlite instanceof SqliteTier);
    assert.equal(sqlite.path, ':memory:');
    for (const tier of [memory, sqlite]) tier.close();
  });

  it('rejects unknown kinds, a path for the memory tier and non-objects with INVALID_OPTIONS', () => {
    const bad: unknown[] = [
      { kind: 'lmdb' },
      {},
      { kind: 'memory', path: 'x.db' },
      { kind: 'sqlite', path: '' },
      null,
      'memory',
    ];
    for (const options of bad) {
      assert.throws(
        () => openTier(options as TierOptions),
        (error: unknown) => isStoreError(error, 'INVALID_OPTIONS'),
        JSON.stringify(options),
      );
    }
  });
});
