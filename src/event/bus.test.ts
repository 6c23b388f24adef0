import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStoreError } from '../common/errors.js';
import { MemoryLogger } from '../common/logger.js';
import type { ActorMode } from '../runtime/actor.js';
import { EventBus } from './bus.js';
import type { StorageStatsRecorded } from './events.js';

/** A distinguishable event: its version tells which one it is. */
function stats(version: number): StorageStatsRecorded {
  return { type: 'storage-stats', version, writes: [], deletes: [], drops: [], moves: [] };
}

function makeBus(mode: ActorMode, capacity?: number) {
  const logger = new MemoryLogger();
  const bus = new EventBus(capacity === undefined ? { mode, logger } : { mode, logger, capacity });
  return { bus, logger };
}

function describeBus(mode: ActorMode): void {
  describe(`EventBus (${mode}): shared behaviour`, () => {
    it('delivers in emit order to every listener', async () => {
      const { bus } = makeBus(mode);
      const first: number[] = [];
      const second: number[] = [];
      bus.on('storage-stats', (e) => first.push(e.version));
      bus.on('storage-stats', (e) => second.push(e.version));
      for (const v of [3, 1, 2]) bus.emit(stats(v));
      await bus.idle();
      assert.deepEqual(first, [3, 1, 2]);
      assert.deepEqual(second, [3, 1, 2]);
    });

    it('calls a listener with no this: it reaches none of the bus', async () => {
      const { bus } = makeBus(mode);
      const receivers: unknown[] = [];
      const off = bus.on('storage-stats', function (this: unknown) {
        receivers.push(this);
      });
      bus.emit(stats(1));
      await bus.idle();
      off();
      assert.deepEqual(receivers, [undefined]);
      assert.equal(bus.hasListeners('storage-stats'), false, 'and its unsubscribe still works');
    });

    it('stops delivering to a listener once unsubscribed (twice is harmless)', async () => {
      const { bus } = makeBus(mode);
      const seen: number[] = [];
      const kept: number[] = [];
      const off = bus.on('storage-stats', (e) => seen.push(e.version));
      bus.on('storage-stats', (e) => kept.push(e.version));
      bus.emit(stats(1));
      await bus.idle();
      off();
      off();
      bus.emit(stats(2));
      await bus.idle();
      assert.deepEqual(seen, [1]);
      assert.deepEqual(kept, [1, 2]);
    });

    it('reports whether a type has listeners', () => {
      const { bus } = makeBus(mode);
      assert.equal(bus.hasListeners('storage-stats'), false);
      const off = bus.on('storage-stats', () => {});
      assert.equal(bus.hasListeners('storage-stats'), true);
      off();
      assert.equal(bus.hasListeners('storage-stats'), false);
    });

    it('discards an event nobody listens to without queueing it', async () => {
      const { bus } = makeBus(mode);
      bus.emit(stats(1));
      assert.equal(bus.pending, 0);
      const seen: number[] = [];
      bus.on('storage-stats', (e) => seen.push(e.version));
      await bus.idle();
      assert.deepEqual(seen, []);
    });

    it('logs a throwing listener with the event type; the others still get the event', async () => {
      const { bus, logger } = makeBus(mode);
      const seen: number[] = [];
      bus.on('storage-stats', () => {
        throw new Error('listener broke');
      });
      bus.on('storage-stats', (e) => seen.push(e.version));
      bus.emit(stats(1));
      bus.emit(stats(2));
      await bus.idle();
      assert.deepEqual(seen, [1, 2]);
      const errors = logger.records.filter((r) => r.level === 'error');
      assert.equal(errors.length, 2);
      assert.equal(errors[0]?.message, 'event listener failed');
      assert.equal(errors[0]?.fields?.type, 'storage-stats');
      assert.equal((errors[0]?.fields?.error as Error | undefined)?.message, 'listener broke');
    });

    it('idle() resolves once everything emitted before it was delivered', async () => {
      const { bus } = makeBus(mode);
      const seen: number[] = [];
      bus.on('storage-stats', (e) => seen.push(e.version));
      bus.emit(stats(1));
      bus.emit(stats(2));
      let seenWhenIdle: number[] = [];
      const idle = bus.idle().then(() => {
        seenWhenIdle = [...seen];
      });
      bus.emit(stats(3)); // emitted after the call: idle() need not wait for it
      await idle;
      assert.deepEqual(seenWhenIdle.slice(0, 2), [1, 2]);
      assert.equal(bus.pending, 0);
      await bus.idle(); // nothing pending: resolves at once
    });

    it('queues an event emitted by a listener behind the current one, without recursion', async () => {
      const { bus } = makeBus(mode);
      const log: string[] = [];
      let depth = 0;
      let maxDepth = 0;
      bus.on('storage-stats', (e) => {
        maxDepth = Math.max(maxDepth, ++depth);
        log.push(`start ${e.version}`);
        if (e.version === 1) {
          bus.emit(stats(10));
          bus.emit(stats(11));
        }
        log.push(`end ${e.version}`);
        depth--;
      });
      bus.emit(stats(1));
      await bus.idle();
      assert.equal(maxDepth, 1);
      assert.deepEqual(log, ['start 1', 'end 1', 'start 10', 'end 10', 'start 11', 'end 11']);
    });

    it('never holds more than capacity undelivered events', async () => {
      const { bus } = makeBus(mode, 4);
      bus.on('storage-stats', () => undefined);
      for (let v = 0; v < 50; v++) {
        bus.emit(stats(v));
        assert.ok(bus.pending <= 4, `pending ${bus.pending} after emit ${v}`);
      }
      await bus.idle();
      assert.equal(bus.pending, 0);
    });

    it('refuses subscriptions after close, discards later emits and still delivers what was queued', async () => {
      const { bus } = makeBus(mode);
      const seen: number[] = [];
      bus.on('storage-stats', (e) => seen.push(e.version));
      bus.emit(stats(1));
      bus.close();
      bus.emit(stats(2));
      assert.throws(
        () => bus.on('storage-stats', () => undefined),
        (e) => isStoreError(e, 'STORE_CLOSED'),
      );
      await bus.idle();
      assert.deepEqual(seen, [1]);
    });

    it('rejects a capacity that is not a positive integer', () => {
      for (const capacity of [0, -1, 2.5, Number.NaN]) {
        assert.throws(
          () => new EventBus({ mode, capacity }),
          (e) => isStoreError(e, 'INVALID_OPTIONS'),
        );
      }
    });
  });
}

