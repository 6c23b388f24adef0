/**
 * Retention trimmed in the commit's own tier step (store-writer.ts): with no
 * open snapshot reading below the commit, a write to a `keepLastVersions: N`
 * table erases what it makes redundant at once, with exact statistics, the
 * horizon and the drop entries the drop worker would have produced; with
 * one, the write queues its request as before.
 *
 * The randomized differential test runs the same operations on a store
 * whose tier trims and on one whose tier does not (the queued path), the
 * latter's drop worker flushed after every step: both must show the same
 * versions, reads (refusals included), figures, erased-entry counts, parked
 * requests and statistics entries (regrouped: a trimmed commit reports its
 * erasures in its own event, a flush in a later one; and a version a commit
 * both made historical and trimmed is one drop `current` there, a move to
 * historical and a drop from it on the queued path: {@link pairedAsDrops}).
 */

import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import fc from 'fast-check';
import { bytesToBinaryString, utf8 } from '../common/bytes.js';
import { VersionTooOldError } from '../common/errors.js';
import type { StatsEntry, StorageStatsRecorded } from '../event/events.js';
import { tierWithout } from '../test-support/faulty-tiers.js';
import { outcome, versionsOf } from '../test-support/store-checks.js';
import { figuresOf } from '../test-support/store-model.js';
import { forEachStoreSetup, STORE_SETUPS, turns } from '../test-support/store-setups.js';
import { openTier } from '../tier/factory.js';
import { MultiStore } from './multistore.js';

const TABLES = [
  { name: 'single', prefix: 's:', retention: { keepLastVersions: 1 } },
  { name: 'recent', prefix: 'r:', retention: { keepLastVersions: 2 } },
  { name: 'triple', prefix: 't:', retention: { keepLastVersions: 3 } },
];

const entryText = (e: StatsEntry) =>
  `${bytesToBinaryString(e.key)}@${e.version}:${e.category}:${e.valueBytes}`;

