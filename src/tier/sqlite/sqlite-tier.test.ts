/**
 * What only the SQLite tier has: a file that survives reopening, a schema
 * that hostile table names cannot touch, failures surfaced as TIER_IO, and
 * statements that are single index seeks.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import { isStoreError, StoreLockedError } from '../../common/errors.js';
import { MAX_VERSION } from '../../common/version.js';
import { b, scan, show, writes } from '../../tier-test/helpers.js';
import { connect, WAL_CHECKPOINT_PAGES, WAL_SIZE_LIMIT_BYTES } from './load.js';
import { FORMAT_VERSION } from './migrations.js';
import {
  createHorizonTableSql,
  erasedTopMetaName,
  floorMetaName,
  sqlHorizonTableName,
  sqlTableName,
  storeTableName,
} from './schema.js';
import { consecutiveRuns } from './sql-table.js';
import { SqliteTier } from './sqlite-tier.js';
import { STATEMENT_NAMES, statementSql } from './statements.js';

const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof Database;

let dir = '';
let counter = 0;
const freshPath = () => join(dir, `tier-${++counter}.db`);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'multistore-sqlite-tier-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Open `path` with a raw connection, run `inspect`, close. */
function raw<T>(path: string, inspect: (db: Database.Database) => T): T {
  const db = new Driver(path);
  try {
    return inspect(db);
  } finally {
    db.close();
  }
}

/** Assert that `action` throws TIER_IO carrying the driver's error as cause. */
function assertTierIo(action: () => unknown, causeCode?: string): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(isStoreError(error, 'TIER_IO'), String(error));
    assert.ok(error.cause instanceof Error, 'the original error is the cause');
    if (causeCode !== undefined) assert.equal((error.cause as { code?: string }).code, causeCode);
    return true;
  });
}

