/**
 * A flush's outcome does not depend on how drop requests were batched: the
 * requests of one flush give exactly what applying them one at a time, in
 * commit order, gives, because each is judged against what the earlier ones
 * left (drop-batch.ts), and the worker's queue keeps commit order even when
 * its mailbox is full.
 *
 * The randomized test runs one script of commits (writes, tombstones, drop
 * deltas, retention tables) and flush points under several configurations:
 * a flush per request (batchSize 1) and large or odd batches, in both actor
 * modes, and requires the same versions, values and statistics from all of
 * them. In inline mode a batchSize of 1 applies each request inside its
 * commit, before later commits of the same stretch; a request is judged on
 * what the key holds when it is applied, so the script flushes before a
 * commit that writes, at or below the latest version, a key with a request
 * still pending (the one case where "when" changes what is judged: see the
 * README's drop semantics).
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VersionTooOldError } from '../common/errors.js';
import type { ActorMode } from '../runtime/actor.js';
import { MockClock } from '../runtime/clock.js';
import { versionsOf } from '../test-support/store-checks.js';
import { forEachStoreSetup, text } from '../test-support/store-setups.js';
import type { Delta } from './deltas.js';
import { MultiStore } from './multistore.js';

const TABLES = [
  { name: 'single', prefix: 's:', retention: { keepLastVersions: 1 } },
  { name: 'recent', prefix: 'r:', retention: { keepLastVersions: 2 } },
];
const KEYS = ['a', 's:a', 'r:a'];

forEachStoreSetup((setup) => {
  /**
   * `drop a` at 11 then `set a, keep 1` at 12: applied in that order the key
   * is deleted at 11 (absent there), then keeps only 12; the other way round
   * the keep-1 request erases 8 and 10 first and reads at 11 are refused.
   */
  const outcomeOf = (store: MultiStore) => [
    store.versions('a').map((v) => v.version),
    readAt(store, 9),
    readAt(store, 11),
  ];
  const orderMatters = (store: MultiStore) => {
    store.commit([{ type: 'drop', key: 'a' }], 11);
    store.commit(
      [
        { type: 'set', key: 'a', value: '12' },
        { type: 'drop', key: 'a', keepLastVersions: 1 },
      ],
      12,
    );
  };
  const inCommitOrder = [[12], 'VERSION_TOO_OLD from 11', 'absent'];

  it('judges a drop against what an earlier request of the same flush left (one flush gives what two give)', async () => {
    const outcomes: unknown[] = [];
    for (const flushBetween of [true, false]) {
      const store = setup.open({ dropWorker: { batchSize: 1000, flushIntervalMs: 1e9 } });
      try {
        store.commit([{ type: 'set', key: 'a', value: '8' }], 8);
        store.commit([{ type: 'set', key: 'a', value: '10' }], 10);
        await store.flush();
        store.commit([{ type: 'drop', key: 'a' }], 11);
        if (flushBetween) await store.flush();
        store.commit(
          [
            { type: 'set', key: 'a', value: '12' },
            { type: 'drop', key: 'a', keepLastVersions: 1 },
          ],
          12,
        );
        await store.flush();
        outcomes.push(outcomeOf(store));
      } finally {
        await store.close();
      }
    }
    assert.deepEqual(outcomes, [inCommitOrder, inCommitOrder]);
  });

  it('applies requests in commit order when a full mailbox makes the committer apply them', async () => {
    const store = setup.open({
      dropWorker: { batchSize: 1000, flushIntervalMs: 1e9, mailboxCapacity: 1 },
    });
    try {
      store.commit([{ type: 'set', key: 'a', value: '8' }], 8);
      store.commit([{ type: 'set', key: 'a', value: '10' }], 10);
      await store.flush();
      // In event-loop mode the mailbox (one message) fills with the first
      // commit's news: the second commit's request is applied by the
      // committer, yet after the one queued before it.
      orderMatters(store);
      await store.flush();
      assert.deepEqual(outcomeOf(store), inCommitOrder);
    } finally {
      await store.close();
    }
  });
});

/** What a read of `a` at `version` answers: its value, absent, or the refusal. */
function readAt(store: MultiStore, version: number): string {
  try {
    return text(store.get('a', version)?.value) ?? 'absent';
  } catch (error) {
    if (error instanceof VersionTooOldError) return `VERSION_TOO_OLD from ${error.readableFrom}`;
    throw error;
  }
}

type Step =
  | { readonly op: 'commit'; readonly deltas: readonly Delta[]; readonly step: number }
  | { readonly op: 'flush' };

/** Mostly `a`, so that its history grows long enough for drops to disagree. */
const key = fc.oneof(
  { weight: 8, arbitrary: fc.constant('a') },
  { weight: 1, arbitrary: fc.constantFrom(...KEYS) },
);
const dropOf = (keepLastVersions: fc.Arbitrary<number>) =>
  fc.record(
    { type: fc.constant('drop' as const), key, upToVersion: fc.nat(40), keepLastVersions },
    { requiredKeys: ['type', 'key'] },
  );
const delta: fc.Arbitrary<Delta> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ type: fc.constant('set' as const), key, value: key }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('remove' as const), key }) },
  { weight: 2, arbitrary: dropOf(fc.nat(3)) },
);
/** A write and a drop of the same key in one commit: the drop's pending version is the write's. */
const writeAndDrop: fc.Arbitrary<Delta[]> = fc
  .record({ key, keepLastVersions: fc.integer({ min: 1, max: 2 }) })
  .map(({ key, keepLastVersions }) => [
    { type: 'set', key, value: key },
    { type: 'drop', key, keepLastVersions },
  ]);