forEachStoreSetup((setup) => {
  let store: MultiStore;
  afterEach(() => store.close());

  it('a write to a keep-1 table erases the older version in its own commit: reads, figures, horizon and event exact before any flush', async () => {
    store = setup.open({ tables: TABLES, dropWorker: { flushIntervalMs: 1e9, batchSize: 1000 } });
    const events: StorageStatsRecorded[] = [];
    store.events.on('storage-stats', (event) => events.push(event));
    store.commit([{ type: 'set', key: 's:a', value: '1' }], 1);
    store.commit([{ type: 'set', key: 's:a', value: '22' }], 2);
    assert.deepEqual(
      store.versions('s:a').map((v) => v.version),
      [2],
    );
    const single = store.stats().tables.single;
    assert.deepEqual(
      [single?.currentCount, single?.currentValueBytes, single?.historicalCount],
      [1, 2, 0],
    );
    assert.throws(
      () => store.get('s:a', 1),
      (error) => error instanceof VersionTooOldError && error.readableFrom === 2,
    );
    assert.equal(store.get('s:a', 0), undefined, 'below the erased interval: absent, as before');
    await turns(); // event-loop mode: listeners hear of a commit on a later turn
    const second = events[1] as StorageStatsRecorded;
    assert.equal(second.version, 2);
    assert.deepEqual(second.writes.map(entryText), ['s:a@2:current:2']);
    // v1 was current and is gone: one drop `current`, no move to historical first.
    assert.deepEqual(second.moves.map(entryText), []);
    assert.deepEqual(second.drops.map(entryText), ['s:a@1:current:1']);
    const worker = store.dropWorkerStats();
    assert.deepEqual(
      [worker.requests, worker.trimmedInCommit, worker.entriesDropped, worker.batches],
      [0, 2, 1, 0],
    );
    assert.deepEqual(store.verify(), []);
  });

  it('a trimming commit reports each version its write made historical and its trim erased as one drop current, every other erasure and move as before; figures equal a recount', async () => {
    store = setup.open({ tables: TABLES, dropWorker: { flushIntervalMs: 1e9, batchSize: 1000 } });
    const events: StorageStatsRecorded[] = [];
    store.events.on('storage-stats', (event) => events.push(event));
    store.commit(
      [
        { type: 'set', key: 's:a', value: '1' },
        { type: 'set', key: 's:t', value: 'x' },
        { type: 'set', key: 'r:a', value: '11' },
        { type: 'set', key: 'p:a', value: '111' },
      ],
      1,
    );
    store.commit([{ type: 'set', key: 's:a', value: '22' }], 2);
    store.commit([{ type: 'remove', key: 's:t' }], 3);
    store.commit([{ type: 'set', key: 'r:a', value: '2' }], 4);
    store.commit(
      [
        // Written twice, with a second array of the same bytes: one move, then a replacement.
        { type: 'set', key: 's:a', value: '333' },
        { type: 'set', key: 'p:a', value: '4444' },
        { type: 'set', key: 's:t', value: '55555' },
        { type: 'set', key: 'r:a', value: '666666' },
        { type: 'set', key: 's:a', value: '7777777' },
      ],
      5,
    );
    await turns();
    const event = events.find((e) => e.version === 5) as StorageStatsRecorded;
    assert.deepEqual(event.writes.map(entryText).sort(), [
      'p:a@5:current:4',
      'r:a@5:current:6',
      's:a@5:current:3',
      's:a@5:current:7',
      's:t@5:current:5',
    ]);
    // s:a@2 was current, made historical and trimmed: one drop current. The
    // tombstone s:t@3 was never current: a historical drop, no move. r:a
    // (keep 2) keeps its moved v4; its trimmed v1 was historical already.
    // The plain table's move stays a move.
    assert.deepEqual(event.drops.map(entryText).sort(), [
      'r:a@1:historical:2',
      's:a@2:current:2',
      's:a@5:current:3',
      's:t@3:historical:0',
    ]);
    assert.deepEqual(event.moves.map(entryText).sort(), [
      'p:a@1:historical:3',
      'r:a@4:historical:1',
    ]);
    assert.deepEqual(store.verify(), [], 'the figures equal a recount of the tier');
    const keys = ['s:a', 's:t', 'r:a', 'p:a'];
    const recount = figuresOf(keys.map((k) => [utf8(k), store.versions(k)]));
    assert.deepEqual({ ...store.stats().total }, recount);
    assert.equal(store.dropWorkerStats().requests, 0, 'nothing queued: every commit trimmed');
  });

  it('a commit that queues its retention (a snapshot open below it) still reports a move, and the flush a historical drop', async () => {
    store = setup.open({ tables: TABLES, dropWorker: { flushIntervalMs: 1e9, batchSize: 1000 } });
    const entries: string[] = [];
    store.events.on('storage-stats', (event) => {
      for (const kind of ['moves', 'drops'] as const) {
        for (const entry of event[kind])
          entries.push(`${event.version} ${kind} ${entryText(entry)}`);
      }
    });
    store.commit([{ type: 'set', key: 's:a', value: '1' }], 1);
    const reader = store.begin({ readOnly: true });
    store.commit([{ type: 'set', key: 's:a', value: '22' }], 2);
    reader.rollback();
    await turns();
    await store.flush();
    await turns();
    assert.deepEqual(entries, ['2 moves s:a@1:historical:1', '2 drops s:a@1:historical:1']);
    assert.deepEqual(store.verify(), []);
  });

  it('a keep-2 table keeps the two highest versions in each commit, an out-of-order write and tombstones included', () => {
    store = setup.open({ tables: TABLES });
    store.commit([{ type: 'set', key: 'r:a', value: '5' }], 5);
    store.commit([{ type: 'remove', key: 'r:a' }], 7);
    store.commit([{ type: 'set', key: 'r:a', value: '6' }], 6);
    assert.deepEqual(
      store.versions('r:a').map((v) => [v.version, v.value?.length]),
      [
        [7, undefined],
        [6, 1],
      ],
    );
    assert.throws(() => store.get('r:a', 5), VersionTooOldError);
    store.commit([{ type: 'set', key: 'r:a', value: '8' }], 8);
    assert.deepEqual(
      store.versions('r:a').map((v) => v.version),
      [8, 7],
    );
    const recent = store.stats().tables.recent;
    assert.deepEqual(
      [recent?.currentCount, recent?.historicalCount, recent?.historicalValueBytes],
      [1, 1, 0],
    );
    assert.deepEqual(store.verify(), []);
  });

  it('a commit writing a key twice below its newest version erases the written version once, as the queued path does', async () => {
    store = MultiStore.open({ tier: setup.tier, actorMode: setup.actorMode, tables: TABLES });
    const drops: string[] = [];
    store.events.on('storage-stats', (event) => {
      for (const entry of event.drops) drops.push(entryText(entry));
    });
    store.commit([{ type: 'set', key: 's:b', value: 'x' }], 2);
    store.commit(
      [
        { type: 'set', key: 's:b', value: 'yy' },
        { type: 'remove', key: 's:b' },
      ],
      1,
    );
    await store.flush();
    assert.deepEqual(
      store.versions('s:b').map((v) => v.version),
      [2],
    );
    // The set is replaced by the remove (a drop of the commit), the tombstone trimmed: one erasure.
    assert.deepEqual(drops, ['s:b@1:historical:2', 's:b@1:historical:0']);
    assert.equal(store.dropWorkerStats().entriesDropped, 1);
    assert.equal(store.dropWorkerStats().trimmedInCommit, 3);
    assert.equal(store.stats().total.historicalCount, 0);
  });

  it('an open snapshot below the commit keeps its retention on the queued path until it ends', async () => {
    store = setup.open({ tables: TABLES });
    store.commit([{ type: 'set', key: 's:a', value: '1' }], 1);
    const reader = store.begin({ readOnly: true });
    store.commit([{ type: 'set', key: 's:a', value: '2' }], 2);
    await store.flush();
    assert.deepEqual(
      store.versions('s:a').map((v) => v.version),
      [2, 1],
      'the snapshot at 1 still reads version 1',
    );
    assert.equal(reader.get('s:a')?.version, 1);
    assert.deepEqual(
      [store.dropWorkerStats().requests, store.dropWorkerStats().trimmedInCommit],
      [1, 1],
      'commit 1 trimmed (nothing to erase), commit 2 queued its request',
    );
    reader.rollback();
    await turns();
    await store.flush();
    assert.deepEqual(
      store.versions('s:a').map((v) => v.version),
      [2],
    );
    assert.equal(store.stats().tables.single?.historicalCount, 0);
    assert.equal(store.dropWorkerStats().entriesDropped, 1);
  });
});

