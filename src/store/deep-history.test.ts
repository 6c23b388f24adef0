/**
 * Randomized, differential: deep histories (keys written at long runs of
 * consecutive versions) and the drops that erase them, on a memory store and
 * a SQLite store side by side, in both actor modes.
 *
 * The model-based test (model.test.ts) writes few versions per key, so the
 * runs of consecutive versions a drop erases are short; the SQLite tier
 * erases such a run with one range delete (sql-table.ts). Here bursts write
 * a key at tens of consecutive versions, drops (per key, over ranges and
 * prefixes, with `upToVersion`, `keepLastVersions`, both, and the tables'
 * retention) erase runs of them, and transactions and held range iterators
 * keep versions in the middle of runs from being erased (until they end,
 * or their `maxAgeMs` lease expires). After every flush both stores must
 * agree on every key's versions, the statistics (also against a recount),
 * the open snapshots and their watermark, the drop worker's counts
 * (`dropWorkerStats()`: requests, batches, entries dropped, parked; the
 * memory tier keeps no request log, the SQLite tier does, and that must
 * change none of them), every `storage-stats` event so far, the change feed
 * and a diff, and `verify()` finds nothing; any call that is refused on one
 * must be refused with the same code on the other.
 *
 * A drop takes effect when the worker applies it, judged against the
 * snapshots open then (README, "The drop rule", steps 4 and 7), so both
 * stores must apply each drop at the same step. They share one MockClock: on
 * the real clock the flush timer fired when wall time said so, at a different
 * step in the slower SQLite store (in inline mode a commit fires what is due),
 * and the stores then disagreed legitimately. A `tick` moves the shared clock
 * past the flush interval, so timer-driven flushes still happen, at the same
 * step in both stores.
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { bytesToBinaryString, utf8 } from '../common/bytes.js';
import type { StatsEntry } from '../event/events.js';
import type { ActorMode } from '../runtime/actor.js';
import { MockClock } from '../runtime/clock.js';
import { outcome, versionsOf } from '../test-support/store-checks.js';
import { figuresOf } from '../test-support/store-model.js';
import { STORE_SETUPS, type StoreSetup } from '../test-support/store-setups.js';
import type { MultiStore } from './multistore.js';
import type { Transaction } from './transaction.js';

/** Keys that are prefixes of each other, the empty key, keys of two retention tables. */
const KEYS = ['', 'a', 'a\u0000', 'ab', 'd:1', 'd:1\u0000', 's:1'].map(utf8);
const TABLES = [
  { name: 'deep', prefix: 'd:', retention: { keepLastVersions: 5 } },
  { name: 'single', prefix: 's:', retention: { keepLastVersions: 1 } },
];
const PREFIXES = ['', 'a', 'd:', 'd:1'].map(utf8);
const SLOTS = 2;
const FLUSH_INTERVAL_MS = 50;
/** How far a `tick` moves the shared clock: past the flush interval. */
const TICK_MS = FLUSH_INTERVAL_MS;

type Op =
  | { op: 'burst'; keys: number[]; count: number; tombstoneEvery: number; gap: boolean }
  | { op: 'drop'; key: number; upToBack: number | undefined; keep: number | undefined }
  | { op: 'dropPrefix'; prefix: number; upToBack: number | undefined; keep: number | undefined }
  | {
      op: 'dropRange';
      start: number;
      end: number;
      upToBack: number | undefined;
      keep: number | undefined;
    }
  | { op: 'begin'; slot: number; back: number; maxAge: boolean }
  | { op: 'hold'; slot: number; back: number }
  | { op: 'end'; slot: number }
  | { op: 'tick' }
  | { op: 'flush' };