describe('SqliteTier files', () => {
  it('reopening a file gives back exactly what was committed', () => {
    const path = freshPath();
    const tier = SqliteTier.open(path);
    tier.set(
      1,
      new Map([
        ...writes('multi', [
          ['a', '1'],
          ['b', '1'],
        ]),
        ...writes('source:7', [['s', 'x']]),
      ]),
    );
    tier.set(
      3,
      writes('multi', [
        ['a', undefined],
        [new Uint8Array([0, 0xff]), new Uint8Array()],
      ]),
    );
    tier.set(2, writes('multi', [['c', 'late']]));
    tier.drop(new Map([['multi', [{ key: b('b'), version: 1 }]]]));
    tier.ensureTable('empty');
    tier.set(7, writes('cleared', [['z', '1']]));
    tier.clearTable('cleared');
    tier.set(9, new Map());
    tier.writeSetting('tables', 'declared');
    const before = {
      tables: tier.tables(),
      multi: scan(tier, 'multi', { version: 2 }),
      all: scan(tier, 'multi'),
    };
    tier.close();

    const again = SqliteTier.open(path);
    try {
      assert.equal(again.latestVersion(), 9);
      assert.deepEqual(again.tables(), ['cleared', 'empty', 'multi', 'source:7']);
      assert.deepEqual(before.tables, again.tables());
      assert.deepEqual(scan(again, 'multi', { version: 2 }), before.multi);
      assert.deepEqual(scan(again, 'multi'), ['0x00ff@3=', 'a@3=~', 'c@2=late']);
      assert.deepEqual(before.all, scan(again, 'multi'));
      assert.deepEqual(
        again.getAllVersions('multi', b('a')).map((v) => v.version),
        [3, 1],
      );
      assert.equal(show(again.get('source:7', b('s'), MAX_VERSION)), 's@1=x');
      assert.deepEqual(scan(again, 'cleared'), []);
      assert.equal(again.readSetting('tables'), 'declared');
    } finally {
      again.close();
    }
  });

  it('a file runs in WAL mode with normal locking, synchronous NORMAL or FULL as asked, checkpointing every 10,000 pages, the WAL cut back to 40 MB when it starts over', () => {
    const path = freshPath();
    const db = connect(path);
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('locking_mode', { simple: true }), 'normal');
      assert.equal(db.pragma('synchronous', { simple: true }), 1);
      assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), WAL_CHECKPOINT_PAGES);
      assert.equal(WAL_CHECKPOINT_PAGES, 10_000);
      assert.equal(db.pragma('journal_size_limit', { simple: true }), WAL_SIZE_LIMIT_BYTES);
    } finally {
      db.close();
    }
    const full = connect(path, { readOnly: false, synchronous: 'full' });
    try {
      assert.equal(full.pragma('synchronous', { simple: true }), 2);
    } finally {
      full.close();
    }
  });

  it('hostile table names cannot change the schema or reach another table', () => {
    const path = freshPath();
    const hostile = [
      'x"; DROP TABLE "t_6d756c7469"; --',
      'multi"--',
      "'); DELETE FROM multistore_meta; --",
      'multistore_meta',
      'sqlite_schema',
      `${'"'.repeat(100)}`,
      '🙂'.repeat(64),
    ];
    const tier = SqliteTier.open(path);
    tier.set(1, writes('multi', [['keep', 'me']]));
    for (const name of hostile) {
      tier.set(2, writes(name, [['k', 'v']]));
      tier.ensureTable(name);
      tier.clearTable(name);
      tier.set(3, writes(name, [['k', 'w']]));
      tier.drop(new Map([[name, [{ key: b('k'), version: 2 }]]]));
    }
    tier.close();
    const names = raw(
      path,
      (db) =>
        db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[],
    );
    const expected = ['multi', ...hostile].map(sqlTableName);
    const own = ['multistore_figures', 'multistore_log', 'multistore_meta', 'multistore_settings'];
    assert.deepEqual(names.sort(), [...own, ...expected].sort());
    for (const name of names)
      assert.match(name, /^(multistore_(figures|log|meta|settings)|t_[0-9a-f]+)$/);
    const again = SqliteTier.open(path);
    try {
      assert.equal(show(again.get('multi', b('keep'), 9)), 'keep@1=me');
      assert.equal(again.latestVersion(), 3);
      for (const name of hostile) assert.deepEqual(scan(again, name), ['k@3=w']);
    } finally {
      again.close();
    }
  });

  it('table identifiers are generated and decoded one-to-one; foreign tables are ignored', () => {
    assert.equal(sqlTableName('multi'), 't_6d756c7469');
    assert.equal(storeTableName('t_6d756c7469'), 'multi');
    for (const foreign of [
      'multistore_meta',
      't_',
      't_6',
      'T_6d',
      't_6D',
      't_zz',
      't_00',
      't_ff',
      'other',
    ]) {
      assert.equal(storeTableName(foreign), undefined, foreign);
    }
    const path = freshPath();
    SqliteTier.open(path).close();
    raw(path, (db) =>
      db.exec('CREATE TABLE t_zz (x); CREATE TABLE other (y); CREATE TABLE t_00 (z)'),
    );
    const tier = SqliteTier.open(path);
    try {
      assert.deepEqual(tier.tables(), []);
    } finally {
      tier.close();
    }
  });
});

