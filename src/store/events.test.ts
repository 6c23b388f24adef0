/**
 * `store.events` is a subscription, not a channel: user code can listen, but
 * cannot publish, and nothing it does to the events it receives changes the
 * store's statistics (which are counted before any listener runs).
 */

import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { isStoreError } from '../common/errors.js';
import type { StatsEntry, StorageStatsRecorded } from '../event/events.js';
import { recountFigures } from '../stats/recount.js';
import { forEachStoreSetup } from '../test-support/store-setups.js';
import { openTier } from '../tier/factory.js';
import { MultiStore } from './multistore.js';

/** The forged event of the issue: one more current entry that was never written. */
const FORGED: StorageStatsRecorded = {
  type: 'storage-stats',
  version: 2,
  writes: [
    {
      table: 'multi',
      key: new TextEncoder().encode('ghost'),
      version: 2,
      valueBytes: 5,
      category: 'current',
    },
  ],
  deletes: [],
  drops: [],
  moves: [],
};

/** Every property name reachable on `value` short of `Object.prototype`. */
function reachableNames(value: object): string[] {
  const names = new Set<string>();
  for (let at: object | null = value; at !== null && at !== Object.prototype; ) {
    for (const name of Reflect.ownKeys(at)) names.add(String(name));
    at = Object.getPrototypeOf(at);
  }
  return [...names].sort();
}

forEachStoreSetup((setup) => {
  let store: MultiStore;
  afterEach(() => store.close());

  it('user code cannot publish an event: statistics cannot be forged', async () => {
    const tier = openTier({ kind: setup.tier });
    store = MultiStore.fromTier(tier, { actorMode: setup.actorMode });
    store.commit([{ type: 'set', key: 'a', value: '1' }], 1);
    assert.equal(store.stats().total.currentCount, 1);
    const events = store.events as unknown as Record<string, unknown>;
    assert.deepEqual(reachableNames(store.events), ['constructor', 'on']);
    assert.equal(events.emit, undefined);
    assert.throws(() => (events.emit as (event: unknown) => void)(FORGED), TypeError);
    assert.ok(Object.isFrozen(store.events), 'no method can be added to the subscription');
    assert.throws(() => {
      events.emit = () => {};
    }, TypeError);
    const View = store.events.constructor as new (bus: unknown) => unknown;
    const fakeBus = { on: () => () => {}, emit: () => {}, hasListeners: () => true };
    assert.doesNotThrow(() => new View(fakeBus), 'a second view reaches no store');
    await store.flush();
    assert.equal(store.stats().total.currentCount, 1);
    assert.deepEqual(store.stats().tables, Object.fromEntries(recountFigures(tier)));
  });

  it('a listener that tampers with the events it receives changes no figure', async () => {
    store = setup.open();
    const seen: StorageStatsRecorded[] = [];
    const refused: boolean[] = [];
    const refuses = (change: () => unknown) => {
      try {
        change();
        refused.push(false);
      } catch (error) {
        refused.push(error instanceof TypeError);
      }
    };
    store.events.on('storage-stats', (event) => {
      seen.push(event);
      refuses(() => (event.writes as StatsEntry[]).push(...FORGED.writes));
      refuses(() => {
        (event as { version: number }).version = 99;
      });
      for (const entry of [...event.writes, ...event.moves, ...event.drops]) {
        (entry as { valueBytes: number }).valueBytes = 1e9;
      }
    });
    store.commit([{ type: 'set', key: 'a', value: '1' }], 1);
    store.commit([{ type: 'set', key: 'a', value: '22' }], 2);
    store.commit([{ type: 'drop', key: 'a', keepLastVersions: 1 }], 3);
    await store.flush();
    assert.ok(seen.length >= 3, 'the listener saw both commits and the drop flush');
    assert.ok(refused.length >= 6 && refused.every(Boolean), 'events and their lists are frozen');
    const { total } = store.stats();
    assert.deepEqual(
      [total.currentCount, total.currentValueBytes, total.historicalCount],
      [1, 2, 0],
    );
  });

  it("a listener that rewrites an event's key bytes redirects no queued drop", async () => {
    store = setup.open({
      tables: [{ name: 'sessions', prefix: 's', retention: { keepLastVersions: 1 } }],
    });
    store.events.on('storage-stats', (event) => {
      // Turn every key `sa` it is told about into `sb`, before the retention drops are applied.
      for (const entry of event.writes) entry.key[1] = 0x62;
    });
    for (let v = 1; v <= 3; v++) store.commit([{ type: 'set', key: 'sa', value: `${v}` }], v);
    await store.flush();
    assert.deepEqual(
      store.versions('sa').map((v) => v.version),
      [3],
      'the retention table keeps one version of the key written',
    );
  });

  it('one listener cannot change the entries the next listener sees', async () => {
    store = setup.open();
    const seen: string[] = [];
    store.events.on('storage-stats', (event) => {
      for (const entry of event.writes) {
        try {
          (entry as { category: string }).category = 'forged';
        } catch {
          // Frozen: what is expected.
        }
      }
    });
    store.events.on('storage-stats', (event) => {
      seen.push(...event.writes.map((entry) => `${entry.category} ${Object.isFrozen(entry)}`));
    });
    store.commit([{ type: 'set', key: 'a', value: '1' }], 1);
    await store.flush();
    assert.deepEqual(seen, ['current true']);
  });

  it('on rejects unknown event types and listeners that are not functions', () => {
    store = setup.open();
    const invalid = (error: unknown) => isStoreError(error, 'INVALID_ARGUMENT');
    const on = store.events.on.bind(store.events) as (type: unknown, listener: unknown) => unknown;
    assert.throws(() => on('storage-statistics', () => {}), invalid);
    assert.throws(() => on('storage-stats', 'listener'), invalid);
    assert.throws(() => on(undefined, () => {}), invalid);
  });
});
