/**
 * The behavioural suite every actor-system mode must pass, written once.
 *
 * `describeActorSystem(mode)` registers the same tests for `event-loop` and
 * `inline`. A test that needs messages to pile up in a mailbox sends them from
 * inside a handler (a "driver" actor): in both modes such sends are queued
 * behind the running handler, so the suite observes the same sequence in both.
 * Time comes from a MockClock; `settle` turns the event loop until the system
 * is idle (a no-op wait in inline mode).
 *
 * @module
 */

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { isStoreError } from '../common/errors.js';
import { MemoryLogger } from '../common/logger.js';
import type {
  Actor,
  ActorContext,
  ActorMode,
  ActorRef,
  Directive,
  SendResult,
  TimerHandle,
} from '../runtime/actor.js';
import { MockClock } from '../runtime/clock.js';
import { ActorSystem } from '../runtime/system.js';
import { settle } from './runtime-turns.js';

/** A fresh system on a MockClock with a MemoryLogger. */
export function makeSystem(mode: ActorMode) {
  const clock = new MockClock();
  const logger = new MemoryLogger();
  const system = new ActorSystem({ mode, clock, logger });
  return { system, clock, logger };
}

/** An actor that records each message and answers with `decide(message)`. */
export function recorder<M>(
  seen: M[],
  decide: (message: M, ctx: ActorContext<M>) => Directive = () => 'continue',
  extra: Partial<Actor<null, M>> = {},
): Actor<null, M> {
  return {
    init: () => null,
    handle: (_state, message, ctx) => {
      seen.push(message);
      return decide(message, ctx);
    },
    ...extra,
  };
}

/** An actor that, for each batch it receives, sends every item to `target` and keeps the results. */
export function driver<M>(target: ActorRef<M>, results: SendResult<M>[] = []): Actor<null, M[]> {
  return {
    init: () => null,
    handle: (_state, batch) => {
      for (const message of batch) results.push(target.send(message));
      return 'continue';
    },
  };
}

/** The context of a new actor that ignores its messages, for tests that drive its timers. */
function contextOf(system: ActorSystem, name: string): ActorContext<string> {
  let context: ActorContext<string> | undefined;
  system.spawn<null, string>(name, {
    init: (ctx) => {
      context = ctx;
      return null;
    },
    handle: () => 'continue',
  });
  assert.ok(context !== undefined, `${name} was started`);
  return context;
}

const invalidArgument = (error: unknown) => isStoreError(error, 'INVALID_ARGUMENT');

/** Register the shared suite for `mode`. */
export function describeActorSystem(mode: ActorMode): void {
  describe(`ActorSystem (${mode}): shared behaviour`, () => {
    const systems: ActorSystem[] = [];
    const fresh = () => {
      const made = makeSystem(mode);
      systems.push(made.system);
      return made;
    };
    afterEach(async () => {
      await Promise.all(systems.splice(0).map((system) => system.shutdown()));
    });

    describeBasics(fresh);
    describeDirectives(fresh);
    describeTimers(fresh);
    describeShutdown(fresh);
    describeFailures(fresh);
  });
}

type Fresh = () => ReturnType<typeof makeSystem>;