describe('SqliteTier failures', () => {
  it('a path in a missing directory gives TIER_IO with the cause', () => {
    assertTierIo(() => SqliteTier.open(join(dir, 'missing', 'sub', 'x.db')));
  });

  it('a file that is not a database gives TIER_IO with the SQLite error as cause', () => {
    const path = freshPath();
    writeFileSync(path, Buffer.alloc(4096, 'this is not a SQLite database. '));
    assertTierIo(() => SqliteTier.open(path), 'SQLITE_NOTADB');
  });

  it('an empty path is INVALID_OPTIONS', () => {
    assert.throws(
      () => SqliteTier.open(''),
      (e: unknown) => isStoreError(e, 'INVALID_OPTIONS'),
    );
  });

  it('a file of another format version gives TIER_IO', () => {
    const path = freshPath();
    SqliteTier.open(path).close();
    raw(path, (db) => db.exec("UPDATE multistore_meta SET value = 99 WHERE name = 'format'"));
    assert.throws(
      () => SqliteTier.open(path),
      (e: unknown) => isStoreError(e, 'TIER_IO'),
    );
  });

  it('a write failing inside SQLite rolls back every table and the latest version', () => {
    const path = freshPath();
    const first = SqliteTier.open(path);
    first.set(1, new Map([...writes('a', [['k', '1']]), ...writes('z', [['k', '1']])]));
    first.close();
    raw(path, (db) =>
      db.exec(
        `CREATE TRIGGER boom BEFORE INSERT ON "${sqlTableName('z')}" BEGIN SELECT RAISE(ABORT, 'boom'); END`,
      ),
    );
    const tier = SqliteTier.open(path);
    try {
      const failing = new Map([
        ...writes('a', [['k', '2']]),
        ...writes('new', [['n', '2']]),
        ...writes('z', [['k', '2']]),
      ]);
      assertTierIo(() => tier.set(2, failing), 'SQLITE_CONSTRAINT_TRIGGER');
      assert.equal(tier.latestVersion(), 1);
      assert.deepEqual(tier.tables(), ['a', 'z'], 'the table created by the failed set is gone');
      assert.deepEqual(scan(tier, 'a'), ['k@1=1']);
      tier.set(3, writes('new', [['n', '3']]));
      assert.deepEqual(scan(tier, 'new'), ['n@3=3'], 'the rolled-back table can be created again');
    } finally {
      tier.close();
    }
    const again = SqliteTier.open(path);
    try {
      assert.equal(again.latestVersion(), 3);
      assert.deepEqual(scan(again, 'a'), ['k@1=1']);
    } finally {
      again.close();
    }
  });

  it('a read failing inside SQLite gives TIER_IO', () => {
    const path = freshPath();
    const first = SqliteTier.open(path);
    first.set(1, writes('t', [['k', '1']]));
    first.close();
    const table = sqlTableName('t');
    raw(path, (db) => db.exec(`DROP TABLE "${table}"; CREATE TABLE "${table}" (other BLOB)`));
    const tier = SqliteTier.open(path);
    try {
      assertTierIo(() => tier.get('t', b('k'), 1));
      assertTierIo(() => tier.page('t', { version: 1, limit: 1 }));
      assertTierIo(() => tier.getVersionSizes('t', b('k')));
    } finally {
      tier.close();
    }
  });
});