const keyIndex = fc.nat(KEYS.length - 1);
const upToBack = fc.option(fc.nat(60), { nil: undefined });
const keep = fc.option(fc.nat(6), { nil: undefined });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('burst' as const),
      keys: fc.uniqueArray(keyIndex, { minLength: 1, maxLength: 4 }),
      count: fc.integer({ min: 1, max: 40 }),
      tombstoneEvery: fc.integer({ min: 0, max: 7 }),
      gap: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('drop' as const), key: keyIndex, upToBack, keep }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('dropPrefix' as const),
      prefix: fc.nat(PREFIXES.length - 1),
      upToBack,
      keep,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('dropRange' as const),
      start: keyIndex,
      end: keyIndex,
      upToBack,
      keep,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('begin' as const),
      slot: fc.nat(SLOTS - 1),
      back: fc.nat(30),
      maxAge: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('hold' as const),
      slot: fc.nat(SLOTS - 1),
      back: fc.nat(30),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('end' as const), slot: fc.nat(SLOTS - 1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('flush' as const) }) },
);

/** One store and what it holds open. */
class Side {
  readonly transactions: (Transaction | undefined)[] = [];
  readonly held: (Iterator<unknown> | undefined)[] = [];

  readonly events: unknown[] = [];

  constructor(readonly store: MultiStore) {
    store.events.on('storage-stats', (record) => {
      const entries = (list: readonly StatsEntry[]) =>
        list
          .map(
            (e) =>
              `${e.table}/${bytesToBinaryString(e.key)}@${e.version}:${e.valueBytes}:${e.category}`,
          )
          .sort();
      this.events.push({
        version: record.version,
        writes: entries(record.writes),
        deletes: entries(record.deletes),
        drops: entries(record.drops),
        moves: entries(record.moves),
      });
    });
  }

  apply(step: Op): unknown {
    const store = this.store;
    const latest = store.latestVersion;
    const constraints = (upTo: number | undefined, keepLast: number | undefined) => ({
      ...(upTo === undefined ? {} : { upToVersion: Math.max(0, latest - upTo) }),
      ...(keepLast === undefined ? {} : { keepLastVersions: keepLast }),
    });
    switch (step.op) {
      case 'burst':
        return outcome(() => {
          const versions: (number | undefined)[] = [];
          for (let i = 0; i < step.count; i++) {
            const version = store.latestVersion + (step.gap && i % 5 === 4 ? 2 : 1);
            const deltas = step.keys.map((k) =>
              step.tombstoneEvery > 0 && i % step.tombstoneEvery === step.tombstoneEvery - 1
                ? { type: 'remove' as const, key: KEYS[k] as Uint8Array }
                : { type: 'set' as const, key: KEYS[k] as Uint8Array, value: `${version}:${k}` },
            );
            versions.push(store.commit(deltas, version));
          }
          return versions;
        });
      case 'drop':
        return outcome(() =>
          store.commit([
            {
              type: 'drop',
              key: KEYS[step.key] as Uint8Array,
              ...constraints(step.upToBack, step.keep),
            },
          ]),
        );
      case 'dropPrefix':
        return outcome(() =>
          store.commit([
            {
              type: 'drop',
              prefix: PREFIXES[step.prefix] as Uint8Array,
              ...constraints(step.upToBack, step.keep),
            },
          ]),
        );
      case 'dropRange':
        return outcome(() =>
          store.commit([
            {
              type: 'drop',
              start: KEYS[step.start] as Uint8Array,
              end: KEYS[step.end] as Uint8Array,
              endInclusive: true,
              ...constraints(step.upToBack, step.keep),
            },
          ]),
        );
      case 'begin':
        this.end(step.slot);
        return outcome(() => {
          const asOf = Math.max(0, latest - step.back);
          // A lease shorter than a tick: the shared clock expires it at the same step in both stores.
          const tx = store.begin(step.maxAge ? { asOf, maxAgeMs: TICK_MS / 2 } : { asOf });
          this.transactions[step.slot] = tx;
          return KEYS.map((key) => tx.get(key)?.version);
        });
      case 'hold':
        this.end(step.slot);
        return outcome(() => {
          const iterator = store.range(undefined, {
            version: Math.max(0, latest - step.back),
            pageSize: 1,
          });
          this.held[step.slot] = iterator;
          const first = iterator.next();
          return first.done
            ? undefined
            : bytesToBinaryString((first.value as { key: Uint8Array }).key);
        });
      case 'end':
        this.end(step.slot);
        return undefined;
      case 'tick':
      case 'flush':
        return undefined;
    }
  }

