/**
 * The file format steps: files of the earlier formats (real ones, made by the
 * code of those formats: fixtures/README.md) are brought to the current
 * format once, in one transaction, with their figures recounted and their
 * horizons kept; a step that fails leaves the file as it was.
 */

import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isStoreError } from '../../common/errors.js';
import { MAX_VERSION } from '../../common/version.js';
import { tempDir } from '../../test-support/store-setups.js';
import { b, scan } from '../../tier-test/helpers.js';
import { connect } from './load.js';
import { FORMAT_VERSION, MIGRATIONS, readFormat } from './migrations.js';
import { listStoreTables } from './schema.js';
import { SqliteTier } from './sqlite-tier.js';

const FIXTURE = fileURLToPath(
  new URL('../../../src/tier/sqlite/fixtures/format-1.db', import.meta.url),
);

const FIXTURE_2 = fileURLToPath(
  new URL('../../../src/tier/sqlite/fixtures/format-2.db', import.meta.url),
);

let dir: ReturnType<typeof tempDir>;
let counter = 0;
/** A fresh copy of the format-1 fixture. */
function copyOfFixture(): string {
  const path = join(dir.path, `old-${++counter}.db`);
  copyFileSync(FIXTURE, path);
  return path;
}

before(() => {
  dir = tempDir('multistore-migrations-');
});
after(() => dir.cleanup());

/** Format, tables and every table's content, read raw. */
function snapshotOf(path: string): { format: number; tables: string[]; rows: string[] } {
  const db = connect(path, { readOnly: true, synchronous: 'normal' });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
      .pluck()
      .all() as string[];
    const rows = listStoreTables(db).flatMap((table) =>
      (
        db
          .prepare(`SELECT key, version, value FROM "t_${Buffer.from(table).toString('hex')}"`)
          .raw()
          .all() as [Buffer, number, Buffer | null][]
      ).map(([key, version, value]) => `${table}/${key}@${version}=${value ?? '~'}`),
    );
    return { format: readFormat(db), tables: tables.sort(), rows: rows.sort() };
  } finally {
    db.close();
  }
}

describe('file format migrations', () => {
  it('the steps are numbered 1..FORMAT_VERSION, in order', () => {
    assert.deepEqual(
      MIGRATIONS.map((step) => step.to),
      Array.from({ length: FORMAT_VERSION }, (_, i) => i + 1),
    );
  });

  it('a format-1 file is migrated once on a writing open: data untouched, figures recounted', () => {
    const path = copyOfFixture();
    const before = snapshotOf(path);
    assert.equal(before.format, 1);
    assert.ok(!before.tables.includes('multistore_figures'));
    const tier = SqliteTier.open(path);
    try {
      assert.equal(tier.latestVersion(), 9);
      assert.deepEqual(tier.readLog(), [], 'the first format kept no log: nothing to recover');
      const figures = tier.readFigures();
      assert.deepEqual([...figures.keys()].sort(), ['events', 'multi', 'recent', 'sessions']);
      // sessions: 4 keys x 3 versions; the newest of each is current.
      assert.deepEqual(figures.get('sessions'), {
        currentCount: 4,
        currentKeyBytes: 4 * 13,
        currentValueBytes: 4 * 'session 0 @8'.length,
        historicalCount: 8,
        historicalKeyBytes: 8 * 13,
        historicalValueBytes: 8 * 'session 0 @8'.length,
      });
      assert.deepEqual(scan(tier, 'multi', { version: MAX_VERSION }).length, 4);
      assert.equal(tier.getAllVersions('events', b('e:1')).length, 5);
    } finally {
      tier.close();
    }
    const afterOpen = snapshotOf(path);
    assert.equal(afterOpen.format, FORMAT_VERSION);
    assert.deepEqual(afterOpen.rows, before.rows, 'the data is untouched');
    SqliteTier.open(path).close();
    assert.deepEqual(snapshotOf(path), afterOpen, 'a second open migrates nothing');
  });

  it('a format-2 file (horizons, made by the code before format 3) keeps its horizons and floors', () => {
    const path = join(dir.path, `format-2-${++counter}.db`);
    copyFileSync(FIXTURE_2, path);
    const before = snapshotOf(path);
    assert.equal(before.format, 2);
    const tier = SqliteTier.open(path);
    try {
      assert.deepEqual(tier.horizon('sessions', b('s:0')), { erasedFrom: 1, readableFrom: 6 });
      assert.deepEqual(tier.horizon('multi', b('m:1')), { erasedFrom: 1, readableFrom: 4 });
      assert.equal(tier.readableFloor('sessions'), 6);
      assert.equal(tier.readableFloor('recent'), 5);
      assert.equal(tier.readableFloor('events'), 0);
      assert.equal(tier.horizonPage('recent', { version: 2, limit: 10 }).entries.length, 4);
      assert.equal(tier.readFigures().get('sessions')?.currentCount, 4);
      assert.deepEqual(tier.readLog(), []);
    } finally {
      tier.close();
    }
    const afterOpen = snapshotOf(path);
    assert.equal(afterOpen.format, FORMAT_VERSION);
    assert.deepEqual(afterOpen.rows, before.rows, 'the data is untouched');
  });

  it('the upgrade gives every table its index by version: a reader pages its changes, creating nothing', () => {
    const path = copyOfFixture();
    const indexes = () => {
      const db = connect(path, { readOnly: true, synchronous: 'normal' });
      try {
        return (
          db
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'index'")
            .pluck()
            .all() as string[]
        ).filter((name) => name.startsWith('v_'));
      } finally {
        db.close();
      }
    };
    assert.deepEqual(indexes(), [], 'the fixture predates the index by version');
    SqliteTier.open(path).close();
    const tables = ['events', 'multi', 'recent', 'sessions'];
    const hex = (table: string) => `v_${Buffer.from(table).toString('hex')}`;
    assert.deepEqual(indexes().sort(), tables.map(hex).sort());
    const stored = snapshotOf(path).rows.filter((row) => row.startsWith('events/'));
    const reader = SqliteTier.open(path, { readOnly: true });
    try {
      const page = reader.changePage('events', { from: 0, to: MAX_VERSION, limit: 100 });
      const versions = page.entries.map((entry) => entry.version);
      assert.deepEqual(
        versions,
        [...versions].sort((x, y) => x - y),
        'in version order',
      );
      const listed = page.entries.map(
        (entry) =>
          `events/${Buffer.from(entry.key)}@${entry.version}=${entry.value === undefined ? '~' : Buffer.from(entry.value)}`,
      );
      assert.deepEqual(listed.sort(), stored.filter((row) => !/@0=/.test(row)).sort());
      assert.ok(listed.length > 0);
    } finally {
      reader.close();
    }
    assert.equal(indexes().length, tables.length, 'the reader created nothing');
  });

  it('a migration that fails leaves the file as it was (one transaction)', () => {
    const path = copyOfFixture();
    const db = connect(path);
    // Step 3 creates this table: with it there already, the step fails half-way.
    db.exec('CREATE TABLE multistore_log (x)');
    db.close();
    const before = snapshotOf(path);
    assert.throws(
      () => SqliteTier.open(path),
      (e: unknown) => isStoreError(e, 'TIER_IO') && /already exists/.test(String(e.message)),
    );
    assert.deepEqual(snapshotOf(path), before);
    assert.equal(before.format, 1);
    assert.ok(
      !before.tables.includes('multistore_figures'),
      'the step before the failure was undone',
    );
  });
});
