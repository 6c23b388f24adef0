/**
 * The drop worker's per-key prefix plans (a tier that erases prefixes
 * itself, drop-batch.ts) against its pair-by-pair plans on the same tier
 * told not to: the same random commits, drops (below T, keep last N, both,
 * prefix ranges, keys with no version), writes at explicit versions,
 * snapshots opened and released, flushes and clock ticks must give the same
 * answers, the same `storage-stats` events
 * (entry by entry; within an event's list in any order: the prefix path
 * lists a key's drops oldest first, the pair path newest first), the
 * same versions, reads at every version (refusals included), change feed,
 * figures and worker counts; `verify()` finds nothing.
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { bytesToBinaryString } from '../common/bytes.js';
import type { StatsEntry } from '../event/events.js';
import type { ActorMode } from '../runtime/actor.js';
import { MockClock } from '../runtime/clock.js';
import { tierWithout } from '../test-support/faulty-tiers.js';
import { outcome, versionsOf } from '../test-support/store-checks.js';
import { turns } from '../test-support/store-setups.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { openTier } from '../tier/factory.js';
import { MultiStore } from './multistore.js';

const TABLES = [
  { name: 'one', prefix: 's:', retention: { keepLastVersions: 1 } },
  { name: 'three', prefix: 't:', retention: { keepLastVersions: 3 } },
];
const KEYS = ['a', 'b', 'ab', 's:a', 't:a', 't:b'];

type Op =
  | { op: 'set'; keys: string[]; back: number; remove: boolean }
  | { op: 'drop'; key: string; keep: number | undefined; upTo: number | undefined }
  | { op: 'dropPrefix'; prefix: string; keep: number | undefined; upTo: number | undefined }
  | { op: 'begin'; back: number }
  | { op: 'end' }
  | { op: 'flush' }
  | { op: 'tick' };

const key = fc.constantFrom(...KEYS, 'zz');
const keep = fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined });
const upTo = fc.option(fc.nat(25), { nil: undefined });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('set' as const),
      keys: fc.array(key, { minLength: 1, maxLength: 3 }),
      back: fc.oneof({ weight: 4, arbitrary: fc.constant(-1) }, fc.nat(3)),
      remove: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('drop' as const), key, keep, upTo }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('dropPrefix' as const),
      prefix: fc.constantFrom('a', 't:', ''),
      keep,
      upTo,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('begin' as const), back: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('end' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('flush' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const) }) },
);

const entryText = (e: StatsEntry) =>
  `${e.table} ${bytesToBinaryString(e.key)}@${e.version}:${e.category}:${e.valueBytes}`;

class Side {
  readonly clock = new MockClock();
  readonly store: MultiStore;
  readonly events: string[] = [];
  reader: ReturnType<MultiStore['begin']> | undefined;

  constructor(tier: AbstractTier, actorMode: ActorMode) {
    this.store = MultiStore.fromTier(tier, {
      tables: TABLES,
      actorMode,
      clock: this.clock,
      dropWorker: { batchSize: 3, mailboxCapacity: 4, flushIntervalMs: 5 },
    });
    this.store.events.on('storage-stats', (event) => {
      const kinds = ['writes', 'deletes', 'drops', 'moves'] as const;
      this.events.push(
        `${event.version} ${kinds.map((k) => `${k}[${event[k].map(entryText).sort().join(' ')}]`).join(' ')}`,
      );
    });
  }

  apply(step: Op): unknown {
    const store = this.store;
    const limits = (s: { keep: number | undefined; upTo: number | undefined }) => ({
      ...(s.keep === undefined ? {} : { keepLastVersions: s.keep }),
      ...(s.upTo === undefined ? {} : { upToVersion: s.upTo }),
    });
    switch (step.op) {
      case 'set': {
        const version = step.back < 0 ? undefined : Math.max(1, store.latestVersion - step.back);
        const deltas = step.keys.map((k, i) =>
          step.remove && i === 0
            ? { type: 'remove' as const, key: k }
            : { type: 'set' as const, key: k, value: 'v'.repeat(i + 1) },
        );
        return outcome(() => store.commit(deltas, version));
      }
      case 'drop':
        return outcome(() => store.commit([{ type: 'drop', key: step.key, ...limits(step) }]));
      case 'dropPrefix':
        return outcome(() =>
          store.commit([{ type: 'drop', prefix: step.prefix, ...limits(step) }]),
        );
      case 'begin':
        this.reader?.rollback();
        this.reader = store.begin({
          readOnly: true,
          asOf: Math.max(0, store.latestVersion - step.back),
        });
        return undefined;
      case 'end':
        this.reader?.rollback();
        this.reader = undefined;
        return undefined;
      case 'flush':
        return store.flush().then(() => 'flushed');
      case 'tick':
        this.clock.advanceMillis(10);
        return undefined;
    }
  }

  contents(): unknown {
    const store = this.store;
    const reads: unknown[] = [];
    for (const k of [...KEYS, 'zz']) {
      for (let version = 0; version <= store.latestVersion; version++) {
        reads.push(outcome(() => store.get(k, version)?.version));
      }
    }
    const { entriesDropped, parked, requests } = store.dropWorkerStats();
    return {
      versions: KEYS.map((k) => versionsOf(store.versions(k))),
      reads,
      tables: store.stats().tables,
      worker: { entriesDropped, parked, requests },
      events: this.events,
      changes: outcome(() =>
        [...store.changes({ from: 0 })].map(({ version, writes }) => [
          version,
          writes.map((w) => `${bytesToBinaryString(w.key)}=${w.value?.length}`),
        ]),
      ),
      verify: store.verify(),
    };
  }
}

async function differential(actorMode: ActorMode, ops: readonly Op[]): Promise<void> {
  const prefixes = new Side(openTier({ kind: 'memory' }), actorMode);
  const pairs = new Side(tierWithout(openTier({ kind: 'memory' }), 'erasesPrefixes'), actorMode);
  assert.equal(prefixes.store.stats().total.currentCount, 0);
  try {
    for (const [i, step] of ops.entries()) {
      const [a, b] = await Promise.all([prefixes.apply(step), pairs.apply(step)]);
      assert.deepEqual(b, a, `step ${i} (${step.op}): the same answer`);
      await turns(3);
      assert.deepEqual(pairs.contents(), prefixes.contents(), `after step ${i} (${step.op})`);
    }
    for (const side of [prefixes, pairs]) side.reader?.rollback();
    await Promise.all([prefixes.store.flush(), pairs.store.flush()]);
    await turns(3);
    assert.deepEqual(pairs.contents(), prefixes.contents(), 'at the end');
  } finally {
    for (const side of [prefixes, pairs]) side.reader?.rollback();
    await Promise.all([prefixes.store.close(), pairs.store.close()]);
  }
}

for (const actorMode of ['event-loop', 'inline'] as const) {
  it(`the prefix plans of a tier that erases prefixes act as the pair plans do (memory tier, ${actorMode} mode)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 3, maxLength: 40 }), (ops) =>
        differential(actorMode, ops),
      ),
      { numRuns: Number(process.env.PREFIX_RUNS ?? 40) },
    );
  });
}