const KEYS = ['s:a', 's:b', 'r:a', 'r:b', 't:a', 'p:a'];

type Op =
  | { op: 'set'; key: string; value: number; back: number }
  | { op: 'remove'; key: string }
  | { op: 'drop'; key: string; keepLast: number | undefined; upTo: number | undefined }
  | { op: 'begin'; slot: number; back: number }
  | { op: 'end'; slot: number }
  | { op: 'batch'; deltas: BatchDelta[]; back: number; next: BatchDelta[] | undefined };

/** A delta of a multi-delta commit (a key may come twice, a write beside a drop). */
type BatchDelta =
  | { type: 'set'; key: string; value: number }
  | { type: 'remove'; key: string }
  | { type: 'drop'; key: string; keepLastVersions: number };

const key = fc.constantFrom(...KEYS);
const batchDeltas = fc.array(
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ type: fc.constant('set' as const), key, value: fc.nat(40) }),
    },
    fc.record({ type: fc.constant('remove' as const), key }),
    fc.record({
      type: fc.constant('drop' as const),
      key,
      keepLastVersions: fc.integer({ min: 0, max: 3 }),
    }),
  ),
  { minLength: 1, maxLength: 4 },
);

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('set' as const),
      key,
      value: fc.nat(40),
      back: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, fc.nat(3)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), key }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('drop' as const),
      key,
      keepLast: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
      upTo: fc.option(fc.nat(30), { nil: undefined }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('begin' as const), slot: fc.nat(1), back: fc.nat(3) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('end' as const), slot: fc.nat(1) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('batch' as const),
      deltas: batchDeltas,
      back: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.nat(4)),
      // A second commit before any flush: the first one's drop requests are still queued.
      next: fc.option(batchDeltas, { nil: undefined }),
    }),
  },
);

