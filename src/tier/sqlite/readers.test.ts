/**
 * Read-only SQLite tiers beside the writer: what they see, what they refuse,
 * their snapshots, and the one-writer lock across processes (readers take
 * none).
 */

import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isStoreError } from '../../common/errors.js';
import { MAX_VERSION } from '../../common/version.js';
import { tempFiles } from '../../test-support/store-setups.js';
import { assertCode, b, scan, show, writes } from '../../tier-test/helpers.js';
import { connect } from './load.js';
import { FORMAT_VERSION } from './migrations.js';
import { SqliteTier } from './sqlite-tier.js';

const files = tempFiles('multistore-readers-', 'reader');
const freshPath = files.fresh;
const TIER_MODULE = new URL('./sqlite-tier.js', import.meta.url).href;
const FIXTURE = fileURLToPath(
  new URL('../../../src/tier/sqlite/fixtures/format-1.db', import.meta.url),
);

const figures = (count: number) => ({
  currentCount: count,
  currentKeyBytes: 11 * count,
  currentValueBytes: count,
  historicalCount: 0,
  historicalKeyBytes: 0,
  historicalValueBytes: 0,
});

/** Run `code` (an ES module body with `SqliteTier` imported) in another Node process; its stdout. */
function inChild(code: string): string {
  const child = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { SqliteTier } from ${JSON.stringify(TIER_MODULE)};\n${code}`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(child.stderr, '', child.stderr);
  return child.stdout.trim();
}

describe('SqliteTier read-only', () => {
  it('reads what the writer committed, at each call: data, latest version, settings, figures, new tables', () => {
    const path = freshPath();
    const writer = SqliteTier.open(path);
    try {
      writer.set(1, writes('t', [['a', '1']]), undefined, {
        figures: () => new Map([['t', figures(1)]]),
      });
      const reader = SqliteTier.open(path, { readOnly: true });
      try {
        assert.equal(reader.readOnly, true);
        assert.equal(writer.readOnly, false);
        assert.equal(show(reader.get('t', b('a'), MAX_VERSION)), 'a@1=1');
        writer.set(2, writes('t', [['a', '2']]));
        writer.set(3, writes('fresh', [['n', 'x']]), undefined, {
          figures: () => new Map([['fresh', figures(1)]]),
        });
        writer.writeSetting('tables', '[]');
        assert.equal(show(reader.get('t', b('a'), MAX_VERSION)), 'a@2=2');
        assert.equal(reader.latestVersion(), 3);
        assert.equal(reader.readSetting('tables'), '[]');
        assert.deepEqual(
          reader.tables(),
          ['fresh', 't'],
          'a table created after the reader opened',
        );
        assert.deepEqual(scan(reader, 'fresh'), ['n@3=x']);
        assert.deepEqual([...reader.readFigures().keys()].sort(), ['fresh', 't']);
      } finally {
        reader.close();
      }
    } finally {
      writer.close();
    }
  });

  it('refuses every write with READ_ONLY, after validating its input', () => {
    const path = freshPath();
    SqliteTier.open(path).close();
    const reader = SqliteTier.open(path, { readOnly: true });
    try {
      assertCode(() => reader.set(1, writes('t', [['a', '1']])), 'READ_ONLY', 'set');
      assertCode(() => reader.drop(new Map()), 'READ_ONLY', 'drop');
      assertCode(() => reader.ensureTable('t'), 'READ_ONLY', 'ensureTable');
      assertCode(() => reader.clearTable('t'), 'READ_ONLY', 'clearTable');
      assertCode(() => reader.writeSetting('s', 'v'), 'READ_ONLY', 'writeSetting');
      assertCode(() => reader.set(-1, new Map()), 'INVALID_VERSION', 'bad input first');
      assert.deepEqual(reader.tables(), []);
    } finally {
      reader.close();
    }
  });

  it('a snapshot reads one state until released; a new one sees the later commits', () => {
    const path = freshPath();
    const writer = SqliteTier.open(path);
    try {
      writer.set(
        1,
        writes('t', [
          ['a', '1'],
          ['b', '1'],
        ]),
        undefined,
        {
          figures: () => new Map([['t', figures(2)]]),
        },
      );
      const reader = SqliteTier.open(path, { readOnly: true });
      try {
        const first = reader.snapshot();
        assert.notEqual(first.tier, reader);
        writer.set(
          2,
          writes('t', [
            ['a', '2'],
            ['c', '2'],
          ]),
          undefined,
          {
            figures: () => new Map([['t', figures(3)]]),
          },
        );
        assert.deepEqual(scan(first.tier, 't', { limit: 1 }), ['a@1=1', 'b@1=1']);
        assert.equal(first.tier.latestVersion(), 1);
        assert.equal(first.tier.readFigures().get('t')?.currentCount, 2);
        assert.equal(
          show(reader.get('t', b('a'), MAX_VERSION)),
          'a@2=2',
          'the reader itself moves on',
        );
        first.release();
        first.release();
        const second = reader.snapshot();
        assert.deepEqual(scan(second.tier, 't'), ['a@2=2', 'b@1=1', 'c@2=2']);
        assert.equal(second.tier.readFigures().get('t')?.currentCount, 3);
        reader.close();
        assertCode(
          () => second.tier.tables(),
          'STORE_CLOSED',
          'closing the reader closes its snapshots',
        );
        second.release();
      } finally {
        reader.close();
      }
    } finally {
      writer.close();
    }
  });

  it("a writer's snapshot is the writer itself", () => {
    const writer = SqliteTier.open(freshPath());
    try {
      const snapshot = writer.snapshot();
      assert.equal(snapshot.tier, writer);
      snapshot.release();
      assert.deepEqual(writer.tables(), []);
    } finally {
      writer.close();
    }
  });

  it('refuses what it cannot read: a missing file, :memory:, another format, a foreign database', () => {
    assertCode(() => SqliteTier.open(freshPath(), { readOnly: true }), 'TIER_IO', 'missing');
    assertCode(
      () => SqliteTier.open(':memory:', { readOnly: true }),
      'INVALID_OPTIONS',
      ':memory:',
    );
    const old = freshPath();
    copyFileSync(FIXTURE, old);
    assert.throws(
      () => SqliteTier.open(old, { readOnly: true }),
      (e: unknown) =>
        isStoreError(e, 'TIER_IO') && /format 1.*open it once for writing/.test(e.message),
    );
    const foreign = freshPath();
    const db = connect(foreign);
    db.exec('CREATE TABLE notes (x)');
    db.close();
    assert.throws(
      () => SqliteTier.open(foreign, { readOnly: true }),
      (e: unknown) => isStoreError(e, 'TIER_IO') && /not a multistore file/.test(e.message),
    );
    const newer = freshPath();
    SqliteTier.open(newer).close();
    const raw = connect(newer);
    raw
      .prepare("UPDATE multistore_meta SET value = ? WHERE name = 'format'")
      .run(FORMAT_VERSION + 1);
    raw.close();
    for (const readOnly of [true, false]) {
      assert.throws(
        () => SqliteTier.open(newer, { readOnly }),
        (e: unknown) =>
          isStoreError(e, 'TIER_IO') && /unsupported multistore file format/.test(e.message),
      );
    }
  });
});

describe('a file of a newer format', () => {
  it('is refused for writing with nothing written to it, whatever its journal mode', () => {
    const newer = freshPath();
    SqliteTier.open(newer).close();
    const raw = connect(newer);
    raw
      .prepare("UPDATE multistore_meta SET value = ? WHERE name = 'format'")
      .run(FORMAT_VERSION + 1);
    // A later format may keep the file in another journal mode.
    raw.pragma('journal_mode = DELETE');
    raw.close();
    const before = readFileSync(newer);
    assert.throws(
      () => SqliteTier.open(newer),
      (e: unknown) =>
        isStoreError(e, 'TIER_IO') && /unsupported multistore file format/.test(e.message),
    );
    assert.ok(readFileSync(newer).equals(before), 'the file is byte for byte as it was');
  });
});

describe('SqliteTier writer lock across processes', () => {
  it('another process can read while a writer holds the file, but not write', () => {
    const path = freshPath();
    const writer = SqliteTier.open(path);
    try {
      writer.set(4, writes('t', [['k', 'v']]));
      const out = inChild(`
        const reader = SqliteTier.open(${JSON.stringify(path)}, { readOnly: true });
        console.log(reader.latestVersion(), reader.get('t', Buffer.from('k'), 9).version);
        reader.close();
        try { SqliteTier.open(${JSON.stringify(path)}); console.log('opened'); }
        catch (e) { console.log(e.code, e.holder); }`);
      assert.equal(out, '4 4\nSTORE_LOCKED another process');
    } finally {
      writer.close();
    }
  });

  it('readers in another process do not keep a writer out', () => {
    const path = freshPath();
    SqliteTier.open(path).close();
    const reader = SqliteTier.open(path, { readOnly: true });
    const snapshot = reader.snapshot();
    try {
      const out = inChild(`
        const writer = SqliteTier.open(${JSON.stringify(path)});
        writer.set(7, new Map([['t', [{ key: Buffer.from('k'), value: Buffer.from('v') }]]]));
        writer.close();
        console.log('wrote');`);
      assert.equal(out, 'wrote');
      assert.equal(snapshot.tier.latestVersion(), 0, 'the open snapshot still reads its state');
      assert.equal(reader.latestVersion(), 7);
    } finally {
      snapshot.release();
      reader.close();
    }
  });

  it('a killed writer leaves no lock behind', async () => {
    const path = freshPath();
    const child: ChildProcess = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { SqliteTier } from ${JSON.stringify(TIER_MODULE)};
         SqliteTier.open(${JSON.stringify(path)});
         console.log('holding');
         setInterval(() => {}, 60000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
    assertCode(() => SqliteTier.open(path), 'STORE_LOCKED', 'held by the child');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));
    SqliteTier.open(path).close();
  });

  it('a damaged lock file is named in the TIER_IO error (an empty one is a fine lock)', () => {
    const path = freshPath();
    writeFileSync(`${path}-lock`, '');
    SqliteTier.open(path).close();
    writeFileSync(`${path}-lock`, 'not a database '.repeat(20));
    assert.throws(
      () => SqliteTier.open(path),
      (e: unknown) => isStoreError(e, 'TIER_IO') && e.message.includes(`${path}-lock`),
    );
  });
});
