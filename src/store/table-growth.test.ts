/**
 * Table declarations may change over stored data as long as no stored key
 * would move to another table: tables can be added (a prefix capturing no
 * stored key) and removed (holding no key); what would move data is refused
 * with `INVALID_OPTIONS`, the number of keys and readable prefixes. Both
 * tiers: a SQLite file reopened, and the same memory tier under a new store.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isStoreError } from '../common/errors.js';
import { type Reopenable, reopenable } from '../test-support/reopen.js';
import { text } from '../test-support/store-setups.js';
import type { MultiStore } from './multistore.js';
import type { TableDeclaration } from './options.js';

/** The message of the INVALID_OPTIONS that `fn` throws. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(isStoreError(error, 'INVALID_OPTIONS'), String(error));
    return error.message;
  }
  assert.fail('expected INVALID_OPTIONS');
}

const SESSIONS: TableDeclaration = { name: 'sessions', prefix: 's:' };

for (const tier of ['memory', 'sqlite'] as const) {
  describe(`${tier} tier: tables can grow`, () => {
    let place: Reopenable;
    beforeEach(() => {
      place = reopenable(tier, 'event-loop');
    });
    afterEach(() => place.dispose());

    /** Open with `tables`, commit `keys` (one set each, a remove for `-key`), close. */
    async function seed(tables: TableDeclaration[], keys: string[]): Promise<void> {
      const store = place.open({ tables });
      keys.forEach((key, i) => {
        const remove = key.startsWith('-');
        const delta = remove
          ? { type: 'remove' as const, key: key.slice(1) }
          : { type: 'set' as const, key, value: `v${i}` };
        store.commit([delta], i + 1);
      });
      await store.close();
    }

    async function tablesOf(store: MultiStore): Promise<Record<string, number>> {
      await store.flush();
      const counts = Object.entries(store.stats().tables).map(([name, figures]) => [
        name,
        figures.currentCount + figures.historicalCount,
      ]);
      return Object.fromEntries(counts.filter(([, count]) => count !== 0));
    }

    it('adds a table whose prefix captures no stored key, and keeps it', async () => {
      await seed([SESSIONS], ['s:1', 'user:1']);
      const grown = place.open({ tables: [SESSIONS, { name: 'orders', prefix: 'order:' }] });
      grown.commit([{ type: 'set', key: 'order:7', value: 'x' }], 10);
      assert.deepEqual(await tablesOf(grown), { multi: 1, orders: 1, sessions: 1 });
      assert.equal(text(grown.get('s:1')?.value), 'v0');
      assert.equal(text(grown.get('user:1')?.value), 'v1');
      await grown.close();
      const plain = place.open();
      assert.deepEqual(await tablesOf(plain), { multi: 1, orders: 1, sessions: 1 }, 'stored');
      await plain.close();
    });

    it('adds a table nested in another when no stored key is under its prefix', async () => {
      await seed([SESSIONS], ['s:cold:1']);
      const nested = place.open({ tables: [SESSIONS, { name: 'hot', prefix: 's:hot:' }] });
      nested.commit([{ type: 'set', key: 's:hot:1', value: 'h' }], 5);
      assert.deepEqual(await tablesOf(nested), { hot: 1, sessions: 1 });
      await nested.close();
    });

    it('removes a table that holds no key', async () => {
      await seed([SESSIONS, { name: 'empty', prefix: 'e:' }], ['s:1', 'user:1']);
      const fewer = place.open({ tables: [{ name: 'orders', prefix: 'o:' }, SESSIONS] });
      assert.deepEqual(await tablesOf(fewer), { multi: 1, sessions: 1 });
      await fewer.close();
      const alone = place.open({ tables: [SESSIONS] });
      assert.deepEqual(await tablesOf(alone), { multi: 1, sessions: 1 }, 'orders removed too');
      await alone.close();
    });

    it('refuses a table that would capture stored keys: their count and readable prefix', async () => {
      await seed([], ['user:1', 'user:2', '-user:3', 'u\xff:1', 'other']);
      const message = refusal(() => place.open({ tables: [{ name: 'users', prefix: 'user:' }] }));
      assert.match(message, /3 stored keys would move to another table/, 'a tombstone counts');
      assert.match(message, /3 stored keys under "user:" from table multi to users/);
      assert.match(message, /The stored tables are none/);
      const binary = refusal(() =>
        place.open({ tables: [{ name: 'bin', prefix: new Uint8Array([0x75, 0xc3, 0xbf]) }] }),
      );
      assert.match(binary, /1 stored key under "u\\xc3\\xbf" from table multi to bin/);
      assert.doesNotMatch(binary, /75c3bf/, 'not hex');
    });

    it('refuses removing or renaming a table that holds keys; nothing changes', async () => {
      await seed([SESSIONS, { name: 'orders', prefix: 'o:' }], ['s:1', 's:2', 'o:1']);
      const removed = refusal(() => place.open({ tables: [SESSIONS] }));
      assert.match(removed, /1 stored key under "o:" from table orders to multi/);
      assert.match(removed, /declared tables \(sessions "s:"\)/);
      assert.match(removed, /stored tables are sessions "s:", orders "o:"/);
      const renamed = refusal(() =>
        place.open({
          tables: [
            { name: 'carts', prefix: 's:' },
            { name: 'orders', prefix: 'o:' },
          ],
        }),
      );
      assert.match(renamed, /2 stored keys under "s:" from table sessions to carts/);
      const again = place.open();
      assert.deepEqual(await tablesOf(again), { orders: 1, sessions: 2 });
      await again.close();
    });

    it('counts a key whose versions were all erased: its refused history stays where it is', async () => {
      await seed([SESSIONS], ['s:1', 'other', 's:2', 's:2']);
      const dropper = place.open();
      dropper.commit([{ type: 'drop', key: 's:1' }], 10);
      dropper.commit([{ type: 'drop', key: 's:2', upToVersion: 4 }], 11); // s:2 keeps version 4
      await dropper.flush();
      assert.throws(
        () => dropper.get('s:1', 1),
        (e: unknown) => isStoreError(e, 'VERSION_TOO_OLD'),
      );
      await dropper.close();
      const message = refusal(() => place.open({ tables: [] }));
      // s:2 has a version and erased history: counted once.
      assert.match(message, /: 2 stored keys would move .*under "s:" from table sessions to multi/);
      const again = place.open();
      assert.throws(
        () => again.get('s:1', 1),
        (e: unknown) => isStoreError(e, 'VERSION_TOO_OLD'),
      );
      assert.equal(text(again.get('other')?.value), 'v1');
      await again.close();
    });

    it('refuses removing a table when erased history is all the store holds', async () => {
      await seed([SESSIONS], ['s:1', 's:1']);
      const dropper = place.open();
      dropper.commit([{ type: 'drop', key: 's:1' }], 10);
      await dropper.flush();
      assert.equal(dropper.versions('s:1').length, 0); // no stored version anywhere
      await dropper.close();
      const message = refusal(() => place.open({ tables: [] }));
      assert.match(message, /: 1 stored key would move .*under "s:" from table sessions to multi/);
      const again = place.open();
      assert.throws(
        () => again.get('s:1', 1),
        (e: unknown) => isStoreError(e, 'VERSION_TOO_OLD'),
      );
      await again.close();
    });

    it('refuses a nested table that would take keys from its parent, counting only those', async () => {
      await seed([SESSIONS], ['s:hot:1', 's:hot:2', 's:cold:1']);
      const message = refusal(() =>
        place.open({ tables: [SESSIONS, { name: 'hot', prefix: 's:hot:' }] }),
      );
      assert.match(
        message,
        /: 2 stored keys would move .*under "s:hot:" from table sessions to hot\)/,
      );
    });

    it('counts each key once under new nested tables', async () => {
      await seed([], ['s:hot:1', 's:1']);
      const message = refusal(() =>
        place.open({ tables: [SESSIONS, { name: 'hot', prefix: 's:hot:' }] }),
      );
      assert.match(message, /: 2 stored keys would move/);
      assert.match(message, /1 stored key under "s:" from table multi to hot/);
      assert.match(message, /1 stored key under "s:" from table multi to sessions/);
    });

    it('lists every group of a move that touches several tables', async () => {
      await seed([SESSIONS, { name: 'orders', prefix: 'o:' }], ['s:1', 'o:1', 'o:2', 'p:1']);
      const message = refusal(() =>
        place.open({
          tables: [
            { name: 'everything', prefix: 'o' },
            { name: 'p', prefix: 'p:' },
          ],
        }),
      );
      assert.match(
        message,
        /^the declared tables \(everything "o", p "p:"\) would hide stored data: 4 stored keys would move/,
      );
      assert.match(message, /2 stored keys under "o" from table orders to everything/);
      assert.match(message, /1 stored key under "p:" from table multi to p/);
      assert.match(message, /1 stored key under "s:" from table sessions to multi/);
    });
  });
}
