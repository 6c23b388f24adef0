/**
 * What a range page costs when one key holds 100,000 versions.
 *
 * Both tiers page through the shared walk (range-walk.ts) over their own key
 * index. These tests drive each real index with a counting wrapper and pin
 * the cost of a page as a number of seeks: one hop and one "newest version"
 * lookup per key visited, independent of the versions a key holds. The
 * per-lookup cost is pinned separately: a binary search of ~17 probes in
 * the memory tier (counted), a single index seek in SQLite (query plans, in
 * sqlite-tier.test.ts). An implementation that grouped or scanned versions
 * would not visit keys through the walker at all, or would need more probes.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8 } from '../common/bytes.js';
import { MAX_VERSION } from '../common/version.js';
import { show } from '../tier-test/helpers.js';
import type { AbstractTier } from './abstract-tier.js';
import { MemoryTable } from './memory/memory-table.js';
import { MemoryTier } from './memory/memory-tier.js';
import { floorIndex } from './memory/version-chain.js';
import { type KeyWalker, readPage } from './range-walk.js';
import { connect } from './sqlite/load.js';
import { SqlTable } from './sqlite/sql-table.js';
import { SqliteTier } from './sqlite/sqlite-tier.js';
import { UNBOUNDED } from './tier.js';

const VERSIONS = 100_000;

/** Key `b` gets versions 1000..1000+VERSIONS-1; neighbours a, c, d get version 5. */
function fill(put: (key: Uint8Array, version: number, value: Uint8Array) => void): void {
  for (const key of ['a', 'c', 'd']) put(utf8(key), 5, utf8(key));
  const b = utf8('b');
  for (let v = 0; v < VERSIONS; v++) put(b, 1000 + v, utf8(`b${v}`));
}

/** A walker that counts the calls the page algorithm makes into the index. */
function counting<K, H>(inner: KeyWalker<K, H>) {
  const counts = { seek: 0, visible: 0 };
  const walker: KeyWalker<K, H> = {
    encode: (bytes) => inner.encode(bytes),
    compare: (a, b) => inner.compare(a, b),
    keyOf: (handle) => inner.keyOf(handle),
    seek: (from, inclusive, reverse) => {
      counts.seek++;
      return inner.seek(from, inclusive, reverse);
    },
    visible: (handle, version) => {
      counts.visible++;
      return inner.visible(handle, version);
    },
  };
  return { walker, counts };
}

function pageCosts<K, H>(index: KeyWalker<K, H>): void {
  const page = (version: number, limit: number, reverse = false) => {
    const { walker, counts } = counting(index);
    const request = {
      cursor: undefined,
      start: UNBOUNDED,
      end: UNBOUNDED,
      version,
      limit,
      reverse,
    };
    const result = readPage(walker, request);
    return { entries: result.entries.map(show), counts };
  };
  const middle = 1000 + VERSIONS / 2;
  const full = page(middle, 10);
  assert.deepEqual(full.entries, ['a@5=a', `b@${middle}=b${VERSIONS / 2}`, 'c@5=c', 'd@5=d']);
  assert.deepEqual(full.counts, { seek: 5, visible: 4 }, 'one hop and one lookup per key');
  const reverse = page(MAX_VERSION, 2, true);
  assert.deepEqual(reverse.entries, ['d@5=d', 'c@5=c']);
  assert.deepEqual(reverse.counts, { seek: 2, visible: 2 }, 'a full page stops at its last key');
  const skipped = page(10, 10);
  assert.deepEqual(skipped.entries, ['a@5=a', 'c@5=c', 'd@5=d'], 'b has only newer versions');
  assert.deepEqual(
    skipped.counts,
    { seek: 5, visible: 4 },
    'skipping b costs one hop and one lookup',
  );
}

describe('range page cost with a key of 100,000 versions', () => {
  it('memory tier: one hop and one lookup per key visited', () => {
    const table = new MemoryTable('t');
    fill((key, version, value) => table.put({ key, value }, version));
    assert.equal(table.keyCount, 4, 'the key index holds keys, not versions');
    pageCosts(table);
  });

  it('memory tier: the newest-version lookup is a binary search of at most 17 probes', () => {
    const versions = Array.from({ length: VERSIONS }, (_, i) => 1000 + i);
    let probes = 0;
    const counted = new Proxy(versions, {
      get(target, property, receiver) {
        if (typeof property === 'string' && /^\d+$/.test(property)) probes++;
        return Reflect.get(target, property, receiver);
      },
    });
    assert.equal(floorIndex(counted, 1000 + 12_345), 12_345);
    assert.ok(probes <= 18, `${probes} probes`);
    probes = 0;
    assert.equal(floorIndex(counted, MAX_VERSION), VERSIONS - 1);
    assert.equal(probes, 1, 'reading at or above the newest version is one probe');
    assert.equal(floorIndex(counted, 999), -1);
  });

  it('sqlite tier: one hop and one lookup (each a single index seek) per key visited', () => {
    const db = connect(':memory:');
    try {
      const table = SqlTable.create(db, 't');
      db.transaction(() => fill((key, version, value) => table.put(key, version, value)))();
      pageCosts(table);
    } finally {
      db.close();
    }
  });

  for (const [name, open] of [
    ['memory', () => new MemoryTier()],
    ['sqlite', () => SqliteTier.open(':memory:')],
  ] as const) {
    it(`${name} tier: the public range returns one entry for the key`, () => {
      const tier: AbstractTier = open();
      try {
        const writes = (key: Uint8Array, value: Uint8Array) => new Map([['t', [{ key, value }]]]);
        fill((key, version, value) => tier.set(version, writes(key, value)));
        const page = tier.page('t', { version: MAX_VERSION, limit: 2 });
        assert.deepEqual(page.entries.map(show), ['a@5=a', `b@${999 + VERSIONS}=b${VERSIONS - 1}`]);
        const next = tier.page('t', { version: MAX_VERSION, limit: 2, cursor: page.cursor });
        assert.deepEqual(next.entries.map(show), ['c@5=c', 'd@5=d']);
        assert.equal(tier.getAllVersions('t', utf8('b')).length, VERSIONS);
      } finally {
        tier.close();
      }
    });
  }
});
