import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isStoreError, TransactionTooOldError } from '../common/errors.js';
import { MemoryLogger } from '../common/logger.js';
import { MockClock } from '../runtime/clock.js';
import {
  type Finalizer,
  type ReleaseReason,
  type SnapshotLease,
  SnapshotRegistry,
} from './snapshots.js';

/** A finalizer whose collections the test triggers. */
class FakeFinalizer implements Finalizer {
  readonly watched = new Map<object, { owner: object; id: number }>();
  collected: (id: number) => void = () => {};

  register(owner: object, id: number, token: object): void {
    this.watched.set(token, { owner, id });
  }
  unregister(token: object): void {
    this.watched.delete(token);
  }
  /** Pretend `owner` was garbage-collected. */
  collect(owner: object): void {
    for (const [token, entry] of this.watched) {
      if (entry.owner !== owner) continue;
      this.watched.delete(token);
      this.collected(entry.id);
    }
  }
}

function setup() {
  const clock = new MockClock();
  const logger = new MemoryLogger();
  const released: [number, ReleaseReason][] = [];
  const finalizer = new FakeFinalizer();
  const registry = new SnapshotRegistry({
    clock,
    logger,
    onRelease: (lease, reason) => released.push([lease.id, reason]),
    finalizer: (collected) => {
      finalizer.collected = collected;
      return finalizer;
    },
  });
  return { clock, logger, released, finalizer, registry };
}