describeBus('event-loop');
describeBus('inline');

describe('EventBus (event-loop): specifics', () => {
  it('never calls a listener inside emit', async () => {
    const { bus } = makeBus('event-loop');
    const seen: number[] = [];
    bus.on('storage-stats', (e) => seen.push(e.version));
    bus.emit(stats(1));
    assert.deepEqual(seen, []);
    assert.equal(bus.pending, 1);
    await bus.idle();
    assert.deepEqual(seen, [1]);
  });

  it('when full, sheds the new event (counted) and still never calls a listener inside emit', async () => {
    const { bus } = makeBus('event-loop', 3);
    const seen: number[] = [];
    bus.on('storage-stats', (e) => seen.push(e.version));
    for (const v of [1, 2, 3, 4, 5]) bus.emit(stats(v));
    assert.deepEqual(seen, [], 'nothing delivered inside emit');
    assert.equal(bus.pending, 3);
    assert.equal(bus.shed, 2);
    await bus.idle();
    assert.deepEqual(seen, [1, 2, 3]);
    bus.emit(stats(6));
    await bus.idle();
    assert.deepEqual(seen, [1, 2, 3, 6], 'room again once delivered');
    assert.equal(bus.shed, 2);
  });

  it('applies the same bound to events listeners emit, without recursion or reordering', async () => {
    const { bus } = makeBus('event-loop', 2);
    const seen: number[] = [];
    let depth = 0;
    let maxDepth = 0;
    bus.on('storage-stats', (e) => {
      maxDepth = Math.max(maxDepth, ++depth);
      seen.push(e.version);
      // 1 was taken off the queue, so 100 fits; 101 finds [2, 100] waiting and is shed.
      if (e.version === 1) for (const v of [100, 101]) bus.emit(stats(v));
      depth--;
    });
    for (const v of [1, 2, 3, 4]) bus.emit(stats(v));
    assert.equal(bus.shed, 2, '3 and 4 found the queue full');
    await bus.idle();
    assert.equal(maxDepth, 1);
    assert.deepEqual(seen, [1, 2, 100]);
    assert.equal(bus.shed, 3);
  });
});

describe('EventBus (inline): specifics', () => {
  it('delivers synchronously inside emit', () => {
    const { bus } = makeBus('inline');
    const seen: number[] = [];
    bus.on('storage-stats', (e) => seen.push(e.version));
    bus.emit(stats(1));
    assert.deepEqual(seen, [1]);
    bus.emit(stats(2));
    assert.deepEqual(seen, [1, 2]);
    assert.equal(bus.pending, 0);
  });

  it('sheds nothing, whatever the capacity', () => {
    const { bus } = makeBus('inline', 1);
    const seen: number[] = [];
    bus.on('storage-stats', (e) => {
      seen.push(e.version);
      if (e.version < 3) bus.emit(stats(e.version + 10));
    });
    for (const v of [1, 2, 3]) bus.emit(stats(v));
    assert.deepEqual(seen, [1, 11, 2, 12, 3]);
    assert.equal(bus.shed, 0);
  });
});