/** The store deltas of a batch step. */
function deltasOf(deltas: readonly BatchDelta[]) {
  return deltas.map((d) => {
    if (d.type === 'set') return { type: 'set' as const, key: d.key, value: 'v'.repeat(d.value) };
    if (d.type === 'remove') return { type: 'remove' as const, key: d.key };
    return { type: 'drop' as const, key: d.key, keepLastVersions: d.keepLastVersions };
  });
}

/** One store of the differential test, with its open snapshots and events. */
class Side {
  readonly store: MultiStore;
  readonly readers: (ReturnType<MultiStore['begin']> | undefined)[] = [undefined, undefined];
  readonly entries: string[] = [];

  constructor(store: MultiStore) {
    this.store = store;
    store.events.on('storage-stats', (event) => {
      for (const kind of ['writes', 'deletes', 'drops', 'moves'] as const) {
        for (const entry of event[kind]) this.entries.push(`${kind} ${entryText(entry)}`);
      }
    });
  }

  apply(step: Op): unknown {
    const store = this.store;
    switch (step.op) {
      case 'set': {
        const version = step.back === 0 ? undefined : Math.max(0, store.latestVersion - step.back);
        const delta = { type: 'set' as const, key: step.key, value: 'v'.repeat(step.value) };
        return outcome(() => store.commit([delta], version));
      }
      case 'remove':
        return outcome(() => store.commit([{ type: 'remove', key: step.key }]));
      case 'drop': {
        const { keepLast, upTo } = step;
        const drop = {
          type: 'drop' as const,
          key: step.key,
          ...(keepLast === undefined ? {} : { keepLastVersions: keepLast }),
          ...(upTo === undefined ? {} : { upToVersion: upTo }),
        };
        return outcome(() => store.commit([drop]));
      }
      case 'begin': {
        this.end(step.slot);
        const asOf = Math.max(0, store.latestVersion - step.back);
        return outcome(() => {
          const reader = store.begin({ readOnly: true, asOf });
          this.readers[step.slot] = reader;
          return KEYS.map((k) => reader.get(k)?.version);
        });
      }
      case 'end':
        this.end(step.slot);
        return undefined;
      case 'batch': {
        const version = step.back === 0 ? undefined : Math.max(0, store.latestVersion - step.back);
        const first = outcome(() => store.commit(deltasOf(step.deltas), version));
        const next = step.next;
        return next === undefined ? first : [first, outcome(() => store.commit(deltasOf(next)))];
      }
    }
  }

  end(slot: number): void {
    this.readers[slot]?.rollback();
    this.readers[slot] = undefined;
  }

  endAll(): void {
    for (let slot = 0; slot < this.readers.length; slot++) this.end(slot);
  }