function describeBasics(fresh: Fresh): void {
  it('exposes its frozen configuration', () => {
    const { system, clock } = fresh();
    assert.equal(system.clock, clock);
    assert.ok(Object.isFrozen(system.config));
    assert.equal(system.config.mode, system.mode);
  });

  it('handles messages in send order', async () => {
    const { system } = fresh();
    const seen: number[] = [];
    const ref = system.spawn('orderly', recorder(seen));
    const sent = Array.from({ length: 300 }, (_, i) => i);
    for (const i of sent) assert.deepEqual(ref.send(i), { ok: true });
    await settle(system);
    assert.deepEqual(seen, sent);
  });

  it('gives the actor its own ref and the system clock', async () => {
    const { system, clock } = fresh();
    let seenCtx: ActorContext<string> | undefined;
    const ref = system.spawn(
      'self-aware',
      recorder<string>([], (_m, ctx) => {
        seenCtx = ctx;
        return 'continue';
      }),
    );
    ref.send('hi');
    await settle(system);
    assert.equal(seenCtx?.self, ref);
    assert.equal(seenCtx?.clock, clock);
    assert.equal(ref.name, 'self-aware');
  });

  it('reports full at capacity, handing the message back', async () => {
    const { system } = fresh();
    const handled: string[] = [];
    const target = system.spawn(
      'bounded',
      recorder(handled, undefined, { config: () => ({ mailboxCapacity: 2 }) }),
    );
    const results: SendResult<string>[] = [];
    const burst = system.spawn('burst', driver(target, results));
    burst.send(['a', 'b', 'c']);
    await settle(system);
    assert.deepEqual(results, [
      { ok: true },
      { ok: true },
      { ok: false, reason: 'full', message: 'c' },
    ]);
    assert.deepEqual(handled, ['a', 'b']);
    burst.send(['d']); // room again once drained
    await settle(system);
    assert.deepEqual(handled, ['a', 'b', 'd']);
  });

  it('sendWhenRoom waits while the mailbox is full and is let in, in order, as it drains', async () => {
    const { system, clock } = fresh();
    const handled: string[] = [];
    const target = system.spawn(
      'narrow',
      recorder(handled, undefined, { config: () => ({ mailboxCapacity: 1 }) }),
    );
    const waits: Promise<SendResult<string>>[] = [];
    const states: string[] = [];
    system
      .spawn<null, string[]>('burst', {
        init: () => null,
        handle: (_state, batch) => {
          states.push(String(target.send(batch[0] as string).ok));
          for (const message of batch.slice(1)) waits.push(target.sendWhenRoom(message));
          return 'continue';
        },
      })
      .send(['a', 'b', 'c']);
    await settle(system);
    assert.deepEqual(states, ['true']);
    assert.deepEqual(await Promise.all(waits), [{ ok: true }, { ok: true }]);
    assert.deepEqual(handled, ['a', 'b', 'c']);
    assert.equal(clock.pendingTimers, 0, 'no timer was needed to wait');
  });

  it('senders still waiting for room when the actor stops are told closed', async () => {
    const { system } = fresh();
    const handled: string[] = [];
    const target = system.spawn(
      'quitter',
      recorder(handled, () => 'stop', { config: () => ({ mailboxCapacity: 1 }) }),
    );
    const waits: Promise<SendResult<string>>[] = [];
    system
      .spawn<null, string[]>('burst', {
        init: () => null,
        handle: (_state, batch) => {
          target.send(batch[0] as string);
          for (const message of batch.slice(1)) waits.push(target.sendWhenRoom(message));
          return 'continue';
        },
      })
      .send(['a', 'b', 'c']);
    await settle(system);
    await target.stopped;
    assert.deepEqual(handled, ['a']);
    assert.deepEqual(await Promise.all(waits), [
      { ok: true },
      { ok: false, reason: 'closed', message: 'c' },
    ]);
    assert.deepEqual(await target.sendWhenRoom('d'), { ok: false, reason: 'closed', message: 'd' });
  });

  it('rejects a mailboxCapacity that is not a positive integer', () => {
    const { system } = fresh();
    for (const mailboxCapacity of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      let initialised = false;
      const actor = recorder([], undefined, { config: () => ({ mailboxCapacity }) });
      actor.init = () => {
        initialised = true;
        return null;
      };
      assert.throws(() => system.spawn('bad', actor), invalidArgument);
      assert.equal(initialised, false);
    }
  });

  it('queues re-entrant sends in order and never handles them recursively', async () => {
    const { system } = fresh();
    const log: string[] = [];
    let depth = 0;
    let maxDepth = 0;
    const traced = (name: string, body: (m: string) => void) =>
      recorder<string>([], (m) => {
        maxDepth = Math.max(maxDepth, ++depth);
        log.push(`${name}:${m}`);
        body(m);
        log.push(`${name}:${m}:end`);
        depth--;
        return 'continue';
      });
    const echo = system.spawn(
      'echo',
      traced('echo', () => {}),
    );
    const pinger = system.spawn(
      'pinger',
      traced('ping', (m) => {
        if (m !== 'start') return;
        pinger.send('a');
        echo.send('1');
        pinger.send('b');
        echo.send('2');
      }),
    );
    pinger.send('start');
    await settle(system);
    assert.equal(maxDepth, 1);
    assert.deepEqual(log, [
      'ping:start',
      'ping:start:end',
      'ping:a',
      'ping:a:end',
      'ping:b',
      'ping:b:end',
      'echo:1',
      'echo:1:end',
      'echo:2',
      'echo:2:end',
    ]);
  });
}

