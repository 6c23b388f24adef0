/**
 * A SQLite page walks in one read transaction (sql-table.ts): every statement
 * of the walk runs inside it, the connection leaves it with the page (also
 * when the walk fails), a page inside the writer's own transaction walks in
 * that one, and a reader's next page sees the writer's later commits.
 *
 * The statements are observed by wrapping the driver's `Statement#get`, which
 * every seek of a page goes through, for the length of one test.
 */

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import { isStoreError } from '../../common/errors.js';
import { tempFiles } from '../../test-support/store-setups.js';
import { b, included, scan, show, writes } from '../../tier-test/helpers.js';
import { type PageQuery, UNBOUNDED } from '../tier.js';
import { connect } from './load.js';
import { SqlTable } from './sql-table.js';
import { SqliteTier } from './sqlite-tier.js';

const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof Database;

const files = tempFiles('multistore-page-transaction-', 'pages');
const freshPath = files.fresh;

/** One statement run: its SQL, and whether its connection was in a transaction. */
interface Seen {
  readonly sql: string;
  readonly inTransaction: boolean;
  readonly database: Database.Database;
}

type Method = (this: Database.Statement, ...params: unknown[]) => unknown;
type StatementMethods = { get: Method; run: Method };

/**
 * Run `action` with every statement `get` and `run` recorded (the seeks, and
 * the driver's own BEGIN / COMMIT / SAVEPOINT); the `fail`-th `get` (1-based)
 * throws instead. Restores the driver afterwards.
 */
function observed<T>(action: () => T, fail?: number): { result: T; seen: Seen[] } {
  const probe = new Driver(':memory:');
  const prototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as StatementMethods;
  probe.close();
  const { get, run } = prototype;
  const seen: Seen[] = [];
  let gets = 0;
  const record = (statement: Database.Statement) =>
    seen.push({
      sql: statement.source,
      inTransaction: statement.database.inTransaction,
      database: statement.database,
    });
  prototype.get = function (this: Database.Statement, ...params: unknown[]) {
    record(this);
    if (++gets === fail) throw new Error('injected failure');
    return get.apply(this, params);
  };
  prototype.run = function (this: Database.Statement, ...params: unknown[]) {
    record(this);
    return run.apply(this, params);
  };
  try {
    return { result: action(), seen };
  } finally {
    prototype.get = get;
    prototype.run = run;
  }
}

/** The SQL of the transaction statements among `seen`, in order. */
const transactionStatements = (seen: readonly Seen[]): string[] =>
  seen
    .map(({ sql }) => sql)
    .filter((sql) => /^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)/.test(sql));

/** Assert `seen` is one read transaction around seeks that all ran in it, ended with the walk. */
function assertOneTransaction(seen: readonly Seen[], label: string): void {
  assert.deepEqual(transactionStatements(seen), ['BEGIN', 'COMMIT'], label);
  const seeks = seen.filter(({ sql }) => sql.startsWith('SELECT'));
  assert.ok(seeks.length >= 3, `${label}: the walk ran its seeks (${seeks.length})`);
  assert.deepEqual(
    seeks.filter(({ inTransaction }) => !inTransaction).map(({ sql }) => sql),
    [],
    `${label}: no seek outside the transaction`,
  );
  assert.equal(seen[0]?.database.inTransaction, false, `${label}: the transaction ended`);
}

/** A tier file with keys a..e (b with many versions), and horizons on c and d. */
function seeded(path: string): SqliteTier {
  const tier = SqliteTier.open(path);
  for (let v = 1; v <= 30; v++) tier.set(v, writes('t', [['b', `b${v}`]]));
  tier.set(
    31,
    writes('t', [
      ['a', 'a'],
      ['c', 'c'],
      ['d', 'd'],
      ['e', 'e'],
    ]),
  );
  tier.drop(
    new Map([['t', [{ key: b('b'), version: 1 }]]]),
    new Map([
      [
        't',
        [
          { key: b('c'), horizon: { erasedFrom: 1, readableFrom: 40 } },
          { key: b('d'), horizon: { erasedFrom: 1, readableFrom: 40 } },
        ],
      ],
    ]),
  );
  return tier;
}

describe('SQLite pages in one read transaction', () => {
  it('every seek of a page and of a horizon page runs inside one read transaction, which ends with the page', () => {
    const tier = seeded(freshPath());
    try {
      for (const reverse of [false, true]) {
        const page = observed(() => tier.page('t', { version: 20, limit: 3, reverse }));
        assert.deepEqual(page.result.entries.map(show), ['b@20=b20']);
        assertOneTransaction(page.seen, `page, reverse ${reverse}`);
      }
      const horizons = observed(() => tier.horizonPage('t', { version: 35, limit: 5 }));
      assert.deepEqual(
        horizons.result.entries.map(({ key }) => new TextDecoder().decode(key)),
        ['c', 'd'],
      );
      assertOneTransaction(horizons.seen, 'horizon page');
    } finally {
      tier.close();
    }
  });

  it('a page that fails mid-walk is TIER_IO and leaves no transaction open', () => {
    const tier = seeded(freshPath());
    try {
      let seen: Seen[] = [];
      assert.throws(
        () => {
          seen = observed(() => tier.page('t', { version: 31, limit: 5 })).seen;
          observed(() => tier.page('t', { version: 31, limit: 5 }), 4);
        },
        (error: unknown) => isStoreError(error, 'TIER_IO'),
      );
      assert.equal(seen[0]?.database.inTransaction, false, 'rolled back');
      assert.deepEqual(scan(tier, 't', { version: 31 }), [
        'a@31=a',
        'b@30=b30',
        'c@31=c',
        'd@31=d',
        'e@31=e',
      ]);
    } finally {
      tier.close();
    }
  });

  it("a reader's next page sees the writer's later commits", () => {
    const path = freshPath();
    const writer = seeded(path);
    const reader = SqliteTier.open(path, { readOnly: true });
    try {
      const start = included('b');
      assert.deepEqual(scan(reader, 't', { start, limit: 1 }), [
        'b@30=b30',
        'c@31=c',
        'd@31=d',
        'e@31=e',
      ]);
      writer.set(32, writes('t', [['bb', 'new']]));
      assert.deepEqual(scan(reader, 't', { start, limit: 2 }), [
        'b@30=b30',
        'bb@32=new',
        'c@31=c',
        'd@31=d',
        'e@31=e',
      ]);
    } finally {
      reader.close();
      writer.close();
    }
  });

  it("a page inside the writer's transaction walks in it and sees its uncommitted rows", () => {
    const db = connect(freshPath());
    try {
      const table = SqlTable.create(db, 't');
      table.insert(b('a'), 1, b('a1'));
      db.transaction(() => {
        table.insert(b('b'), 2, b('b2'));
        const { result, seen } = observed(() => table.page(WHOLE));
        assert.deepEqual(result.entries.map(show), ['a@1=a1', 'b@2=b2']);
        assert.deepEqual(transactionStatements(seen), [], 'no transaction statement of its own');
        assert.ok(db.inTransaction, 'the outer transaction is still open');
      })();
      assert.deepEqual(
        table.page(WHOLE).entries.map(show),
        ['a@1=a1', 'b@2=b2'],
        'committed with the outer transaction',
      );
    } finally {
      db.close();
    }
  });
});

/** The whole table forward, at version 2: a raw page query. */
const WHOLE: PageQuery = {
  start: UNBOUNDED,
  end: UNBOUNDED,
  version: 2,
  limit: 9,
  cursor: undefined,
  reverse: false,
};