  /** Everything compared once both drop workers caught up. */
  contents(): unknown {
    const store = this.store;
    const reads: unknown[] = [];
    for (const k of KEYS) {
      for (let version = 0; version <= store.latestVersion; version++) {
        reads.push(outcome(() => store.get(k, version)?.version));
      }
    }
    const { entriesDropped, parked } = store.dropWorkerStats();
    return {
      latest: store.latestVersion,
      versions: KEYS.map((k) => versionsOf(store.versions(k))),
      reads,
      tables: store.stats().tables,
      worker: { entriesDropped, parked },
      entries: pairedAsDrops(this.entries),
      changes: outcome(() =>
        [...store.changes({ from: 0 })].map(({ version, writes }) => [
          version,
          writes.map((w) => `${bytesToBinaryString(w.key)}=${w.value?.length}`),
        ]),
      ),
      diffs: Array.from({ length: store.latestVersion + 1 }, (_, from) =>
        outcome(() =>
          [...store.diff(from, store.latestVersion)].map(
            (d) => `${bytesToBinaryString(d.key)}:${d.before?.length}>${d.after?.length}`,
          ),
        ),
      ),
    };
  }
}

/**
 * The entry texts, sorted, with each move of a version to historical paired
 * with a drop of that version from historical written as one drop
 * `current`: what a commit that moves and trims a version reports
 * (commit-stats.ts). Applied to both sides, so that only that regrouping
 * differs.
 */
function pairedAsDrops(entries: readonly string[]): string[] {
  const moved = new Map<string, number>();
  for (const entry of entries) {
    if (entry.startsWith('moves ') && entry.includes(':historical:')) {
      const text = entry.slice('moves '.length);
      moved.set(text, (moved.get(text) ?? 0) + 1);
    }
  }
  const paired = new Map<string, number>();
  for (const entry of entries) {
    const text = entry.slice('drops '.length);
    const left = moved.get(text) ?? 0;
    if (entry.startsWith('drops ') && left > 0) {
      moved.set(text, left - 1);
      paired.set(text, (paired.get(text) ?? 0) + 1);
    }
  }
  const out: string[] = [];
  const skip = new Map<string, number>();
  for (const [text, count] of paired) {
    skip.set(`moves ${text}`, count);
    skip.set(`drops ${text}`, count);
    for (let i = 0; i < count; i++) out.push(`drops ${text.replace(':historical:', ':current:')}`);
  }
  for (const entry of entries) {
    const left = skip.get(entry) ?? 0;
    if (left > 0) skip.set(entry, left - 1);
    else out.push(entry);
  }
  return out.sort();
}

async function differential(index: number, ops: readonly Op[]): Promise<void> {
  const setup = STORE_SETUPS[index] as (typeof STORE_SETUPS)[number];
  const options = { tables: TABLES, actorMode: setup.actorMode };
  const trimming = new Side(MultiStore.open({ ...options, tier: setup.tier }));
  const queued = new Side(
    MultiStore.fromTier(tierWithout(openTier({ kind: setup.tier }), 'trimsOnSet'), options),
  );
  const sides = [trimming, queued];
  try {
    for (const [i, step] of ops.entries()) {
      const [a, b] = sides.map((side) => side.apply(step));
      assert.deepEqual(b, a, `step ${i} (${step.op}): the same answer`);
      await Promise.all(sides.map((side) => side.store.flush()));
      assert.deepEqual(queued.contents(), trimming.contents(), `after step ${i}`);
    }
    for (const side of sides) side.endAll();
    await turns();
    await Promise.all(sides.map((side) => side.store.flush()));
    assert.deepEqual(queued.contents(), trimming.contents(), 'at the end');
    const store = trimming.store;
    assert.deepEqual(store.verify(), []);
    const recount = figuresOf(KEYS.map((k) => [utf8(k), store.versions(k)]));
    assert.deepEqual({ ...store.stats().total }, recount, 'figures equal a recount');
  } finally {
    for (const side of sides) side.endAll();
    await Promise.all(sides.map((side) => side.store.close()));
  }
}

for (const [index, setup] of STORE_SETUPS.entries()) {
  it(`retention trimmed in the commit ends as the queued requests do (${setup.tier} tier, ${setup.actorMode} mode)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 3, maxLength: 30 }), (ops) =>
        differential(index, ops),
      ),
      { numRuns: 40 },
    );
  });
}