describe('SnapshotRegistry', () => {
  it('answers the watermark, the next reader and the highest open version', () => {
    const { registry } = setup();
    assert.equal(registry.watermark(), undefined);
    const a = registry.open({ version: 3, base: 3 });
    registry.open({ version: 7, kind: 'range' });
    const c = registry.open({ version: 12 });
    assert.equal(registry.watermark(), 3);
    assert.equal(registry.atOrAbove(4), 7);
    assert.equal(registry.atOrAbove(13), undefined);
    assert.equal(registry.highestOpen(), 12);
    assert.equal(registry.oldestBase(), 3);
    registry.close(a);
    assert.equal(registry.watermark(), 7);
    assert.equal(registry.oldestBase(), undefined);
    registry.close(c);
    assert.equal(registry.highestOpen(), 7);
    assert.equal(registry.size, 1);
  });

  it('moves a lease: reads follow the new version, the base stays for explicit commits', () => {
    const { registry } = setup();
    const lease = registry.open({ version: 9, base: 9 });
    registry.move(lease, 2);
    assert.equal(lease.version, 2);
    assert.equal(registry.watermark(), 2);
    assert.equal(
      registry.highestOpen(),
      9,
      'a commit at 9 or below would escape its conflict check',
    );
    registry.move(lease, 11);
    assert.equal(registry.highestOpen(), 11);
    assert.equal(registry.oldestBase(), 9);
  });

  it('leaves the committing lease out of the highest open version', () => {
    const { registry } = setup();
    const low = registry.open({ version: 4 });
    const own = registry.open({ version: 8, base: 8 });
    assert.equal(registry.highestOpen(own), 4);
    const twin = registry.open({ version: 8 });
    assert.equal(registry.highestOpen(own), 8, 'another lease at the same version still counts');
    registry.close(twin);
    registry.close(low);
    assert.equal(registry.highestOpen(own), undefined);
  });

  it('releases a lease older than its maxAgeMs; its owner then gets TRANSACTION_TOO_OLD', () => {
    const { clock, registry, released } = setup();
    const lease = registry.open({ version: 5, maxAgeMs: 100 });
    const keeper = registry.open({ version: 6 });
    clock.advanceMillis(100);
    registry.assertUsable(lease); // exactly maxAgeMs old: still fine
    assert.equal(registry.watermark(), 5);
    clock.advanceMillis(1);
    assert.equal(registry.watermark(), 6, 'the forgotten lease no longer holds the watermark');
    assert.deepEqual(released, [[lease.id, 'expired']]);
    assert.throws(
      () => registry.assertUsable(lease),
      (error: unknown) =>
        error instanceof TransactionTooOldError && error.maxAgeMs === 100 && error.ageMs === 101,
    );
    registry.assertUsable(keeper);
  });

  it('expires a lease when its owner uses it, before anyone else looks', () => {
    const { clock, registry, released } = setup();
    const lease = registry.open({ version: 5, maxAgeMs: 10 });
    clock.advanceMillis(11);
    assert.throws(
      () => registry.assertUsable(lease),
      (e: unknown) => isStoreError(e, 'TRANSACTION_TOO_OLD'),
    );
    assert.deepEqual(released, [[lease.id, 'expired']]);
    assert.equal(registry.size, 0);
  });

  it('expires leases in deadline order, whatever order they were opened in', () => {
    const { clock, registry } = setup();
    assert.equal(registry.nextDeadline(), undefined);
    registry.open({ version: 1, maxAgeMs: 50 });
    clock.advanceMillis(10);
    const early = registry.open({ version: 2, maxAgeMs: 5 });
    registry.open({ version: 3, maxAgeMs: 1_000 });
    assert.equal(registry.nextDeadline(), 15);
    clock.advanceMillis(6);
    assert.equal(registry.expire(), 1);
    assert.equal(registry.nextDeadline(), 50);
    assert.equal(early.open, false);
    clock.advanceMillis(40);
    assert.equal(registry.expire(), 1);
    assert.equal(registry.watermark(), 3);
  });

  it('the warning of a collected lease names what held it: a transaction, a range iterator', () => {
    const { registry, finalizer, logger } = setup();
    const tx = {};
    const range = {};
    registry.open({ version: 1, owner: tx, kind: 'transaction' });
    registry.open({ version: 1, owner: range, kind: 'range' });
    finalizer.collect(tx);
    finalizer.collect(range);
    assert.deepEqual(
      logger.records.map((record) => record.message),
      [
        'a transaction was garbage-collected while open; its snapshot is released',
        'a range iterator was garbage-collected while open; its snapshot is released',
      ],
    );
  });

  it('releases and logs a lease whose owner was garbage-collected while open', () => {
    const { registry, finalizer, logger, released } = setup();
    const owner = {};
    const lease = registry.open({ version: 4, owner });
    const closedOwner = {};
    const closed = registry.open({ version: 5, owner: closedOwner });
    registry.close(closed);
    finalizer.collect(closedOwner); // closed first: nothing to release, nothing logged
    finalizer.collect(owner);
    assert.equal(lease.open, false);
    assert.equal(lease.releaseReason, 'collected');
    assert.deepEqual(released, [
      [closed.id, 'closed'],
      [lease.id, 'collected'],
    ]);
    assert.equal(logger.records.length, 1);
    assert.equal(logger.records[0]?.level, 'warn');
    assert.equal(registry.watermark(), undefined);
    assert.throws(
      () => registry.assertUsable(lease),
      (e: unknown) => isStoreError(e, 'TRANSACTION_CLOSED'),
    );
  });

  it('releases every lease when the store closes; closing twice is harmless', () => {
    const { registry, released } = setup();
    const a = registry.open({ version: 1 });
    registry.open({ version: 2 });
    registry.close(a);
    registry.close(a);
    registry.closeAll();
    assert.equal(registry.size, 0);
    assert.deepEqual(
      released.map(([, reason]) => reason),
      ['closed', 'shutdown'],
    );
    assert.throws(
      () => registry.move(a, 3),
      (e: unknown) => isStoreError(e, 'TRANSACTION_CLOSED'),
    );
  });

  it('lists the open leases with their age', () => {
    const { clock, registry } = setup();
    registry.open({ version: 1, kind: 'range' });
    clock.advanceMillis(30);
    registry.open({ version: 2, base: 2 });
    assert.deepEqual(registry.list(), [
      { id: 1, kind: 'range', version: 1, base: undefined, ageMs: 30 },
      { id: 2, kind: 'transaction', version: 2, base: 2, ageMs: 0 },
    ]);
  });

  it('rejects bad versions, bad ages and leases of another registry', () => {
    const { registry } = setup();
    const other = setup().registry.open({ version: 1 });
    assert.throws(
      () => registry.open({ version: -1 }),
      (e: unknown) => isStoreError(e, 'INVALID_VERSION'),
    );
    assert.throws(
      () => registry.open({ version: 1, base: 0.5 }),
      (e: unknown) => isStoreError(e, 'INVALID_VERSION'),
    );
    for (const maxAgeMs of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => registry.open({ version: 1, maxAgeMs }),
        (e: unknown) => isStoreError(e, 'INVALID_ARGUMENT'),
      );
    }
    assert.throws(
      () => registry.close(other),
      (e: unknown) => isStoreError(e, 'INVALID_ARGUMENT'),
    );
    const lease = registry.open({ version: 1 });
    assert.throws(
      () => registry.move(lease, -2),
      (e: unknown) => isStoreError(e, 'INVALID_VERSION'),
    );
    assert.equal(registry.watermark(), 1, 'a rejected move changes nothing');
  });

  it('releases the lease of an owner the real garbage collector collected', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const logger = new MemoryLogger();
    const registry = new SnapshotRegistry({ clock: new MockClock(), logger });
    let lease: SnapshotLease | undefined;
    (() => {
      lease = registry.open({ version: 3, owner: { transaction: 'forgotten' } });
    })();
    for (let attempt = 0; attempt < 50 && lease?.open; attempt++) {
      gc();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    assert.equal(lease?.releaseReason, 'collected');
    assert.equal(registry.watermark(), undefined);
    assert.equal(logger.records[0]?.level, 'warn');
  });
});