function describeDirectives(fresh: Fresh): void {
  it('continue goes on with the mailbox; yield lets other actors run first', async () => {
    const { system } = fresh();
    const log: string[] = [];
    const logAs = (name: string, directive: Directive) =>
      recorder<string>([], (m) => {
        log.push(`${name}${m}`);
        return directive;
      });
    const yielder = system.spawn('yielder', logAs('y', 'yield'));
    const continuer = system.spawn('continuer', logAs('c', 'continue'));
    const both = system.spawn('both', {
      init: () => null,
      handle: () => {
        for (const m of ['1', '2', '3']) yielder.send(m);
        for (const m of ['1', '2', '3']) continuer.send(m);
        return 'continue';
      },
    });
    both.send(null);
    await settle(system);
    assert.deepEqual(log, ['y1', 'c1', 'c2', 'c3', 'y2', 'y3']);
  });

  it('park leaves the mailbox alone until a new message arrives', async () => {
    const { system } = fresh();
    const seen: string[] = [];
    let idles = 0;
    const sleeper = system.spawn(
      'sleeper',
      recorder(seen, (m) => (m === 'park' ? 'park' : 'continue'), {
        idle: () => void idles++,
      }),
    );
    system.spawn('burst', driver(sleeper)).send(['park', 'x', 'y']);
    await settle(system);
    assert.deepEqual(seen, ['park']);
    assert.equal(idles, 0, 'idle is not called for an actor that parked');
    assert.ok(sleeper.isAlive());
    sleeper.send('z');
    await settle(system);
    assert.deepEqual(seen, ['park', 'x', 'y', 'z']);
    assert.equal(idles, 1);
  });

  it('park does not lose a message the parking handler sent to itself', async () => {
    const { system } = fresh();
    const seen: string[] = [];
    const ref = system.spawn(
      'self-waker',
      recorder<string>(seen, (m, ctx) => {
        if (m === 'first') ctx.self.send('follow-up');
        return 'park';
      }),
    );
    ref.send('first');
    await settle(system);
    assert.deepEqual(seen, ['first', 'follow-up']);
  });

  it('stop ends the actor: postStop runs, the rest of the mailbox is dropped, sends are closed', async () => {
    const { system, logger } = fresh();
    const seen: string[] = [];
    let postStops = 0;
    const stopper = system.spawn(
      'stopper',
      recorder(seen, (m) => (m === 'stop' ? 'stop' : 'continue'), {
        postStop: () => void postStops++,
      }),
    );
    const results: SendResult<string>[] = [];
    system.spawn('burst', driver(stopper, results)).send(['x', 'stop', 'lost']);
    await settle(system);
    await stopper.stopped;
    assert.deepEqual(seen, ['x', 'stop']);
    assert.equal(postStops, 1);
    assert.equal(stopper.isAlive(), false);
    assert.deepEqual(stopper.send('after'), { ok: false, reason: 'closed', message: 'after' });
    const warning = logger.records.find(
      (r) => r.message === 'actor stopped with unhandled messages',
    );
    assert.deepEqual(warning?.fields, { actor: 'stopper', dropped: 1 });
  });

  it('calls idle once when the mailbox runs empty', async () => {
    const { system } = fresh();
    const seen: number[] = [];
    const idleAt: number[] = [];
    const worker = system.spawn(
      'worker',
      recorder(seen, undefined, { idle: () => void idleAt.push(seen.length) }),
    );
    const burst = system.spawn('burst', driver(worker));
    burst.send([1, 2, 3]);
    await settle(system);
    assert.deepEqual(idleAt, [3]);
    burst.send([4]);
    await settle(system);
    assert.deepEqual(idleAt, [3, 4]);
  });

  it('idle may send to self (handled next) or stop the actor', async () => {
    const { system } = fresh();
    const seen: string[] = [];
    let postStops = 0;
    const actor = system.spawn(
      'idler',
      recorder<string>(seen, undefined, {
        idle: (_s, ctx) => {
          if (seen.length === 1) ctx.self.send('from-idle');
          return seen.length >= 2 ? 'stop' : 'park';
        },
        postStop: () => void postStops++,
      }),
    );
    actor.send('first');
    await settle(system);
    await actor.stopped;
    assert.deepEqual(seen, ['first', 'from-idle']);
    assert.equal(postStops, 1);
    assert.equal(actor.isAlive(), false);
  });
}

