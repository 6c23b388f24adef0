import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { isStoreError } from '../common/errors.js';
import { MemoryLogger } from '../common/logger.js';
import { describeActorSystem, makeSystem, recorder } from '../test-support/actor-system-suite.js';
import { nextTurn, settle } from '../test-support/runtime-turns.js';
import type { ActorMode } from './actor.js';
import { systemClock } from './clock.js';
import { SLICE_BUDGET } from './scheduler.js';
import { ActorSystem } from './system.js';

describeActorSystem('event-loop');
describeActorSystem('inline');

describe('ActorSystem options', () => {
  it('rejects an unknown mode', () => {
    const bad = { mode: 'threads' as ActorMode };
    assert.throws(
      () => new ActorSystem(bad),
      (e) => isStoreError(e, 'INVALID_OPTIONS'),
    );
  });

  it('defaults to the system clock', () => {
    assert.equal(new ActorSystem({ mode: 'inline' }).clock, systemClock);
  });
});

describe('ActorSystem (event-loop): specifics', () => {
  it('never handles a message inside send', async () => {
    const { system } = makeSystem('event-loop');
    const seen: string[] = [];
    const ref = system.spawn('later', recorder(seen));
    ref.send('a');
    assert.deepEqual(seen, []);
    assert.equal(system.isIdle(), false);
    await settle(system);
    assert.deepEqual(seen, ['a']);
    await system.shutdown();
  });

  it('yield hands the turn back: one message per turn', async () => {
    const { system } = makeSystem('event-loop');
    const seen: number[] = [];
    const ref = system.spawn(
      'polite',
      recorder(seen, () => 'yield'),
    );
    for (const i of [1, 2, 3]) ref.send(i);
    await nextTurn();
    assert.deepEqual(seen, [1]);
    await nextTurn();
    assert.deepEqual(seen, [1, 2]);
    await settle(system);
    assert.deepEqual(seen, [1, 2, 3]);
    await system.shutdown();
  });

  it('drains a long mailbox over several turns so I/O is not starved', async () => {
    const { system } = makeSystem('event-loop');
    const seen: number[] = [];
    const ref = system.spawn('busy', recorder(seen));
    for (let i = 0; i < 10 * SLICE_BUDGET; i++) ref.send(i);
    await nextTurn();
    assert.ok(seen.length > 0 && seen.length <= SLICE_BUDGET, `handled ${seen.length} in one turn`);
    await settle(system);
    assert.equal(seen.length, 10 * SLICE_BUDGET);
    await system.shutdown();
  });

  it('a MockClock advance sends due timer messages, handled on a later turn', async () => {
    const { system, clock } = makeSystem('event-loop');
    const seen: string[] = [];
    system.spawn<null, string>('ticker', {
      init: (ctx) => {
        ctx.scheduleRepeat(10, 'tick');
        return null;
      },
      handle: (_s, m) => {
        seen.push(m);
        return 'continue';
      },
    });
    clock.advanceMillis(10);
    assert.deepEqual(seen, []);
    await settle(system);
    assert.deepEqual(seen, ['tick']);
    await system.shutdown();
  });

  it('a timer message that finds the mailbox full is dropped and logged', async () => {
    const { system, clock, logger } = makeSystem('event-loop');
    const seen: string[] = [];
    const ref = system.spawn<null, string>('crowded', {
      init: (ctx) => {
        ctx.scheduleOnce(1, () => 'timer');
        return null;
      },
      handle: (_s, m) => {
        seen.push(m);
        return 'continue';
      },
      config: () => ({ mailboxCapacity: 1 }),
    });
    ref.send('queued'); // not handled before a later turn: the mailbox is now full
    clock.advanceMillis(1);
    await settle(system);
    assert.deepEqual(seen, ['queued']);
    const warning = logger.records.find((r) => r.level === 'warn');
    assert.deepEqual(warning?.fields, { actor: 'crowded' });
    assert.equal(warning?.message, 'timer message dropped: mailbox full');
    await system.shutdown();
  });

  it('real-clock timers fire by themselves and never keep the process alive', () => {
    // A child process: a repeat timer ticks on real time; once it has ticked
    // three times the child drops its own keep-alive handle. It can only exit
    // if the still-armed repeat timer is unref'ed; otherwise it hangs and the
    // spawnSync guard kills it (signal set, test fails).
    const entry = new URL('./system.js', import.meta.url).href;
    const script = `
      import { ActorSystem } from ${JSON.stringify(entry)};
      const keepAlive = setInterval(() => {}, 1 << 30);
      const system = new ActorSystem({ mode: 'event-loop' });
      let ticks = 0;
      system.spawn('ticker', {
        init(ctx) { ctx.scheduleRepeat(1, 'tick'); return null; },
        handle() {
          if (++ticks === 3) { console.log('ticked 3'); clearInterval(keepAlive); }
          return 'continue';
        },
      });
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(child.signal, null, `the child did not exit by itself: ${child.stderr}`);
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), 'ticked 3');
  });
});

describe('ActorSystem (inline): specifics', () => {
  it('handles a message before send returns', () => {
    const { system } = makeSystem('inline');
    const seen: string[] = [];
    const ref = system.spawn('eager', recorder(seen));
    assert.deepEqual(ref.send('a'), { ok: true });
    assert.deepEqual(seen, ['a']);
    assert.equal(system.isIdle(), true);
  });

  it('a send from a handler is handled after that handler returns', () => {
    const { system } = makeSystem('inline');
    const seen: string[] = [];
    const target = system.spawn('target', recorder(seen));
    const seenDuringHandler: string[][] = [];
    const source = system.spawn('source', {
      init: () => null,
      handle: () => {
        target.send('queued');
        seenDuringHandler.push([...seen]);
        return 'continue';
      },
    });
    source.send(null);
    assert.deepEqual(seenDuringHandler, [[]]);
    assert.deepEqual(seen, ['queued']);
  });

  it('advancing a MockClock handles due timer messages inside advanceMillis', () => {
    const { system, clock } = makeSystem('inline');
    const seen: number[] = [];
    system.spawn<null, string>('ticker', {
      init: (ctx) => {
        ctx.scheduleRepeat(10, 'tick');
        return null;
      },
      handle: () => {
        seen.push(clock.nowMillis());
        return 'continue';
      },
    });
    clock.advanceMillis(10);
    assert.deepEqual(seen, [10]);
    clock.advanceMillis(10);
    assert.deepEqual(seen, [10, 20]);
  });

  it('with a real clock, timers fire only when runTimers drives them', async () => {
    const system = new ActorSystem({ mode: 'inline', logger: new MemoryLogger() });
    const seen: string[] = [];
    system.spawn<null, string>('driven', {
      init: (ctx) => {
        ctx.scheduleOnce(0, () => 'fired');
        return null;
      },
      handle: (_s, m) => {
        seen.push(m);
        return 'continue';
      },
    });
    for (let i = 0; i < 5; i++) await nextTurn();
    assert.deepEqual(seen, []);
    system.runTimers();
    assert.deepEqual(seen, ['fired']);
    await system.shutdown();
  });

  it('shutdown completes synchronously inside the call', () => {
    const { system } = makeSystem('inline');
    const stops: string[] = [];
    system.spawn('a', recorder([], undefined, { postStop: () => void stops.push('a') }));
    system.spawn(
      'b',
      recorder([], () => 'park', { postStop: () => void stops.push('b') }),
    );
    void system.shutdown();
    assert.deepEqual(stops.sort(), ['a', 'b']);
    assert.equal(system.size, 0);
  });
});