  end(slot: number): void {
    // A transaction past its maxAgeMs was released already: its rollback is refused.
    outcome(() => this.transactions[slot]?.rollback());
    this.transactions[slot] = undefined;
    this.held[slot]?.return?.();
    this.held[slot] = undefined;
  }

  endAll(): void {
    for (let slot = 0; slot < SLOTS; slot++) this.end(slot);
  }

  /** Everything compared after a flush. */
  contents(): unknown {
    const store = this.store;
    const versions = KEYS.map((key) => versionsOf(store.versions(key)));
    const stats = store.stats();
    const plain = <T>(items: Iterable<T>) => [...items];
    return {
      latest: store.latestVersion,
      versions,
      worker: { ...store.dropWorkerStats() },
      events: this.events,
      total: { ...stats.total },
      tables: stats.tables,
      snapshots: stats.snapshots,
      eventsShed: stats.eventsShed,
      changes: outcome(() =>
        plain(store.changes({ from: 0, pageSize: 3 })).map(({ version, writes }) => [
          version,
          writes.map((w) => [bytesToBinaryString(w.key), w.value && [...w.value]]),
        ]),
      ),
      diff: outcome(() =>
        plain(store.diff(Math.max(0, store.latestVersion - 20), store.latestVersion)).map((d) => [
          bytesToBinaryString(d.key),
          d.before && [...d.before],
          d.after && [...d.after],
        ]),
      ),
    };
  }

  check(): void {
    const store = this.store;
    assert.deepEqual(store.verify(), [], `${store.tierKind}: verify finds nothing`);
    const recount = figuresOf(KEYS.map((key) => [key, store.versions(key)]));
    assert.deepEqual(
      { ...store.stats().total },
      recount,
      `${store.tierKind}: figures equal a recount`,
    );
  }
}

async function run(mode: ActorMode, ops: readonly Op[], mailboxCapacity: number): Promise<void> {
  // One clock for both stores: their flush timers fire at the same step.
  const clock = new MockClock();
  const open = (tier: 'memory' | 'sqlite') => {
    const setup = STORE_SETUPS.find((s) => s.tier === tier && s.actorMode === mode) as StoreSetup;
    // A mailbox of one message makes senders apply drops themselves (backpressure).
    const dropWorker = { batchSize: 4, flushIntervalMs: FLUSH_INTERVAL_MS, mailboxCapacity };
    return new Side(setup.open({ tables: TABLES, dropWorker, clock }) as MultiStore);
  };
  const memory = open('memory');
  const sqlite = open('sqlite');
  const sides = [memory, sqlite];
  try {
    for (const [i, step] of ops.entries()) {
      if (step.op === 'tick') clock.advanceMillis(TICK_MS);
      const [a, b] = sides.map((side) => side.apply(step));
      assert.deepEqual(b, a, `step ${i} (${step.op}): the same answer`);
      if (step.op !== 'flush') continue;
      await Promise.all(sides.map((side) => side.store.flush()));
      for (const side of sides) side.check();
      assert.deepEqual(sqlite.contents(), memory.contents(), `after the flush of step ${i}`);
    }
    for (const side of sides) side.endAll();
    await Promise.all(sides.map((side) => side.store.flush()));
    for (const side of sides) side.check();
    assert.deepEqual(sqlite.contents(), memory.contents(), 'at the end');
  } finally {
    for (const side of sides) side.endAll();
    await Promise.all(sides.map((side) => side.store.close()));
  }
}

for (const mode of ['event-loop', 'inline'] as const) {
  it(`deep histories: memory and SQLite stores agree after every flush (${mode} mode)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 5, maxLength: 40 }),
        fc.constantFrom(1, 256),
        (ops, mailboxCapacity) => run(mode, ops, mailboxCapacity),
      ),
      { numRuns: 40 },
    );
  });
}