function describeTimers(fresh: Fresh): void {
  it('scheduleRepeat fires once per due check, keeps its phase, and stops when cancelled', async () => {
    const { system, clock } = fresh();
    const ticks: number[] = [];
    let timer: TimerHandle | undefined;
    system.spawn<null, 'tick'>('ticker', {
      init: (ctx) => {
        timer = ctx.scheduleRepeat(10, 'tick');
        return null;
      },
      handle: () => {
        ticks.push(clock.nowMillis());
        return 'continue';
      },
    });
    const advance = async (ms: number) => {
      clock.advanceMillis(ms);
      await settle(system);
    };
    await advance(9.999);
    assert.deepEqual(ticks, []);
    await advance(0.001);
    assert.deepEqual(ticks, [10]);
    await advance(35); // three periods passed: one tick, no flood
    assert.deepEqual(ticks, [10, 45]);
    await advance(4.999); // next deadline is 50, on the original phase
    assert.deepEqual(ticks, [10, 45]);
    await advance(0.001);
    assert.deepEqual(ticks, [10, 45, 50]);
    timer?.cancel();
    assert.equal(timer?.cancelled, true);
    await advance(100);
    assert.deepEqual(ticks, [10, 45, 50]);
  });

  it('scheduleOnce builds its message when due, fires once, and not at all if cancelled', async () => {
    const { system, clock } = fresh();
    const seen: string[] = [];
    system.spawn<null, string>('once', {
      init: (ctx) => {
        ctx.scheduleOnce(5, () => `once@${clock.nowMillis()}`);
        ctx.scheduleOnce(5, () => 'never').cancel();
        return null;
      },
      handle: (_s, m) => {
        seen.push(m);
        return 'continue';
      },
    });
    clock.advanceMillis(4);
    await settle(system);
    assert.deepEqual(seen, []);
    clock.advanceMillis(3);
    await settle(system);
    assert.deepEqual(seen, ['once@7']);
    clock.advanceMillis(100);
    await settle(system);
    assert.deepEqual(seen, ['once@7']);
  });

  it('runTimers fires what is due now, e.g. a zero-delay timer', async () => {
    const { system } = fresh();
    const seen: string[] = [];
    system.spawn<null, string>('zero', {
      init: (ctx) => {
        ctx.scheduleOnce(0, () => 'now');
        return null;
      },
      handle: (_s, m) => {
        seen.push(m);
        return 'continue';
      },
    });
    await settle(system);
    assert.deepEqual(seen, [], 'a timer fires on a due check, never inside scheduleOnce');
    system.runTimers();
    await settle(system);
    assert.deepEqual(seen, ['now']);
  });

  it('rejects invalid timer durations', async () => {
    const { system } = fresh();
    const context = contextOf(system, 'timid');
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => context.scheduleRepeat(bad, 'x'), invalidArgument);
    }
    for (const bad of [-1, Number.NaN]) {
      assert.throws(() => context.scheduleOnce(bad, () => 'x'), invalidArgument);
    }
  });

  it('cancels the timers of an actor that stopped', async () => {
    const { system, clock } = fresh();
    const seen: string[] = [];
    let timer: TimerHandle | undefined;
    const actor = system.spawn<null, string>('short-lived', {
      init: (ctx) => {
        timer = ctx.scheduleRepeat(1, 'tick');
        return null;
      },
      handle: (_s, m) => {
        seen.push(m);
        return m === 'stop' ? 'stop' : 'continue';
      },
    });
    actor.send('stop');
    await settle(system);
    assert.equal(timer?.cancelled, true);
    clock.advanceMillis(10);
    await settle(system);
    assert.deepEqual(seen, ['stop']);
  });

  it('arms one clock wake-up at the earliest deadline, and none once no timer is left', async () => {
    const { system, clock } = fresh();
    const ctx = contextOf(system, 'sleeper');
    assert.equal(clock.pendingTimers, 0, 'an idle system schedules nothing');
    const late = ctx.scheduleOnce(50, () => 'late');
    const soon = ctx.scheduleOnce(5, () => 'soon');
    assert.equal(clock.pendingTimers, 1, 'one wake-up for the whole queue');
    soon.cancel();
    assert.equal(clock.pendingTimers, 1);
    late.cancel();
    assert.equal(clock.pendingTimers, 0, 'cancelling the last timer disarms the clock');
    const tick = ctx.scheduleRepeat(10, 'tick');
    clock.advanceMillis(10);
    await settle(system);
    assert.equal(clock.pendingTimers, 1, 'a repeat timer stays armed');
    tick.cancel();
    assert.equal(clock.pendingTimers, 0);
    ctx.scheduleOnce(1, () => 'at shutdown');
    await system.shutdown();
    assert.equal(clock.pendingTimers, 0, 'shutdown disarms the clock');
  });
}

