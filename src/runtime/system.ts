/**
 * The actor system: spawns actors, runs them in one of two modes, owns their
 * timers and shuts them all down.
 *
 * ```
 *   ActorSystem ── scheduler (event-loop | inline)   who runs actors, and when
 *               ── timers (TimerQueue on the Clock)   scheduleRepeat / scheduleOnce
 *               ── cells: ActorCell per actor          mailbox + directive loop
 * ```
 *
 * The runtime is internal to multistore (the store runs its drop worker on
 * it); it is not part of the package's public API. The two modes run the same
 * actors and pass the same tests:
 *
 * - `event-loop` (Node): `send` only queues; messages are handled on later
 *   `setImmediate` turns, a bounded number per turn (see scheduler.ts). With a
 *   real clock, timers wake the system through unref'ed `setTimeout`s, so they
 *   never keep the process alive.
 * - `inline` (a browser, or tests that want everything synchronous): `send`
 *   handles the message before it returns; a send made by a handler is queued
 *   and handled after that handler returns, in order, never recursively.
 *
 * Timers fire when the clock says they are due, and who looks at the clock is
 * chosen as follows. With a clock that moves by hand (a `MockClock`, detected
 * through `clock.wakeAt`), advancing it fires the due timers, in both modes:
 * in inline mode their messages are handled inside `advanceMillis`, in
 * event-loop mode on later turns. With a real clock, event-loop mode wakes up by
 * itself at the next deadline, while inline mode fires timers only when the
 * host calls {@link ActorSystem.runTimers} (a browser host would call it from
 * its own `setTimeout` or animation frame). `runTimers()` works in every
 * combination and fires exactly what is due on the clock now.
 *
 * Shutdown cancels every actor and every timer: each actor handles what is
 * already in its mailbox (it sees `ctx.isCancelled()`), then stops and runs
 * `postStop`. An actor spawned after shutdown began is never started: its ref
 * is closed from the start (a warning is logged).
 *
 * @module
 */

import { InvalidInputError } from '../common/errors.js';
import { type Logger, silentLogger } from '../common/logger.js';
import type { Actor, ActorMode, ActorRef } from './actor.js';
import { ActorCell, type CellHost, ClosedRef } from './cell.js';
import { type Clock, systemClock } from './clock.js';
import { createScheduler, type Scheduler } from './scheduler.js';
import { TimerQueue } from './timers.js';

/** Options of {@link ActorSystem}. */
export interface ActorSystemOptions {
  /** How actors run: `event-loop` (Node) or `inline` (synchronous, driven). */
  readonly mode: ActorMode;
  /** Clock for timers and `ctx.clock`; the system clock when absent. */
  readonly clock?: Clock;
  /** Where handler failures are logged; silent when absent. */
  readonly logger?: Logger;
}

/** The options once defaults are applied (frozen). */
export type ActorSystemConfig = Readonly<Required<ActorSystemOptions>>;

const MODES: readonly ActorMode[] = ['event-loop', 'inline'];

/** Runs actors; see the module comment for the two modes. */
export class ActorSystem {
  /** The configuration, defaults applied (frozen). */
  readonly config: ActorSystemConfig;
  readonly #scheduler: Scheduler;
  readonly #timers: TimerQueue;
  readonly #cells = new Set<ActorCell<unknown, unknown>>();
  readonly #host: CellHost;
  #shutdown: Promise<void> | undefined;

  constructor(options: ActorSystemOptions) {
    this.config = checkOptions(options);
    this.#scheduler = createScheduler(this.config.mode);
    this.#timers = new TimerQueue(this.config.clock, this.config.mode);
    this.#host = Object.freeze({
      clock: this.config.clock,
      logger: this.config.logger,
      scheduler: this.#scheduler,
      timers: this.#timers,
      cellStopped: (cell: ActorCell<unknown, unknown>) => this.#cells.delete(cell),
    });
  }

  /** How actors run. */
  get mode(): ActorMode {
    return this.config.mode;
  }

  /** The clock timers are measured on. */
  get clock(): Clock {
    return this.config.clock;
  }

  /**
   * Start an actor: `init` runs now, and the returned ref accepts messages.
   * Throws `INVALID_ARGUMENT` for a malformed actor or `mailboxCapacity`.
   */
  spawn<S, M>(name: string, actor: Actor<S, M>): ActorRef<M> {
    const capacity = checkActor(name, actor);
    if (this.#shutdown !== undefined) {
      this.config.logger.warn('actor spawned after shutdown; it is not started', { actor: name });
      return new ClosedRef<M>(name);
    }
    const cell = new ActorCell(name, actor, this.#host, capacity);
    this.#cells.add(cell as unknown as ActorCell<unknown, unknown>);
    cell.start();
    return cell.ref;
  }

  /** Fire every timer due on the clock now (the way to drive timers in inline mode). */
  runTimers(): void {
    this.#timers.fireDue();
  }

  /** True when no actor has work queued (parked or waiting actors count as idle). */
  isIdle(): boolean {
    return this.#scheduler.isIdle();
  }

  /** How many actors are alive. */
  get size(): number {
    return this.#cells.size;
  }

  /**
   * Cancel every actor and timer; each actor handles what is queued, stops
   * and runs `postStop`. Resolves once all have stopped. In inline mode all of
   * it happens inside this call (unless it is made from within a handler: then
   * it completes when that handler's drain does). Calling it again returns the
   * same promise.
   */
  shutdown(): Promise<void> {
    if (this.#shutdown === undefined) {
      const cells = [...this.#cells];
      this.#shutdown = Promise.all(cells.map((cell) => cell.stopped)).then(() => undefined);
      this.#timers.close();
      for (const cell of cells) cell.cancel();
    }
    return this.#shutdown;
  }
}

function checkOptions(options: ActorSystemOptions): ActorSystemConfig {
  if (typeof options !== 'object' || options === null || !MODES.includes(options.mode)) {
    throw new InvalidInputError('INVALID_OPTIONS', `mode must be one of ${MODES.join(', ')}`);
  }
  const clock = options.clock ?? systemClock;
  if (typeof clock.nowNanos !== 'function') {
    throw new InvalidInputError('INVALID_OPTIONS', 'clock must implement Clock');
  }
  const logger = options.logger ?? silentLogger;
  return Object.freeze({ mode: options.mode, clock, logger });
}

/** Validate what `spawn` got; returns the mailbox capacity (Infinity when unbounded). */
function checkActor<S, M>(name: string, actor: Actor<S, M>): number {
  if (typeof name !== 'string') {
    throw new InvalidInputError('INVALID_ARGUMENT', 'an actor name must be a string');
  }
  if (typeof actor?.init !== 'function' || typeof actor.handle !== 'function') {
    throw new InvalidInputError('INVALID_ARGUMENT', `actor ${name} must have init and handle`);
  }
  const capacity = actor.config?.().mailboxCapacity;
  if (capacity === undefined) return Number.POSITIVE_INFINITY;
  if (!Number.isSafeInteger(capacity) || capacity <= 0) {
    throw new InvalidInputError(
      'INVALID_ARGUMENT',
      `mailboxCapacity of actor ${name} must be a positive integer, got ${String(capacity)}`,
    );
  }
  return capacity;
}