describe('SqliteTier horizons', () => {
  const formatOf = (path: string) =>
    raw(path, (db) =>
      db.prepare("SELECT value FROM multistore_meta WHERE name = 'format'").pluck().get(),
    );

  it('erased tops survive reopening, only rise, and go with clearTable; a file without one falls back to its floor', () => {
    const path = freshPath();
    const tier = SqliteTier.open(path);
    tier.set(1, writes('t', [['a', '1']]));
    tier.set(6, writes('t', [['a', '6']]));
    assert.equal(tier.erasedTop('t'), 0, 'a table that never erased');
    const horizon = new Map([
      ['t', [{ key: b('a'), horizon: { erasedFrom: 1, readableFrom: 6 } }]],
    ]);
    tier.drop(new Map([['t', [{ key: b('a'), version: 1 }]]]), horizon, {
      erasedTops: new Map([['t', 1]]),
    });
    tier.drop(new Map(), undefined, { erasedTops: new Map([['t', 0]]) });
    assert.equal(tier.erasedTop('t'), 1, 'a lower top changes nothing');
    const reader = SqliteTier.open(path, { readOnly: true });
    try {
      assert.equal(reader.erasedTop('t'), 1, 'a reader reads it from the file');
      tier.drop(new Map(), undefined, { erasedTops: new Map([['t', 2]]) });
      assert.equal(reader.erasedTop('t'), 2, "a reader follows the writer's drops");
      const snapshot = reader.snapshot();
      try {
        tier.drop(new Map(), undefined, { erasedTops: new Map([['t', 3]]) });
        assert.equal(snapshot.tier.erasedTop('t'), 2, 'a snapshot keeps the top of its state');
        assert.equal(reader.erasedTop('t'), 3);
      } finally {
        snapshot.release();
      }
    } finally {
      reader.close();
    }
    assert.throws(
      () => tier.set(7, writes('t', []), undefined, { erasedTops: new Map([['t', 7]]) }),
      (error: unknown) => isStoreError(error) && error.code === 'INVALID_ARGUMENT',
      'erased tops belong to drop',
    );
    tier.close();
    const again = SqliteTier.open(path);
    try {
      assert.equal(again.erasedTop('t'), 3);
      assert.equal(again.readableFloor('t'), 6);
    } finally {
      again.close();
    }
    raw(path, (db) =>
      db.prepare("DELETE FROM multistore_meta WHERE name LIKE 'erased_top:%'").run(),
    );
    const older = SqliteTier.open(path);
    try {
      assert.equal(older.erasedTop('t'), 6, 'a file written before tops: the floor stands in');
      older.clearTable('t');
      assert.equal(older.erasedTop('t'), 0);
      older.drop(new Map(), undefined, { erasedTops: new Map([['t', 3]]) });
      older.clearTable('t');
    } finally {
      older.close();
    }
    const cleared = SqliteTier.open(path);
    try {
      assert.equal(cleared.erasedTop('t'), 0, 'clearing the table cleared its stored top');
    } finally {
      cleared.close();
    }
  });

  it('horizons and floors survive reopening; the file keeps the current format', () => {
    const path = freshPath();
    const tier = SqliteTier.open(path);
    tier.set(
      1,
      writes('t', [
        ['a', '1'],
        ['b', '1'],
      ]),
    );
    tier.set(4, writes('t', [['a', '4']]));
    tier.drop(new Map([['t', [{ key: b('b'), version: 1 }]]]));
    tier.close();
    assert.equal(formatOf(path), FORMAT_VERSION, 'a new file has the current format');
    const again = SqliteTier.open(path);
    again.drop(
      new Map([['t', [{ key: b('a'), version: 1 }]]]),
      new Map([['t', [{ key: b('a'), horizon: { erasedFrom: 1, readableFrom: 4 } }]]]),
    );
    again.close();
    assert.equal(formatOf(path), FORMAT_VERSION, 'horizons change no format');
    const third = SqliteTier.open(path);
    try {
      assert.deepEqual(third.horizon('t', b('a')), { erasedFrom: 1, readableFrom: 4 });
      assert.equal(third.readableFloor('t'), 4);
      assert.equal(third.horizonPage('t', { version: 2, limit: 5 }).entries.length, 1);
      third.clearTable('t');
      assert.equal(third.readableFloor('t'), 0);
    } finally {
      third.close();
    }
    const fourth = SqliteTier.open(path);
    try {
      assert.equal(fourth.readableFloor('t'), 0, 'clearing the table cleared its stored floor');
      assert.equal(fourth.horizon('t', b('a')), undefined);
    } finally {
      fourth.close();
    }
  });

  it('a failed drop records neither its erasures nor its horizons', () => {
    const path = freshPath();
    const horizon = (key: string, erasedFrom: number, readableFrom: number) => ({
      key: b(key),
      horizon: { erasedFrom, readableFrom },
    });
    const tier = SqliteTier.open(path);
    tier.set(1, writes('t', [['a', '1']]));
    tier.set(2, writes('t', [['a', '2']]));
    tier.drop(new Map(), new Map([['t', [horizon('x', 1, 2)]]]));
    tier.close();
    raw(path, (db) =>
      db.exec(
        `CREATE TRIGGER fail BEFORE INSERT ON "${sqlHorizonTableName('t')}" ` +
          "WHEN NEW.key = CAST('bad' AS BLOB) BEGIN SELECT RAISE(ABORT, 'injected'); END",
      ),
    );
    const again = SqliteTier.open(path);
    try {
      const erase = new Map([['t', [{ key: b('a'), version: 1 }]]]);
      assertTierIo(() =>
        again.drop(erase, new Map([['t', [horizon('a', 1, 2), horizon('bad', 1, 9)]]])),
      );
      assert.equal(again.getAllVersions('t', b('a')).length, 2, 'nothing was erased');
      assert.equal(again.horizon('t', b('a')), undefined);
      assert.equal(again.readableFloor('t'), 2);
    } finally {
      again.close();
    }
    assert.equal(
      raw(path, (db) =>
        db
          .prepare('SELECT value FROM multistore_meta WHERE name = ?')
          .pluck()
          .get(floorMetaName('t')),
      ),
      2,
    );
  });
});

describe('SqliteTier drops', () => {
  it('consecutiveRuns groups consecutive integers, in ascending order, duplicates merged', () => {
    assert.deepEqual(consecutiveRuns([]), []);
    assert.deepEqual(consecutiveRuns([7]), [[7, 7]]);
    assert.deepEqual(consecutiveRuns([9, 3, 4, 5, 8, 11, 4]), [
      [3, 5],
      [8, 9],
      [11, 11],
    ]);
  });

  it('a drop erases exactly the listed versions: runs, gaps and versions not stored', () => {
    const tier = SqliteTier.open(':memory:');
    try {
      for (const version of [1, 2, 3, 4, 6, 7, 9, 10, 12]) {
        tier.set(version, writes('t', [['a', `${version}`]]));
      }
      const pairs = [1, 2, 3, 5, 6, 7, 8, 10, 11, 13].map((version) => ({ key: b('a'), version }));
      tier.drop(new Map([['t', pairs]]));
      const left = tier.getAllVersions('t', b('a')).map((entry) => entry.version);
      assert.deepEqual(left, [12, 9, 4]);
    } finally {
      tier.close();
    }
  });
});