function describeShutdown(fresh: Fresh): void {
  it('shutdown drains every mailbox, runs postStop and resolves when all stopped', async () => {
    const { system, clock } = fresh();
    const seen: string[] = [];
    const cancelledWhenHandled: boolean[] = [];
    const stops: string[] = [];
    let timer: TimerHandle | undefined;
    const sleeper = system.spawn<null, string>('sleeper', {
      init: (ctx) => {
        timer = ctx.scheduleRepeat(5, 'tick');
        return null;
      },
      handle: (_s, m, ctx) => {
        seen.push(m);
        cancelledWhenHandled.push(ctx.isCancelled());
        return 'park';
      },
      postStop: () => void stops.push('sleeper'),
    });
    const other = system.spawn(
      'other',
      recorder([], undefined, { postStop: () => void stops.push('other') }),
    );
    system.spawn('burst', driver(sleeper)).send(['a', 'b', 'c']);
    await settle(system);
    assert.deepEqual(seen, ['a'], 'parked with b and c waiting');
    const done = system.shutdown();
    assert.equal(system.shutdown(), done, 'a second call returns the same promise');
    await done;
    assert.deepEqual(seen, ['a', 'b', 'c']);
    assert.deepEqual(cancelledWhenHandled, [false, true, true]);
    assert.deepEqual(stops.sort(), ['other', 'sleeper']);
    assert.equal(timer?.cancelled, true);
    assert.equal(system.size, 0);
    assert.equal(other.isAlive(), false);
    assert.deepEqual(sleeper.send('late'), { ok: false, reason: 'closed', message: 'late' });
    clock.advanceMillis(100); // timers are gone
    assert.deepEqual(seen, ['a', 'b', 'c']);
  });

  it('shutdown from inside a handler still drains what was sent before it', async () => {
    const { system } = fresh();
    const seen: number[] = [];
    const target = system.spawn('target', recorder(seen));
    let done: Promise<void> | undefined;
    system
      .spawn('closer', {
        init: () => null,
        handle: () => {
          for (const i of [1, 2, 3]) target.send(i);
          done = system.shutdown();
          return 'continue';
        },
      })
      .send(null);
    await settle(system);
    await done;
    assert.deepEqual(seen, [1, 2, 3]);
    assert.equal(target.isAlive(), false);
  });

  it('an actor spawned after shutdown is never started and its ref is closed', async () => {
    const { system, logger } = fresh();
    await system.shutdown();
    let initialised = false;
    const ref = system.spawn('late', {
      init: () => {
        initialised = true;
        return null;
      },
      handle: () => 'continue',
    });
    assert.equal(initialised, false);
    assert.equal(ref.isAlive(), false);
    assert.deepEqual(ref.send(1), { ok: false, reason: 'closed', message: 1 });
    await ref.stopped;
    assert.ok(logger.records.some((r) => r.level === 'warn' && r.fields?.actor === 'late'));
  });
}

