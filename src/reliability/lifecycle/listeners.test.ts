/**
 * `storage-stats` listeners that misbehave: one that throws on every event,
 * and one that commits to the store from inside the event (an audit write per
 * event, bounded). Neither may corrupt the store or its statistics: after the
 * cascade settles and the store is flushed, every key holds exactly what a
 * model that replays the commits in store order holds, and the tracked
 * figures equal both the model's and a recount of the tier, table by table.
 *
 * In inline mode the committing listener runs inside the outer commit (the
 * test checks it really did); in event-loop mode it runs on a later turn.
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { utf8 } from '../../common/bytes.js';
import { MemoryLogger } from '../../common/logger.js';
import type { StorageStatsRecorded } from '../../event/events.js';
import { MultiStore } from '../../store/multistore.js';
import { StoreModel } from '../../test-support/store-model.js';
import { forEachStoreSetup, type StoreSetup } from '../../test-support/store-setups.js';
import type { AbstractTier } from '../../tier/abstract-tier.js';
import { openTier } from '../../tier/factory.js';
import {
  CommitLog,
  expectExact,
  LIFECYCLE_TABLES,
  lifecycleRetention,
  workloadDeltas,
} from './workload.js';

function openWithTier(setup: StoreSetup, logger: MemoryLogger): [MultiStore, AbstractTier] {
  const tier = openTier({ kind: setup.tier });
  const store = MultiStore.fromTier(tier, {
    actorMode: setup.actorMode,
    tables: LIFECYCLE_TABLES,
    logger,
    dropWorker: { batchSize: 7, mailboxCapacity: 4 },
  });
  return [store, tier];
}

/** Flush until listeners stop committing (each flush may deliver events that commit more). */
async function settleCascade(store: MultiStore, commits: () => number): Promise<void> {
  for (let rounds = 0; ; rounds++) {
    assert.ok(rounds < 10_000, 'the listener cascade settles');
    const before = commits();
    await store.flush();
    if (commits() === before) return;
  }
}

function expectMatchesReplay(store: MultiStore, tier: AbstractTier, log: CommitLog): void {
  const model = new StoreModel(lifecycleRetention);
  log.replay(model);
  model.flush();
  expectExact(store, tier, model, log.keys);
}

/** Values a listener may throw: errors and things that are not. */
const THROWN: readonly unknown[] = [
  new Error('listener failure'),
  'a string',
  undefined,
  {
    toString() {
      throw new Error('cannot even print me');
    },
  },
];

forEachStoreSetup((setup) => {
  it('a listener that throws on every event corrupts neither the store nor the figures', async () => {
    const logger = new MemoryLogger();
    const [store, tier] = openWithTier(setup, logger);
    let thrown = 0;
    let seenAfter = 0;
    store.events.on('storage-stats', () => {
      throw THROWN[thrown++ % THROWN.length];
    });
    store.events.on('storage-stats', () => {
      seenAfter++;
    });
    const log = new CommitLog();
    try {
      for (let v = 1; v <= 300; v++) {
        log.commit(store, workloadDeltas(v), v);
        if (v % 60 === 0) await store.flush();
      }
      await store.flush();
      expectMatchesReplay(store, tier, log);
      assert.ok(thrown > 300, `the listener threw ${thrown} times`);
      assert.equal(seenAfter, thrown, 'a later listener still got every event');
      const failures = logger.records.filter((r) => r.message === 'event listener failed');
      assert.equal(failures.length, thrown, 'every failure was logged');
      log.commit(store, workloadDeltas(301), 301);
      await store.flush();
      expectMatchesReplay(store, tier, log);
    } finally {
      await store.close();
    }
  });

  it('a listener that commits on every event (bounded) leaves contents and figures exact', async () => {
    const [store, tier] = openWithTier(setup, new MemoryLogger());
    const log = new CommitLog();
    const AUDIT_BOUND = 250;
    let audits = 0;
    let nested = 0;
    let outerCommitRunning = false;
    const audit = (event: StorageStatsRecorded): void => {
      if (audits >= AUDIT_BOUND) return;
      audits++;
      if (outerCommitRunning) nested++;
      const deltas = [
        {
          type: 'set' as const,
          key: utf8(`audit:${audits % 3}`),
          value: utf8(`v${event.version} w${event.writes.length} d${event.drops.length}`),
        },
      ];
      // Every fifth audit also writes a key the workload writes (a retention table).
      if (audits % 5 === 0) deltas.push({ type: 'set', key: utf8('r:0'), value: utf8('audited') });
      log.commit(store, deltas, store.latestVersion + 1);
    };
    store.events.on('storage-stats', audit);
    try {
      for (let i = 1; i <= 200; i++) {
        outerCommitRunning = true;
        log.commit(store, workloadDeltas(i), store.latestVersion + 1);
        outerCommitRunning = false;
      }
      await settleCascade(store, () => audits);
      await store.flush();
      assert.equal(audits, AUDIT_BOUND);
      if (setup.actorMode === 'inline') assert.ok(nested > 0, 'audits ran inside outer commits');
      else assert.equal(nested, 0, 'event-loop listeners never run inside the commit');
      expectMatchesReplay(store, tier, log);
    } finally {
      await store.close();
    }
  });
});

forEachStoreSetup((setup) => {
  it('a write committed by a storage-stats listener survives the drop whose commit it reacts to', async () => {
    const store = setup.open({ dropWorker: { batchSize: 1 } });
    try {
      store.commit([{ type: 'set', key: 'a', value: 'old' }], 4);
      await store.flush();
      let reacted = false;
      store.events.on('storage-stats', (event) => {
        if (reacted || event.version !== 5) return;
        reacted = true;
        store.commit([{ type: 'set', key: 'a', value: 'from the listener' }], 6);
      });
      store.commit(
        [
          { type: 'set', key: 'b', value: 'x' },
          { type: 'drop', key: 'a' },
        ],
        5,
      );
      await store.flush();
      assert.ok(reacted, 'the listener committed');
      assert.deepEqual(
        store.versions('a').map((v) => [v.version, v.value && new TextDecoder().decode(v.value)]),
        [[6, 'from the listener']],
      );
    } finally {
      await store.close();
    }
  });
});

it('event-loop mode: no listener runs inside commit over 100,000 commits in one turn; undelivered events stay bounded and the ones shed are counted', async () => {
  const COMMITS = 100_000;
  const KEYS = 100;
  const store = MultiStore.open();
  try {
    let insideCommit = false;
    let callsInside = 0;
    let calls = 0;
    store.events.on('storage-stats', () => {
      calls++;
      if (insideCommit) callsInside++;
    });
    const value = utf8('value');
    for (let v = 1; v <= COMMITS; v++) {
      insideCommit = true;
      store.commit([{ type: 'set', key: utf8(`k${v % KEYS}`), value }], v);
      insideCommit = false;
    }
    assert.equal(calls, 0, 'nothing was delivered during the turn of the commits');
    await store.flush();
    assert.equal(callsInside, 0, 'listener calls made inside commit');
    const { eventsShed, total } = store.stats();
    assert.ok(calls <= 10_000, `at most the bus capacity was held for delivery (${calls})`);
    assert.equal(calls + eventsShed, COMMITS, 'every event was delivered or counted as shed');
    assert.equal(total.currentCount, KEYS, 'the figures missed no event');
    assert.equal(total.historicalCount, COMMITS - KEYS);
  } finally {
    await store.close();
  }
});