describe('SqliteTier statements', () => {
  it('every statement is a primary-key search or a one-row scan, never a sort', () => {
    const db = connect(':memory:');
    try {
      const name = 'x"; DROP TABLE y; --';
      db.exec(
        `CREATE TABLE "${sqlTableName(name)}" (key BLOB NOT NULL, version INTEGER NOT NULL, value BLOB, PRIMARY KEY (key, version)) STRICT, WITHOUT ROWID`,
      );
      db.exec(createHorizonTableSql(name));
      db.exec('CREATE TABLE multistore_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)');
      const own = [
        `"${sqlTableName(name)}"`,
        `"${sqlHorizonTableName(name)}"`,
        floorMetaName(name),
        erasedTopMetaName(name),
      ];
      for (const statement of STATEMENT_NAMES) {
        const sql = statementSql(statement, name);
        assert.ok(own.some((id) => sql.includes(id)) && !sql.includes('DROP'), sql);
        const parameters = (sql.match(/\?/g) ?? []).map(() => new Uint8Array([1]));
        const plan = (
          db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as { detail: string }[]
        )
          .map((row) => row.detail)
          .join('; ');
        assert.doesNotMatch(plan, /TEMP B-TREE|AUTOMATIC/, `${statement}: ${plan}`);
        if (statement === 'newest')
          assert.match(plan, /^SEARCH .* USING PRIMARY KEY \(key=\? AND version<\?\)$/);
        if (/^key(After|AtOrAfter)$/.test(statement))
          assert.match(plan, /USING PRIMARY KEY \(key>\?\)$/);
        if (/^key(Before|AtOrBefore)$/.test(statement))
          assert.match(plan, /USING PRIMARY KEY \(key<\?\)$/);
        if (/^horizon(After|AtOrAfter)$/.test(statement))
          assert.match(plan, /USING PRIMARY KEY \(key>\?\)$/);
        if (/^horizon(Before|AtOrBefore)$/.test(statement))
          assert.match(plan, /USING PRIMARY KEY \(key<\?\)$/);
        if (statement === 'horizon') assert.match(plan, /USING PRIMARY KEY \(key=\?\)$/);
        if (/^(newest|key|firstKey|lastKey)/.test(statement)) assert.match(sql, /LIMIT 1$/);
      }
    } finally {
      db.close();
    }
  });

  it('importing the tier factory does not load better-sqlite3; opening a SQLite tier does', () => {
    const index = new URL('../factory.js', import.meta.url).href;
    const script = `
      import { createRequire } from 'node:module';
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((p) => p.includes('better-sqlite3'));
      const tier = await import(${JSON.stringify(index)});
      const before = loaded();
      tier.openTier({ kind: 'sqlite' }).close();
      console.log(JSON.stringify([before, loaded()]));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), [false, true]);
  });
});

describe('SqliteTier file lock', () => {
  const locked = (e: unknown) =>
    e instanceof StoreLockedError && e.code === 'STORE_LOCKED' && e.holder === 'this process';

  it('refuses a second open of the same file in this process until the first is closed', () => {
    const path = freshPath();
    const first = SqliteTier.open(path);
    try {
      assert.throws(() => SqliteTier.open(path), locked);
      assert.throws(() => SqliteTier.open(join(dir, '.', `tier-${counter}.db`)), locked);
    } finally {
      first.close();
    }
    SqliteTier.open(path).close();
  });

  it('refuses an open from another process while the file is held', () => {
    const path = freshPath();
    const tier = SqliteTier.open(path);
    try {
      tier.set(1, writes('t', [['k', '1']]));
      const module = new URL('./sqlite-tier.js', import.meta.url).href;
      const child = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import { SqliteTier } from ${JSON.stringify(module)};
           try { SqliteTier.open(${JSON.stringify(path)}); console.log('opened'); }
           catch (e) { console.log(e.code, e.name, e.holder); }`,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(child.stdout.trim(), 'STORE_LOCKED StoreLockedError another process');
    } finally {
      tier.close();
    }
  });
});