function describeFailures(fresh: Fresh): void {
  it('a throwing handler is logged with the actor name and the next message is handled', async () => {
    const { system, logger } = fresh();
    const seen: string[] = [];
    const fragile = system.spawn<null, string>('fragile', {
      init: () => null,
      handle: (_s, m) => {
        if (m === 'boom') throw new Error('kaboom');
        seen.push(m);
        return 'continue';
      },
    });
    assert.deepEqual(fragile.send('boom'), { ok: true }, 'the sender never sees the exception');
    assert.deepEqual(fragile.send('next'), { ok: true });
    await settle(system);
    assert.deepEqual(seen, ['next']);
    assert.ok(fragile.isAlive());
    const errors = logger.records.filter((r) => r.level === 'error');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.message, 'actor handler failed');
    assert.equal(errors[0]?.fields?.actor, 'fragile');
    assert.equal((errors[0]?.fields?.error as Error | undefined)?.message, 'kaboom');
  });

  it('a throwing idle or postStop is logged and contained', async () => {
    const { system, logger } = fresh();
    const seen: number[] = [];
    const actor = system.spawn(
      'clumsy',
      recorder(seen, (m) => (m === 2 ? 'stop' : 'continue'), {
        idle: () => {
          throw new Error('idle broke');
        },
        postStop: () => {
          throw new Error('postStop broke');
        },
      }),
    );
    actor.send(1);
    await settle(system);
    actor.send(2);
    await settle(system);
    await actor.stopped;
    assert.deepEqual(seen, [1, 2]);
    const phases = logger.records
      .filter((r) => r.level === 'error' && r.fields?.actor === 'clumsy')
      .map((r) => r.fields?.phase);
    assert.deepEqual(phases, ['idle', 'postStop']);
  });

  it('an actor whose init throws is logged and stopped at once', async () => {
    const { system, logger } = fresh();
    let postStops = 0;
    const ref = system.spawn('broken', {
      init: () => {
        throw new Error('no state');
      },
      handle: () => 'continue',
      postStop: () => void postStops++,
    });
    await ref.stopped;
    assert.equal(ref.isAlive(), false);
    assert.equal(ref.send('x').ok, false);
    assert.equal(postStops, 0, 'there is no state to hand to postStop');
    const record = logger.records.find((r) => r.level === 'error');
    assert.deepEqual([record?.fields?.actor, record?.fields?.phase], ['broken', 'init']);
  });
}