const commitOf = (deltas: fc.Arbitrary<Delta[]>, min: number, max: number) =>
  fc.record({
    op: fc.constant('commit' as const),
    deltas,
    step: fc.integer({ min, max }),
  });
/**
 * Histories grow by writes at new versions; what tells batching apart is a
 * write-and-drop below the newest version (its pending version sits under
 * versions the drop erases) followed by another drop of the key.
 */
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: commitOf(fc.array(delta, { minLength: 1, maxLength: 3 }), -4, 2) },
  {
    weight: 5,
    arbitrary: commitOf(
      key.map((name) => [{ type: 'set', key: name, value: name }]),
      1,
      1,
    ),
  },
  { weight: 2, arbitrary: commitOf(writeAndDrop, -4, -1) },
  {
    weight: 2,
    arbitrary: commitOf(
      dropOf(fc.integer({ min: 2, max: 4 })).map((d) => [d]),
      0,
      1,
    ),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'flush' as const }) },
);

/** A commit at a version, or a flush: the script every configuration runs. */
type Action = { readonly deltas: readonly Delta[]; readonly version: number } | 'flush';

const isRetained = (name: string) => name.startsWith('s:') || name.startsWith('r:');

/**
 * Versions for the steps. With `settle`, also a flush before any commit that
 * writes, at or below the latest version, a key that has a request pending.
 */
function script(steps: readonly Step[], settle: boolean): Action[] {
  const actions: Action[] = [];
  const pending = new Set<string>();
  let latest = 0;
  for (const item of steps) {
    if (item.op === 'flush') {
      actions.push('flush');
      pending.clear();
      continue;
    }
    const version = Math.max(0, latest + item.step);
    const writes = item.deltas.filter((d) => d.type !== 'drop').map((d) => String(d.key));
    if (settle && version <= latest && writes.some((name) => pending.has(name))) {
      actions.push('flush');
      pending.clear();
    }
    actions.push({ deltas: item.deltas, version });
    for (const d of item.deltas) if (d.type === 'drop') pending.add(String(d.key));
    for (const name of writes) if (isRetained(name)) pending.add(name);
    latest = Math.max(latest, version);
  }
  return actions;
}

interface Config {
  readonly actorMode: ActorMode;
  readonly batchSize: number;
}

/** What the store shows at a flush point: versions, values, figures, drops counted. */
function shown(store: MultiStore): unknown {
  return {
    latest: store.latestVersion,
    versions: KEYS.map((name) => [name, versionsOf(store.versions(name))]),
    stats: store.stats(),
    entriesDropped: store.dropWorkerStats().entriesDropped,
    failures: store.dropWorkerStats().failures,
  };
}

/** What the store shows at every flush point of the script, and at its end. */
async function outcome(
  tier: 'memory' | 'sqlite',
  config: Config,
  actions: readonly Action[],
): Promise<unknown> {
  const store = MultiStore.open({
    tier,
    actorMode: config.actorMode,
    clock: new MockClock(),
    tables: TABLES,
    dropWorker: { batchSize: config.batchSize, flushIntervalMs: 1e9, mailboxCapacity: 100_000 },
  });
  try {
    const seen: unknown[] = [];
    for (const action of [...actions, 'flush' as const]) {
      if (action !== 'flush') {
        try {
          store.commit(action.deltas, action.version);
        } catch (error) {
          // A write where history was erased is refused: the same in every configuration.
          if (!(error instanceof VersionTooOldError)) throw error;
          seen.push(`refused at ${action.version}`);
        }
        continue;
      }
      await store.flush();
      seen.push(shown(store));
    }
    return seen;
  } finally {
    await store.close();
  }
}

async function expectSameOutcome(
  tier: 'memory' | 'sqlite',
  actions: readonly Action[],
  configs: readonly Config[],
): Promise<void> {
  const [first, ...rest] = configs as [Config, ...Config[]];
  const reference = await outcome(tier, first, actions);
  for (const config of rest) {
    assert.deepEqual(
      await outcome(tier, config, actions),
      reference,
      `${config.actorMode} mode, batchSize ${config.batchSize} against ${first.actorMode} mode, batchSize ${first.batchSize}`,
    );
  }
}

for (const tier of ['memory', 'sqlite'] as const) {
  describe(`${tier} tier`, () => {
    it('gives the same versions and statistics whether requests are flushed one at a time or in batches of any size, in both modes', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(step, { minLength: 1, maxLength: 40, size: 'max' }),
          fc.integer({ min: 2, max: 6 }),
          async (steps, oddBatch) => {
            // Configurations that apply requests only at flush points (event-loop
            // mode, or a batch larger than the script) run the script as it is.
            await expectSameOutcome(tier, script(steps, false), [
              { actorMode: 'event-loop', batchSize: 1 },
              { actorMode: 'event-loop', batchSize: 1000 },
              { actorMode: 'event-loop', batchSize: oddBatch },
              { actorMode: 'inline', batchSize: 1000 },
            ]);
            // Inline mode with small batches applies requests inside commits.
            await expectSameOutcome(tier, script(steps, true), [
              { actorMode: 'event-loop', batchSize: 1000 },
              { actorMode: 'inline', batchSize: 1 },
              { actorMode: 'inline', batchSize: oddBatch },
            ]);
          },
        ),
        { numRuns: 100 },
      );
    });
  });
}
